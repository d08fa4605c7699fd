//! The operator commands, executed against an open [`Aggregator`] and rendered as the command
//! line prints them. The command line runs them directly when it can open the store, and the
//! admin service runs the same code for a signed [`pb::AdminRequest`] while the aggregator
//! serves: the output is identical either way.

use std::fmt::Write as _;

use serde_json::json;
use sovbench_core::cohort::{parse_state, CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{b64, fingerprint, unb64};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::publication::{export_publication, render_text};

/// Appends one line to the output (writing to a `String` cannot fail).
macro_rules! say {
    ($w:expr, $($t:tt)*) => {{
        let _ = writeln!($w, $($t)*);
    }};
}
pub(crate) use say;

/// What a command prints, and for `publish` the JSON export document.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The text (or JSON) the command prints.
    pub output: String,
    /// `publish`: the export document (pretty JSON).
    pub export: Option<String>,
}

/// Output settings of a request.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// JSON instead of text.
    pub json: bool,
    /// Language of the text.
    pub lang: Lang,
}

impl Style {
    /// The style a request asks for (unknown languages: German).
    pub fn of(req: &pb::AdminRequest) -> Style {
        Style {
            json: req.json,
            lang: req.lang.parse().unwrap_or_default(),
        }
    }
}

/// Runs one operator command. `close_round` waits on the commit worker: from a thread of a
/// tokio runtime's blocking pool it uses that runtime, elsewhere a runtime of its own.
pub fn execute(agg: &Aggregator, req: &pb::AdminRequest) -> Result<Outcome, AggError> {
    use pb::admin_request::Command;
    let style = Style::of(req);
    let mut w = String::new();
    let command = req
        .command
        .as_ref()
        .ok_or_else(|| AggError::BadCommand("the request names no command".into()))?;
    match command {
        Command::Enrol(e) => enrol(agg, e, style, &mut w)?,
        Command::Revoke(k) => revoke(agg, k, style, &mut w)?,
        Command::ListEnrolments(_) => list_enrolments(agg, style, &mut w)?,
        Command::OpenRound(o) => super::rounds::open(agg, o, style, &mut w)?,
        Command::CloseRound(id) => super::rounds::close(agg, id, style, &mut w)?,
        Command::AbandonRound(a) => super::rounds::abandon(agg, a, style, &mut w)?,
        Command::ListRounds(_) => super::rounds::list(agg, style, &mut w)?,
        Command::Publish(id) => return publish(agg, id, style),
        Command::PeersOverview(_) => peers(agg, style, &mut w)?,
        Command::CreateCommittee(c) => create_committee(agg, c, style, &mut w)?,
        Command::ListCommittees(_) => list_committees(agg, style, &mut w)?,
        Command::Status(_) => super::status::render(agg, style, &mut w)?,
        Command::Key(_) => key(agg, style, &mut w, false)?,
    }
    Ok(Outcome {
        output: w,
        export: None,
    })
}

fn enrol(agg: &Aggregator, a: &pb::AdminEnrol, s: Style, w: &mut String) -> Result<(), AggError> {
    let bad = AggError::BadCommand;
    let raw = unb64(a.key.trim()).map_err(|_| bad("--key: the key is not base64".into()))?;
    let kind: Kind = a.kind.parse().map_err(|e| bad(format!("--kind: {e}")))?;
    let size = a
        .population
        .or(a.staff)
        .ok_or_else(|| bad("give --population (territorial bodies) or --staff (others)".into()))?;
    let attrs = CohortAttributes {
        kind,
        state: parse_state(&a.state).map_err(|e| bad(format!("--state: {e}")))?,
        size: SizeClass::classify(kind, size),
    };
    let name = a.name.trim();
    // One lookup by key: a scan of every enrolment here made each enrolment slower than the
    // last (issue 19, item 5).
    if let Some(old) = agg.enrolment(&raw)? {
        let changed = old.name != name || old.attributes != attrs || old.size != size;
        if changed && !a.update {
            return Err(AggError::AttributesChanged {
                key: old.fingerprint,
                was: format!(
                    "{:?} ({}; {})",
                    old.name,
                    old.attributes.cohorts().join(" | "),
                    old.size
                ),
                now: format!("{name:?} ({}; {size})", attrs.cohorts().join(" | ")),
            });
        }
        if changed && !s.json {
            say!(
                w,
                "{} {} ({}; {}) -> {} ({}; {})",
                s.lang.pick("Geändert:", "Changed:"),
                old.name,
                old.attributes.cohorts().join(" | "),
                old.size,
                name,
                attrs.cohorts().join(" | "),
                size
            );
        }
    }
    let e = agg.enrol(&raw, name, attrs, size)?;
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&e)?);
    } else {
        say!(
            w,
            "{} {} ({}; {})",
            s.lang.pick("Aufgenommen:", "Enrolled:"),
            e.name,
            e.fingerprint,
            e.attributes.cohorts().join(" | ")
        );
    }
    Ok(())
}

fn revoke(agg: &Aggregator, key: &str, s: Style, w: &mut String) -> Result<(), AggError> {
    let raw = unb64(key.trim())
        .map_err(|_| AggError::BadCommand("--revoke: the key is not base64".into()))?;
    let e = agg.revoke(&raw)?;
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&e)?);
    } else {
        say!(
            w,
            "{} {} ({})",
            s.lang.pick("Widerrufen:", "Revoked:"),
            e.fingerprint,
            e.name
        );
    }
    Ok(())
}

