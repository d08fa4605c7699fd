//! The server loop's housekeeping: closing rounds whose time has passed and publishing closed
//! ones, retrying a failed publication with backoff ([`Retry`]).

use std::collections::HashMap;
use std::time::Duration;

use crate::aggregator::Aggregator;

/// Retries of failed automatic publications: after the n-th failure of a round, the next attempt
/// waits `base` × 2^(n-1), at most `max`.
#[derive(Debug, Clone)]
pub struct Retry {
    base: Duration,
    max: Duration,
    failed: HashMap<String, (u32, tokio::time::Instant)>,
}

impl Retry {
    /// Backoff from `base`, doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Retry {
        Retry {
            base,
            max,
            failed: HashMap::new(),
        }
    }

    fn due(&self, round: &str, now: tokio::time::Instant) -> bool {
        self.failed.get(round).is_none_or(|(_, next)| now >= *next)
    }

    fn failed(&mut self, round: &str, now: tokio::time::Instant) -> Duration {
        let n = self.failed.get(round).map_or(1, |(n, _)| n + 1);
        let wait = self
            .base
            .saturating_mul(1u32 << (n - 1).min(20))
            .min(self.max);
        self.failed.insert(round.to_string(), (n, now + wait));
        wait
    }
}

/// Closes every round whose closing time has passed, then publishes every closed round that is
/// not published yet: a publication that failed (in this or an earlier process) is tried again,
/// after the backoff of `retry`.
pub async fn close_due_rounds(agg: &Aggregator, retry: &mut Retry) {
    match agg.due_rounds(agg.now()) {
        Ok(due) => {
            for id in due {
                match agg.close_round(&id).await {
                    Ok(_) => tracing::info!(round = %id, "round closed"),
                    Err(e) => tracing::error!(round = %id, error = %e, "closing"),
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "checking due rounds"),
    }
    let unpublished = match agg.unpublished_rounds() {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "checking unpublished rounds");
            return;
        }
    };
    let now = tokio::time::Instant::now();
    for id in unpublished {
        if !retry.due(&id, now) {
            continue;
        }
        match agg.is_secure(&id) {
            Ok(false) => {}
            Ok(true) => {
                // Mode secure: as far as the trustees allow.
                match agg.advance_secure(&id) {
                    Ok(Some(_)) => {
                        retry.failed.remove(&id);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let wait = retry.failed(&id, now);
                        tracing::error!(round = %id, error = %e, retry_in_s = wait.as_secs_f64(), "secure round; will retry");
                    }
                }
                continue;
            }
            Err(e) => {
                tracing::error!(round = %id, error = %e, "reading the round");
                continue;
            }
        }
        match agg.publish(&id) {
            Ok(_) => {
                retry.failed.remove(&id);
                tracing::info!(round = %id, "round published");
            }
            Err(e) => {
                let wait = retry.failed(&id, now);
                tracing::error!(round = %id, error = %e, retry_in_s = wait.as_secs_f64(), "publishing failed; will retry");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::clock::TestClock;

    /// A publication that fails is tried again by the next pass (the old loop only looked at
    /// open rounds and never came back to a closed, unpublished one).
    #[tokio::test]
    async fn a_failed_automatic_publication_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let (handle, clock) = TestClock::shared(1_790_000_000);
        let agg = Aggregator::init_with_clock(dir.path(), "Test", clock).unwrap();
        agg.open_round(crate::RoundSpec {
            round_id: "r".into(),
            metrics: Vec::new(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 2,
            closes_at: 1_790_000_600,
            secure: None,
        })
        .unwrap();
        handle.advance(601);
        agg.close_round("r").await.unwrap();
        agg.set_commit_hook(Some(std::sync::Arc::new(|| Err("disk full".into()))));
        let mut retry = Retry::new(Duration::ZERO, Duration::ZERO);
        close_due_rounds(&agg, &mut retry).await;
        assert_eq!(agg.unpublished_rounds().unwrap(), vec!["r".to_string()]);
        agg.set_commit_hook(None);
        close_due_rounds(&agg, &mut retry).await;
        assert!(agg.publication(Some("r")).is_ok());
        assert!(agg.unpublished_rounds().unwrap().is_empty());
    }

    #[test]
    fn the_backoff_doubles_up_to_its_limit() {
        let mut r = Retry::new(Duration::from_secs(10), Duration::from_secs(25));
        let t = tokio::time::Instant::now();
        assert_eq!(r.failed("r", t), Duration::from_secs(10));
        assert!(!r.due("r", t + Duration::from_secs(9)));
        assert!(r.due("r", t + Duration::from_secs(10)));
        assert_eq!(r.failed("r", t), Duration::from_secs(20));
        assert_eq!(r.failed("r", t), Duration::from_secs(25));
    }
}
