//! Rounds: opening a round with signed parameters, finding the open and the due rounds, closing
//! (through the commit worker, so that no accepted submission is left behind) and listing.
//!
//! One round is open at a time. A round is open until it is closed or its closing time has passed;
//! the server closes and publishes due rounds ([`crate::service::close_due_rounds`]).

use prost::Message as _;
use serde::Serialize;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_secure::round::{Grid, SecureRound};

use crate::commit::Committer;
use crate::error::AggError;
use crate::model::{Abandonment, RoundState, RoundStatus};
use crate::store::Store;

/// What a new round asks for.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    /// Round id (letters, digits, `.`, `_`, `-`).
    pub round_id: String,
    /// Metric ids; empty means the catalogue's default (the five self-test dimensions).
    pub metrics: Vec<String>,
    /// Mode direct: epsilon of one released value. Mode secure: the privacy loss of one
    /// administration's whole submission (all metrics, all partitions of the grid).
    pub epsilon_per_release: f64,
    /// How many metrics each node releases (0 = all; mode secure: must be 0).
    pub releases_per_node: u32,
    /// Smallest publishable cohort.
    pub min_cohort: u32,
    /// Closing time, Unix seconds.
    pub closes_at: i64,
    /// Mode secure (encrypted aggregation with a trustee committee); `None`: mode direct.
    pub secure: Option<SecureSpec>,
}

/// The secure part of a new round: which committee, which publication grid.
#[derive(Debug, Clone)]
pub struct SecureSpec {
    /// Id of a complete DKG ceremony ([`crate::Aggregator::create_ceremony`]).
    pub ceremony: String,
    /// The publication grid.
    pub grid: Grid,
    /// Grid [`Grid::AllKindSize`]: share of epsilon spent on the cell `all`, in (0, 1).
    pub all_weight: f64,
    /// Path bound b: at most b paths per administration (capped at the round's number of path
    /// metrics; 0 = none).
    pub path_bound: u32,
}

/// A round with its parameters and state, for listings.
#[derive(Debug, Clone, Serialize)]
pub struct RoundInfo {
    /// Round id.
    pub round_id: String,
    /// Status.
    pub status: RoundStatus,
    /// Metric ids.
    pub metrics: Vec<String>,
    /// Epsilon per release.
    pub epsilon_per_release: f64,
    /// Releases per node (0 = all).
    pub releases_per_node: u32,
    /// Minimum cohort size k.
    pub min_cohort: u32,
    /// Opening time.
    pub opens_at: i64,
    /// Closing time.
    pub closes_at: i64,
    /// Submissions stored.
    pub submissions: usize,
    /// `direct` or `secure`.
    pub mode: &'static str,
    /// Mode secure: what the trustees are doing (`None` in mode direct).
    pub trustee_phase: Option<String>,
}

