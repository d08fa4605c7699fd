//! The node daemon (`sovbench-node serve`): every interval it delivers the outbox and takes part
//! in the open round, and, if the administration offers paths, keeps its peer offers current and
//! completes contact-card exchanges. Failures are logged and retried in the next cycle; the loop
//! ends when `shutdown` completes.

use std::future::Future;
use std::time::Duration;

use crate::error::NodeError;
use crate::node::Node;
use crate::{peers, round};

/// Runs cycles every `interval_secs` (at least one second) until `shutdown` completes.
pub async fn run(node: &Node, interval_secs: u64, shutdown: impl Future<Output = ()>) {
    let interval = Duration::from_secs(interval_secs.max(1));
    tracing::info!(interval = interval.as_secs(), "node daemon started");
    tokio::pin!(shutdown);
    loop {
        cycle(node).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                return;
            }
        }
    }
}

/// One cycle: submit (with the outbox), then peer matching if anything is offered.
pub async fn cycle(node: &Node) {
    match round::submit(node).await {
        Ok(r) => tracing::info!(report = ?r, "cycle done"),
        Err(NodeError::NoAssessment) => tracing::warn!("no self-test recorded yet"),
        Err(e) => tracing::warn!(error = %e, "cycle failed; will retry"),
    }
    // Peer matching: re-send offers whose stage changed, hand over this node's card for
    // accepted requests and open cards that arrived.
    match peers::offers(node) {
        Ok(offers) if !offers.is_empty() => {
            if let Err(e) = peers::refresh_offers(node).await {
                tracing::warn!(error = %e, "refreshing peer offers failed; will retry");
            }
            match peers::requests(node).await {
                Ok(v) => tracing::info!(
                    incoming = v.incoming.len(),
                    outgoing = v.outgoing.len(),
                    "peer requests synchronised"
                ),
                Err(e) => tracing::warn!(error = %e, "peer requests failed; will retry"),
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reading peer offers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_loop_ends_when_told_and_a_missing_aggregator_is_only_logged() {
        let dir = tempfile::tempdir().unwrap();
        let n = crate::node::testing::node(dir.path());
        let run = run(&n, 3_600, async {});
        tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the daemon stops once shutdown completes");
        assert!(n.store().ledger().unwrap().is_empty());
    }
}
