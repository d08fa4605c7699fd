//! `round open` (with its sizing preview), `round close` and `round list` as operator commands.

use std::fmt::Write as _;

use serde_json::json;
use sovbench_core::pb;
use sovbench_core::time::format_utc;
use sovbench_secure::round::Grid;

use super::commands::{say, Style};
use super::sizing::{self, Plan, Preview};
use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::rounds::{RoundSpec, SecureSpec};

/// `round open`: prints the sizing preview, then opens the round unless `dry_run`.
pub fn open(
    agg: &Aggregator,
    o: &pb::AdminOpenRound,
    s: Style,
    w: &mut String,
) -> Result<(), AggError> {
    let lang = s.lang;
    let secure = secure_spec(
        &o.mode,
        o.committee.clone(),
        &o.grid,
        o.all_weight,
        o.path_bound,
    )?;
    let releases_per_node = match &secure {
        Some(_) => o.releases_per_node.unwrap_or(0),
        None => o.releases_per_node.unwrap_or(1),
    };
    let committee = match &secure {
        Some(sp) => {
            let c = agg.ceremony(&sp.ceremony)?;
            Some((c.threshold, c.trustee_keys.len()))
        }
        None => None,
    };
    let mut plan = Plan {
        metrics: o.metrics.clone(),
        epsilon: o.epsilon,
        releases_per_node,
        min_cohort: o.min_cohort,
        committee,
        secure: None,
    };
    // Mode secure: the grid and half-widths need the committee (complete ceremonies only).
    if let Some(sp) = &secure {
        if let Ok(c) = crate::secure::ceremony::committee_of(agg.store(), &sp.ceremony) {
            plan.secure = Some(sizing::secure::round_of(
                &plan,
                c.committee,
                c.trustee_keys,
                sp.grid,
                sp.all_weight,
                sp.path_bound,
            ));
        }
    }
    let preview = sizing::preview(&plan, &agg.enrolments()?, lang);
    if o.dry_run {
        if s.json {
            say!(
                w,
                "{}",
                serde_json::to_string_pretty(&json!({"preview": preview}))?
            );
        } else {
            render_preview(&preview, s, w);
        }
        return Ok(());
    }
    let closes_at = agg.now()
        + crate::cli::parse_duration(&o.closes_in)
            .map_err(|e| AggError::BadCommand(format!("--closes-in: {e:#}")))?;
    let p = agg.open_round(RoundSpec {
        round_id: o.id.clone(),
        metrics: o.metrics.clone(),
        epsilon_per_release: o.epsilon,
        releases_per_node,
        min_cohort: o.min_cohort,
        closes_at,
        secure,
    })?;
    if s.json {
        say!(
            w,
            "{}",
            json!({"round_id": p.round_id, "closes_at": p.closes_at,
            "metrics": p.metrics.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            "epsilon_per_release": p.epsilon_per_release,
            "releases_per_node": p.releases_per_node, "min_cohort": p.min_cohort,
            "preview": preview})
        );
        return Ok(());
    }
    render_preview(&preview, s, w);
    if let Some(sec) = p.secure.as_ref() {
        let c = sec.committee.clone().unwrap_or_default();
        say!(
            w,
            "{} {} ({} {}; {}; {} {} {}, {} {} {} {}, {} {}, k = {})",
            lang.pick("Runde geöffnet:", "Round opened:"),
            p.round_id,
            lang.pick("schließt", "closes"),
            format_utc(p.closes_at),
            lang.pick("Modus verschlüsselt", "mode secure"),
            lang.pick("Epsilon", "epsilon"),
            sec.epsilon,
            lang.pick("je Einreichung", "per submission"),
            lang.pick("Treuhändergremium", "trustee committee"),
            c.threshold,
            lang.pick("von", "of"),
            c.size,
            lang.pick("Fingerabdruck", "fingerprint"),
            hex::encode(&c.fingerprint),
            p.min_cohort
        );
        return Ok(());
    }
    say!(
        w,
        "{} {} ({} {}; {} {}, {} {}, k = {})",
        lang.pick("Runde geöffnet:", "Round opened:"),
        p.round_id,
        lang.pick("schließt", "closes"),
        format_utc(p.closes_at),
        lang.pick("Epsilon je Wert", "epsilon per value"),
        p.epsilon_per_release,
        lang.pick("Werte je Knoten", "values per node"),
        if p.releases_per_node == 0 {
            p.metrics.len() as u32
        } else {
            p.releases_per_node
        },
        p.min_cohort
    );
    Ok(())
}