/// Opens a round at `now`: checks the spec, signs the parameters, stores them durably.
pub fn open_round(
    store: &Store,
    identity: &Identity,
    spec: RoundSpec,
    now: i64,
) -> Result<pb::RoundParams, AggError> {
    let id = spec.round_id.trim();
    if !sovbench_core::ids::is_plain_id(id) {
        return Err(AggError::BadRoundId(id.to_string()));
    }
    if store.round(id)?.is_some() {
        return Err(AggError::RoundExists(id.to_string()));
    }
    if let Some(open) = open_round_id(store, now)? {
        return Err(AggError::AnotherRoundOpen(open));
    }
    let catalogue = Catalogue::shared();
    let metrics = metric_specs(catalogue, &spec.metrics)?;
    if !(spec.epsilon_per_release.is_finite() && spec.epsilon_per_release > 0.0) {
        return Err(AggError::BadEpsilon(spec.epsilon_per_release));
    }
    if spec.secure.is_some() && spec.releases_per_node != 0 {
        return Err(AggError::BadSecureRound(format!(
            "releases per node must be 0 (all metrics) in mode secure, got {}",
            spec.releases_per_node
        )));
    }
    if spec.releases_per_node as usize > metrics.len() {
        return Err(AggError::TooManyReleases {
            releases: spec.releases_per_node,
            metrics: metrics.len(),
        });
    }
    if spec.min_cohort < 2 {
        return Err(AggError::MinCohortTooSmall(spec.min_cohort));
    }
    if spec.closes_at <= now {
        return Err(AggError::ClosesInThePast(spec.closes_at));
    }
    let mut params = pb::RoundParams {
        round_id: id.to_string(),
        mode: pb::RoundMode::Direct as i32,
        metrics,
        epsilon_per_release: spec.epsilon_per_release,
        releases_per_node: spec.releases_per_node,
        min_cohort: spec.min_cohort,
        opens_at: now,
        closes_at: spec.closes_at,
        catalogue_hash: catalogue.hash().to_vec(),
        consortium: store.consortium()?.unwrap_or_default(),
        secure: None,
    };
    if let Some(secure) = &spec.secure {
        let c = crate::secure::ceremony::committee_of(store, &secure.ceremony)?;
        params.mode = pb::RoundMode::SecureAggregation as i32;
        let mut sp = SecureRound::params(
            &c.committee,
            c.trustee_keys,
            secure.grid,
            spec.epsilon_per_release,
            secure.all_weight,
        );
        sp.path_bound = path_bound(catalogue, &params.metrics, secure.path_bound);
        params.secure = Some(sp);
        SecureRound::from_params(&params).map_err(|e| AggError::BadSecureRound(e.to_string()))?;
    }
    let msg = identity.seal(pb::payload::Body::Round(params.clone()));
    store.put_round(
        id,
        &msg,
        &RoundState {
            status: RoundStatus::Open,
            closed_at: None,
            abandoned: None,
        },
    )?;
    Ok(params)
}

/// The path bound a round names: the operator's bound, at most the number of path metrics the
/// round asks for (0 without path metrics).
pub fn path_bound(catalogue: &Catalogue, metrics: &[pb::MetricSpec], wanted: u32) -> u32 {
    let paths = metrics
        .iter()
        .filter_map(|m| catalogue.metric(&m.id))
        .filter(|d| sovbench_secure::round::is_path(d))
        .count();
    wanted.min(u32::try_from(paths).unwrap_or(u32::MAX))
}