fn list_enrolments(agg: &Aggregator, s: Style, w: &mut String) -> Result<(), AggError> {
    let all = agg.enrolments()?;
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    for e in all {
        say!(
            w,
            "{}  {:<40} {:<17} {} {:<12} {}",
            e.fingerprint,
            e.name,
            e.attributes.kind.key(),
            e.attributes.state,
            e.attributes.size.key(),
            match e.revoked_at {
                Some(t) => format!("{} {}", s.lang.pick("widerrufen", "revoked"), format_utc(t)),
                None => s.lang.pick("aktiv", "active").to_string(),
            }
        );
    }
    Ok(())
}

fn publish(agg: &Aggregator, round: &str, s: Style) -> Result<Outcome, AggError> {
    let msg = agg.publish(round)?;
    let doc = serde_json::to_string_pretty(&export_publication(&msg)?)?;
    let output = if s.json {
        format!("{doc}\n")
    } else {
        render_text(&msg, s.lang)?
    };
    Ok(Outcome {
        output,
        export: Some(doc),
    })
}

fn peers(agg: &Aggregator, s: Style, w: &mut String) -> Result<(), AggError> {
    let lang = s.lang;
    let o = agg.peers().overview();
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&o)?);
        return Ok(());
    }
    say!(
        w,
        "{}",
        lang.pick(
            "Angebote je Migrationspfad und Phase:",
            "Offers per migration path and stage:"
        )
    );
    if o.offers.is_empty() {
        say!(w, "    {}", lang.pick("keine", "none"));
    }
    for (path, stages) in &o.offers {
        let total: usize = stages.values().sum();
        let parts: Vec<String> = stages
            .iter()
            .map(|(st, n)| format!("{} {n}", sovbench_core::paths::stage_label(st, lang)))
            .collect();
        say!(w, "    {path:<48} {total:>5}  ({})", parts.join(", "));
    }
    say!(
        w,
        "{}: {} {}, {} {}, {} {}, {} {}",
        lang.pick("Kontaktanfragen", "Contact requests"),
        o.pending,
        lang.pick("offen", "open"),
        o.accepted,
        lang.pick("angenommen", "accepted"),
        o.declined,
        lang.pick("abgelehnt", "declined"),
        o.closed,
        lang.pick("geschlossen", "closed")
    );
    Ok(())
}

fn create_committee(
    agg: &Aggregator,
    c: &pb::AdminCreateCommittee,
    s: Style,
    w: &mut String,
) -> Result<(), AggError> {
    let keys = c
        .trustees
        .iter()
        .map(|k| {
            unb64(k.trim())
                .map_err(|_| AggError::BadCommand(format!("trustee key {k:?} is not base64")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    agg.create_ceremony(&c.id, c.threshold, keys)?;
    let c = agg.ceremony(&c.id)?;
    if s.json {
        say!(
            w,
            "{}",
            json!({"id": c.id, "threshold": c.threshold, "trustees": c.trustee_keys.len()})
        );
    } else {
        say!(
            w,
            "{} {} ({} {} {})",
            s.lang.pick("Zeremonie angelegt:", "Ceremony created:"),
            c.id,
            c.threshold,
            s.lang.pick("von", "of"),
            c.trustee_keys.len()
        );
    }
    Ok(())
}

fn list_committees(agg: &Aggregator, s: Style, w: &mut String) -> Result<(), AggError> {
    let lang = s.lang;
    let all = agg.ceremonies()?;
    if s.json {
        let v: Vec<_> = all
            .iter()
            .map(|c| {
                json!({"id": c.id, "threshold": c.threshold,
                "trustee_keys": c.trustee_keys.iter().map(|k| b64(k)).collect::<Vec<_>>(),
                "posted": c.posted, "complete": c.complete,
                "fingerprint": c.fingerprint.map(hex::encode)})
            })
            .collect();
        say!(w, "{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for c in all {
        say!(
            w,
            "{:<16} {} {} {}  {} {}  {}  {}",
            c.id,
            c.threshold,
            lang.pick("von", "of"),
            c.trustee_keys.len(),
            c.posted,
            lang.pick("Nachrichten", "messages"),
            if c.complete {
                lang.pick("vollständig", "complete")
            } else {
                lang.pick("läuft", "running")
            },
            c.fingerprint.map(hex::encode).unwrap_or_else(|| "-".into())
        );
        for (i, k) in c.trustee_keys.iter().enumerate() {
            say!(w, "    {i}: {}", fingerprint(k));
        }
    }
    Ok(())
}

/// `key` (and `init` with `new`): the aggregator's public key.
pub fn key(agg: &Aggregator, s: Style, w: &mut String, new: bool) -> Result<(), AggError> {
    let lang = s.lang;
    let key = b64(agg.public_key());
    let fp = fingerprint(agg.public_key());
    if s.json {
        say!(
            w,
            "{}",
            json!({"data_dir": agg.dir(), "consortium": agg.consortium()?, "public_key": key, "fingerprint": fp})
        );
        return Ok(());
    }
    if new {
        say!(
            w,
            "{} {}",
            lang.pick("Aggregator angelegt in", "Aggregator created in"),
            agg.dir().display()
        );
    }
    say!(
        w,
        "{}: {}",
        lang.pick("Verbund", "Consortium"),
        agg.consortium()?
    );
    say!(
        w,
        "{}: {key}",
        lang.pick("Öffentlicher Schlüssel", "Public key")
    );
    say!(w, "{}: {fp}", lang.pick("Fingerabdruck", "Fingerprint"));
    say!(
        w,
        "{}",
        lang.pick(
            "Knoten tragen diesen Schlüssel als aggregator_key ein (sovbench-node init --aggregator-key).",
            "Nodes configure this key as aggregator_key (sovbench-node init --aggregator-key)."
        )
    );
    Ok(())
}

#[cfg(test)]
mod tests;