/// The preview as text: one line per cohort, then the warnings.
fn render_preview(p: &Preview, s: Style, w: &mut String) {
    let lang = s.lang;
    say!(
        w,
        "{} ({} {}):",
        lang.pick("Vorschau je Kohorte", "Preview per cohort"),
        lang.pick("Epsilon je Runde", "epsilon per round"),
        p.epsilon_per_round
    );
    for c in &p.cells {
        let hw: Vec<String> = c
            .half_widths
            .iter()
            .map(|(m, h)| format!("{m} ±{h:.2}"))
            .collect();
        say!(
            w,
            "    {:<36} n = {:<5} {}{}",
            c.cohort,
            c.enrolled,
            if c.published {
                lang.pick("veröffentlicht", "published")
            } else {
                lang.pick("unterdrückt", "suppressed")
            },
            if hw.is_empty() {
                String::new()
            } else {
                format!("  ({})", hw.join(", "))
            }
        );
    }
    for warning in &p.warnings {
        say!(w, "{} {warning}", lang.pick("Warnung:", "Warning:"));
    }
}

/// `round close`: waits for the commit worker.
pub fn close(agg: &Aggregator, id: &str, s: Style, w: &mut String) -> Result<(), AggError> {
    let changed = block_on(agg.close_round(id))??;
    let lang = s.lang;
    if s.json {
        say!(w, "{}", json!({"round_id": id, "closed_now": changed}));
    } else if changed {
        say!(
            w,
            "{} {id}",
            lang.pick("Runde geschlossen:", "Round closed:")
        );
    } else {
        say!(
            w,
            "{} {id}",
            lang.pick(
                "Runde war bereits geschlossen:",
                "Round was already closed:"
            )
        );
    }
    Ok(())
}

/// `round abandon`.
pub fn abandon(
    agg: &Aggregator,
    a: &pb::AdminAbandonRound,
    s: Style,
    w: &mut String,
) -> Result<(), AggError> {
    let changed = agg.abandon_round(&a.round_id, &a.reason)?;
    let id = &a.round_id;
    if s.json {
        say!(
            w,
            "{}",
            json!({"round_id": id, "abandoned_now": changed, "reason": a.reason.trim()})
        );
    } else if changed {
        say!(
            w,
            "{} {id}\n{}",
            s.lang.pick("Runde aufgegeben:", "Round abandoned:"),
            s.lang.pick(
                "Sie wird nicht veröffentlicht; die Knoten erfahren den Grund, die Treuhänder \
                 arbeiten an der nächsten Runde weiter.",
                "It will not be published; the nodes are told the reason, the trustees go on \
                 with the next round."
            )
        );
    } else {
        say!(
            w,
            "{} {id}",
            s.lang.pick(
                "Runde war bereits aufgegeben:",
                "Round was already abandoned:"
            )
        );
    }
    Ok(())
}

/// Runs a future to completion: on the current runtime from its blocking pool, else on a runtime
/// of its own.
fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output, AggError> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => Ok(h.block_on(fut)),
        Err(_) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| AggError::Io {
                    path: "async runtime".into(),
                    source,
                })?;
            Ok(rt.block_on(fut))
        }
    }
}

/// `round list`.
pub fn list(agg: &Aggregator, s: Style, w: &mut String) -> Result<(), AggError> {
    let lang = s.lang;
    let rounds = agg.rounds()?;
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&rounds)?);
        return Ok(());
    }
    for r in rounds {
        say!(
            w,
            "{:<16} {:<7} {:<10} {} -> {}  eps {} x {}  k {}  {} {}{}",
            r.round_id,
            r.mode,
            r.status.label(lang),
            format_utc(r.opens_at),
            format_utc(r.closes_at),
            r.epsilon_per_release,
            if r.releases_per_node == 0 {
                r.metrics.len() as u32
            } else {
                r.releases_per_node
            },
            r.min_cohort,
            r.submissions,
            lang.pick("Einreichungen", "submissions"),
            r.trustee_phase
                .as_ref()
                .map(|p| format!("  [{}: {p}]", lang.pick("Treuhänder", "trustees")))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// The secure part of `round open` from its flags (`None` in mode direct).
fn secure_spec(
    mode: &str,
    committee: Option<String>,
    grid: &str,
    all_weight: f64,
    path_bound: u32,
) -> Result<Option<SecureSpec>, AggError> {
    let bad = AggError::BadCommand;
    match mode {
        "direct" | "" => {
            if committee.is_some() {
                return Err(bad("--committee needs --mode secure".into()));
            }
            Ok(None)
        }
        "secure" => {
            let ceremony = committee
                .ok_or_else(|| bad("mode secure needs --committee ID (`committee list`)".into()))?;
            let grid = Grid::from_key(grid).ok_or_else(|| {
                bad(format!(
                    "unknown grid {grid:?}; use kind-size or all+kind-size"
                ))
            })?;
            Ok(Some(SecureSpec {
                ceremony,
                grid,
                all_weight: if grid == Grid::KindSize {
                    0.0
                } else {
                    all_weight
                },
                path_bound,
            }))
        }
        other => Err(bad(format!("unknown mode {other:?}; use direct or secure"))),
    }
}