/// The catalogue's specs of the metric ids a round asks for (the default round's for none).
fn metric_specs(catalogue: &Catalogue, ids: &[String]) -> Result<Vec<pb::MetricSpec>, AggError> {
    let ids: Vec<String> = if ids.is_empty() {
        catalogue
            .default_round_metrics()
            .iter()
            .map(|m| m.id.clone())
            .collect()
    } else {
        ids.to_vec()
    };
    let mut metrics: Vec<pb::MetricSpec> = Vec::new();
    for mid in &ids {
        let def = catalogue
            .metric(mid)
            .ok_or_else(|| AggError::UnknownMetric {
                metric: mid.clone(),
                known: catalogue
                    .metrics
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        if metrics.iter().any(|m| m.id == def.id) {
            return Err(AggError::DuplicateMetric(mid.clone()));
        }
        metrics.push(def.spec());
    }
    Ok(metrics)
}

/// The round that is open at `now`, if any.
pub fn open_round_id(store: &Store, now: i64) -> Result<Option<String>, AggError> {
    for (id, st) in store.round_states()? {
        if st.status == RoundStatus::Open && now < round_params(store, &id)?.closes_at {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Rounds that are still marked open but whose closing time has passed at `now`.
pub fn due_rounds(store: &Store, now: i64) -> Result<Vec<String>, AggError> {
    let mut due = Vec::new();
    for (id, st) in store.round_states()? {
        if st.status == RoundStatus::Open && round_params(store, &id)?.closes_at <= now {
            due.push(id);
        }
    }
    Ok(due)
}

/// Longest reason an operator may give for abandoning a round.
pub const MAX_ABANDON_REASON: usize = 500;

/// Abandons the closed, unpublished round `round_id` for `reason` at `now`: it is never
/// published, and every node asking for its publication is told the reason. Returns whether it
/// changed (false: abandoned before, with the same reason or not). The caller holds the secure
/// desk's phase lock, so that no publication of the round is under way.
pub fn abandon(store: &Store, round_id: &str, reason: &str, now: i64) -> Result<bool, AggError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_ABANDON_REASON {
        return Err(AggError::BadCommand(format!(
            "--reason: give a reason of 1 to {MAX_ABANDON_REASON} characters; the administrations \
             read it"
        )));
    }
    let state = store
        .round_state(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    match state.status {
        RoundStatus::Abandoned => return Ok(false),
        RoundStatus::Open => return Err(AggError::RoundOpen(round_id.to_string())),
        RoundStatus::Published => {
            return Err(AggError::BadCommand(format!(
                "round {round_id} is published; a published round cannot be abandoned"
            )))
        }
        RoundStatus::Closed => {}
    }
    if store.publication(round_id)?.is_some() {
        return Err(AggError::BadCommand(format!(
            "round {round_id} has a stored publication; it cannot be abandoned"
        )));
    }
    store.set_round_state(
        round_id,
        &RoundState {
            status: RoundStatus::Abandoned,
            closed_at: state.closed_at,
            abandoned: Some(Abandonment {
                at: now,
                reason: reason.to_string(),
            }),
        },
    )?;
    Ok(true)
}

/// The refusal a node gets for the publication of an abandoned round (None: not abandoned).
pub fn abandoned(store: &Store, round_id: &str) -> Result<Option<AggError>, AggError> {
    Ok(store.round_state(round_id)?.and_then(|st| {
        st.abandoned.map(|a| AggError::RoundAbandoned {
            round: round_id.to_string(),
            reason: a.reason,
        })
    }))
}

/// Rounds that are closed but not published (e.g. an automatic publication failed).
pub fn unpublished(store: &Store) -> Result<Vec<String>, AggError> {
    Ok(store
        .round_states()?
        .into_iter()
        .filter(|(_, st)| st.status == RoundStatus::Closed)
        .map(|(id, _)| id)
        .collect())
}

/// The decoded parameters of a round (our own signed message).
pub fn round_params(store: &Store, round_id: &str) -> Result<pb::RoundParams, AggError> {
    let msg = store
        .round(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    match pb::Payload::decode(msg.payload.as_slice())?.body {
        Some(pb::payload::Body::Round(p)) => Ok(p),
        _ => Err(AggError::Storage(format!(
            "round {round_id} holds no parameters"
        ))),
    }
}

/// The signed parameters of a round, or of the round open at `now` for `None` or an empty id.
pub fn signed_round(
    store: &Store,
    round_id: Option<&str>,
    now: i64,
) -> Result<pb::SignedMessage, AggError> {
    let id = match round_id {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => open_round_id(store, now)?.ok_or(AggError::NoOpenRound)?,
    };
    store.round(&id)?.ok_or(AggError::UnknownRound(id))
}

/// Closes a round at `now` (idempotent); returns false if it was closed already. The commit
/// worker stores every submission accepted before the close first.
pub async fn close(committer: &Committer, round_id: &str, now: i64) -> Result<bool, AggError> {
    committer.close(round_id, now).await
}

/// All rounds with their parameters, states and numbers of submissions.
pub fn list(store: &Store) -> Result<Vec<RoundInfo>, AggError> {
    store
        .round_states()?
        .into_iter()
        .map(|(id, st)| {
            let p = round_params(store, &id)?;
            let secure = p.mode == pb::RoundMode::SecureAggregation as i32;
            let trustee_phase = if secure {
                Some(crate::secure::phase_text(store, &id, st.status)?)
            } else {
                None
            };
            Ok(RoundInfo {
                mode: if secure { "secure" } else { "direct" },
                trustee_phase,
                submissions: store.submission_count(&id),
                round_id: id,
                status: st.status,
                metrics: p.metrics.iter().map(|m| m.id.clone()).collect(),
                epsilon_per_release: p.epsilon_per_release,
                releases_per_node: p.releases_per_node,
                min_cohort: p.min_cohort,
                opens_at: p.opens_at,
                closes_at: p.closes_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> RoundSpec {
        RoundSpec {
            round_id: id.into(),
            metrics: Vec::new(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 10,
            closes_at: 2_000,
            secure: None,
        }
    }

    #[test]
    fn a_round_opens_once_and_refuses_bad_specs_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let (id, _) = Identity::generate().expect("identity");
        let now = 1_000;
        let refused = |s: RoundSpec| open_round(&store, &id, s, now).expect_err("refused");
        assert!(matches!(refused(spec("a b")), AggError::BadRoundId(_)));
        // A leading '-' (or '+', '=', '@') makes every CSV row of the round a spreadsheet
        // formula (issue 19): refused, saying what is allowed in both languages.
        for id in ["-A2", "+1", "=1", "@A", ".r"] {
            let e = refused(spec(id));
            assert!(matches!(e, AggError::BadRoundId(_)), "{id}: {e}");
            assert!(
                e.to_string().contains("starting with a letter or digit"),
                "{e}"
            );
            assert!(
                e.localised(sovbench_core::i18n::Lang::De)
                    .contains("beginnend mit einem Buchstaben oder einer Ziffer"),
                "{}",
                e.localised(sovbench_core::i18n::Lang::De)
            );
        }
        let unknown = refused(RoundSpec {
            metrics: vec!["selftest.nichts".into()],
            ..spec("r")
        });
        assert!(unknown
            .to_string()
            .starts_with("unknown metric selftest.nichts; known: "));
        let twice = RoundSpec {
            metrics: vec!["selftest.datenhoheit".into(), "selftest.datenhoheit".into()],
            ..spec("r")
        };
        assert!(matches!(refused(twice), AggError::DuplicateMetric(_)));
        let eps = RoundSpec {
            epsilon_per_release: f64::NAN,
            ..spec("r")
        };
        assert!(matches!(refused(eps), AggError::BadEpsilon(_)));
        let many = RoundSpec {
            releases_per_node: 6,
            ..spec("r")
        };
        assert!(matches!(
            refused(many),
            AggError::TooManyReleases {
                releases: 6,
                metrics: 5
            }
        ));
        let k = RoundSpec {
            min_cohort: 1,
            ..spec("r")
        };
        assert!(matches!(refused(k), AggError::MinCohortTooSmall(1)));
        let past = RoundSpec {
            closes_at: now,
            ..spec("r")
        };
        assert!(matches!(refused(past), AggError::ClosesInThePast(_)));
        let p = open_round(&store, &id, spec("r"), now).expect("open");
        assert_eq!((p.opens_at, p.metrics.len()), (now, 5));
        assert!(matches!(refused(spec("r")), AggError::RoundExists(_)));
        assert!(matches!(refused(spec("s")), AggError::AnotherRoundOpen(_)));
        assert_eq!(
            open_round_id(&store, now).expect("open id").as_deref(),
            Some("r")
        );
        assert!(due_rounds(&store, now).expect("due").is_empty());
        assert_eq!(
            due_rounds(&store, 2_000).expect("due"),
            vec!["r".to_string()]
        );
        assert!(matches!(
            signed_round(&store, None, 2_000),
            Err(AggError::NoOpenRound)
        ));
        assert_eq!(list(&store).expect("list")[0].submissions, 0);
    }
}
