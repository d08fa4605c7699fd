//! `status`: the open round's participation per cohort (counts only: who submitted is not
//! shown), the rounds and their states, the enrolments and the trustee phase of secure rounds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sovbench_core::cell::{cohort_label, Cohort};
use sovbench_core::envelope::unb64;
use sovbench_core::time::format_utc;

use super::commands::{say, Style};
use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::model::RoundStatus;
use crate::tls::{CertValidity, Standing};

/// Participation in one cohort of the open round.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Participation {
    /// Cohort id (`all`, `kind=…`, `state=…`, `size=…`, `kind=…,size=…`).
    pub cohort: String,
    /// Active enrolments in the cohort.
    pub enrolled: usize,
    /// Of them, how many have submitted to the open round.
    pub submitted: usize,
}

/// One round in the status.
#[derive(Debug, Clone, Serialize)]
pub struct RoundLine {
    /// Round id.
    pub round_id: String,
    /// direct or secure.
    pub mode: &'static str,
    /// Its state.
    pub status: RoundStatus,
    /// Submissions stored.
    pub submissions: usize,
    /// Mode secure: the trustee phase.
    pub trustee_phase: Option<String>,
}

/// The served TLS certificate in the status.
#[derive(Debug, Clone, Serialize)]
pub struct TlsCertificate {
    /// File, fingerprint, validity.
    #[serde(flatten)]
    pub validity: CertValidity,
    /// Valid, expired or not yet valid, now.
    pub standing: Standing,
    /// Seconds until it expires (negative once expired).
    pub seconds_left: i64,
}

/// The aggregator's status.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Consortium name.
    pub consortium: String,
    /// The served TLS certificate, when `serve` runs with TLS (the status comes from it through
    /// the admin API).
    pub tls_certificate: Option<TlsCertificate>,
    /// The open round, if any.
    pub open_round: Option<String>,
    /// When it closes (Unix seconds).
    pub closes_at: Option<i64>,
    /// Participation per cohort in the open round, coarsest cohorts first.
    pub participation: Vec<Participation>,
    /// All rounds.
    pub rounds: Vec<RoundLine>,
    /// Active enrolments.
    pub enrolled: usize,
    /// Revoked enrolments.
    pub revoked: usize,
}

/// Computes the status.
pub fn status(agg: &Aggregator) -> Result<Status, AggError> {
    let rounds = agg.rounds()?;
    let open = rounds.iter().find(|r| r.status == RoundStatus::Open);
    let enrolments = agg.enrolments()?;
    let mut counts: BTreeMap<Cohort, (usize, usize)> = BTreeMap::new();
    for e in enrolments.iter().filter(|e| e.revoked_at.is_none()) {
        let submitted = match (open, unb64(&e.public_key)) {
            (Some(r), Ok(key)) => agg.submission_stored(&r.round_id, &key)?,
            _ => false,
        };
        for c in Cohort::of(&e.attributes) {
            let entry = counts.entry(c).or_default();
            entry.0 += 1;
            entry.1 += usize::from(submitted);
        }
    }
    let mut participation: Vec<(Cohort, Participation)> = counts
        .into_iter()
        .map(|(c, (enrolled, submitted))| {
            let p = Participation {
                cohort: c.to_string(),
                enrolled,
                submitted,
            };
            (c, p)
        })
        .collect();
    participation.sort_by_key(|(c, _)| c.rank());
    let now = agg.now();
    Ok(Status {
        consortium: agg.consortium()?,
        tls_certificate: agg.tls_certificate().map(|v| TlsCertificate {
            standing: v.standing(now),
            seconds_left: v.seconds_left(now),
            validity: v,
        }),
        open_round: open.map(|r| r.round_id.clone()),
        closes_at: open.map(|r| r.closes_at),
        participation: participation.into_iter().map(|(_, p)| p).collect(),
        revoked: enrolments.iter().filter(|e| e.revoked_at.is_some()).count(),
        enrolled: enrolments.iter().filter(|e| e.revoked_at.is_none()).count(),
        rounds: rounds
            .iter()
            .map(|r| RoundLine {
                round_id: r.round_id.clone(),
                mode: r.mode,
                status: r.status,
                submissions: r.submissions,
                trustee_phase: r.trustee_phase.clone(),
            })
            .collect(),
    })
}

/// `status` as text or JSON.
pub fn render(agg: &Aggregator, s: Style, w: &mut String) -> Result<(), AggError> {
    let st = status(agg)?;
    if s.json {
        say!(w, "{}", serde_json::to_string_pretty(&st)?);
        return Ok(());
    }
    let lang = s.lang;
    say!(
        w,
        "{}: {}",
        lang.pick("Verbund", "Consortium"),
        st.consortium
    );
    if let Some(t) = &st.tls_certificate {
        say!(w, "{}", t.validity.status_line(agg.now(), lang));
    }
    say!(
        w,
        "{}: {} {}, {} {}",
        lang.pick("Aufnahmen", "Enrolments"),
        st.enrolled,
        lang.pick("aktiv", "active"),
        st.revoked,
        lang.pick("widerrufen", "revoked")
    );
    match (&st.open_round, st.closes_at) {
        (Some(id), Some(at)) => {
            say!(
                w,
                "{} {id} ({} {}); {}:",
                lang.pick("Offene Runde", "Open round"),
                lang.pick("schließt", "closes"),
                format_utc(at),
                lang.pick(
                    "Beteiligung je Kohorte (eingereicht / aufgenommen)",
                    "participation per cohort (submitted / enrolled)"
                )
            );
            for p in &st.participation {
                let label = p
                    .cohort
                    .parse::<Cohort>()
                    .map(|c| cohort_label(&c, lang))
                    .unwrap_or_else(|_| p.cohort.clone());
                say!(
                    w,
                    "    {:<36} {:>5} / {:<5} {label}",
                    p.cohort,
                    p.submitted,
                    p.enrolled
                );
            }
        }
        _ => say!(
            w,
            "{}",
            lang.pick("Keine Runde offen.", "No round is open.")
        ),
    }
    say!(w, "{}:", lang.pick("Runden", "Rounds"));
    if st.rounds.is_empty() {
        say!(w, "    {}", lang.pick("keine", "none"));
    }
    for r in &st.rounds {
        say!(
            w,
            "    {:<16} {:<7} {:<14} {} {}{}",
            r.round_id,
            r.mode,
            r.status.label(lang),
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
