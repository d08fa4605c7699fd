//! The node daemon (`sovbench-node serve`): every interval it delivers the outbox and takes part
//! in the open round, and, if the administration offers paths, keeps its peer offers current and
//! completes contact-card exchanges. Failures are logged and retried in the next cycle; the loop
//! ends when `shutdown` completes, never in the middle of a unit of work.
//!
//! The daemon holds the store only briefly, so that the command line (`status`, `inventory`,
//! `report`, ...) works while it runs: each tick first reads `node.toml` and connects to the
//! aggregator without the store, and only if the aggregator answers opens the node for one unit
//! of work (outbox and round: [`submit_unit`]; peer matching: [`peers_unit`]), closing the store
//! after each. A command that finds the store in use waits a few seconds for the unit to end.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use sovbench_core::clock::SharedClock;

use crate::config::NodeConfig;
use crate::error::NodeError;
use crate::link::Link;
use crate::node::Node;
use crate::{peers, round};

/// Runs ticks every `interval_secs` (at least one second) on the node in `dir` until `shutdown`
/// completes. A tick that has started is finished first.
pub async fn run(
    dir: &Path,
    clock: SharedClock,
    interval_secs: u64,
    shutdown: impl Future<Output = ()>,
) {
    let interval = Duration::from_secs(interval_secs.max(1));
    tracing::info!(interval = interval.as_secs(), "node daemon started");
    tokio::pin!(shutdown);
    loop {
        tick(dir, &clock).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                return;
            }
        }
    }
}

/// One tick: connect to the aggregator of the current `node.toml` without holding the store;
/// then one unit of work for the round and one for peer matching, each with the store opened
/// for it alone.
pub async fn tick(dir: &Path, clock: &SharedClock) {
    let config = match NodeConfig::load(dir) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "reading node.toml failed; will retry");
            return;
        }
    };
    let link = Node::link_for(dir, &config);
    if let Err(e) = link.connect().await {
        tracing::warn!(error = %e, "aggregator not reachable; will retry");
        return;
    }
    let Some(node) = open(dir, clock, link) else {
        return;
    };
    submit_unit(&node).await;
    let offers = peers::offers(&node);
    let link = reuse(node);
    if matches!(offers, Ok(ref o) if !o.is_empty()) {
        if let Some(node) = open(dir, clock, link) {
            peers_unit(&node).await;
        }
    } else if let Err(e) = offers {
        tracing::warn!(error = %e, "reading peer offers");
    }
}

/// The daemon beside the browser workplace: every `interval_secs` it delivers the outbox and
/// keeps peer matching going, on the node the workplace holds (requests and cycles take turns).
/// It does not take part in rounds by itself: a person sends.
pub async fn run_workplace(
    site: &crate::web::Site,
    dir: &Path,
    interval_secs: u64,
    shutdown: impl Future<Output = ()>,
) {
    let interval = Duration::from_secs(interval_secs.max(1));
    tracing::info!(
        interval = interval.as_secs(),
        "node daemon started beside the workplace"
    );
    tokio::pin!(shutdown);
    loop {
        workplace_tick(site, dir).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                return;
            }
        }
    }
}

/// The daemon of a hosted node: every `interval_secs`, for each administration, what
/// [`run_workplace`] does for one; and for removed administrations, their pending withdrawals.
pub async fn run_hosted(
    hosted: &crate::web::hosted::Hosted,
    interval_secs: u64,
    shutdown: impl Future<Output = ()>,
) {
    let interval = Duration::from_secs(interval_secs.max(1));
    tracing::info!(interval = interval.as_secs(), "hosted node daemon started");
    tokio::pin!(shutdown);
    loop {
        hosted_tick(hosted).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                return;
            }
        }
    }
}

async fn hosted_tick(hosted: &crate::web::hosted::Hosted) {
    let hosting = hosted.hosting();
    match hosting.tenants() {
        Ok(tenants) => {
            for t in tenants {
                match hosted.site(&t.id).await {
                    Ok(Some((site, _))) => workplace_tick(&site, &hosting.tenant_dir(&t.id)).await,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(tenant = %t.id, error = ?e, "opening the tenant failed; will retry")
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "listing the tenants failed; will retry"),
    }
    if let Ok(removed) = hosting.removed() {
        for t in removed {
            let Ok(node) = Node::open(&hosting.removed_dir(&t.id)) else {
                continue;
            };
            peers::deliver_pending(&node).await;
        }
    }
}

/// One cycle beside the workplace: connect without holding the store, then deliver the outbox
/// and, if anything is offered, the peer unit.
async fn workplace_tick(site: &crate::web::Site, dir: &Path) {
    let config = match NodeConfig::load(dir) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "reading node.toml failed; will retry");
            return;
        }
    };
    if config.aggregator_url.is_none() {
        return;
    }
    if let Err(e) = Node::link_for(dir, &config).connect().await {
        tracing::warn!(error = %e, "aggregator not reachable; will retry");
        return;
    }
    let node = match site.node().await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = ?e, "opening the node failed; will retry");
            return;
        }
    };
    match round::flush_outbox(&node).await {
        Ok(d) if !d.is_empty() => tracing::info!(deliveries = ?d, "outbox delivered"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "delivering the outbox failed; will retry"),
    }
    match peers::offers(&node) {
        Ok(offers) if !offers.is_empty() => peers_unit(&node).await,
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reading peer offers"),
    }
}

/// Opens the node for one unit of work with an already connected link; logs why not.
fn open(dir: &Path, clock: &SharedClock, link: Link) -> Option<Node> {
    match Node::open_with_link(dir, clock.clone(), link) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "opening the node failed; will retry");
            None
        }
    }
}

/// Closes the store of `node` and keeps its connected link for the next unit.
fn reuse(node: Node) -> Link {
    node.into_link()
}

/// One cycle on an open node: [`submit_unit`], then [`peers_unit`] if anything is offered.
pub async fn cycle(node: &Node) {
    submit_unit(node).await;
    match peers::offers(node) {
        Ok(offers) if !offers.is_empty() => peers_unit(node).await,
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reading peer offers"),
    }
}

/// Submit (with the outbox).
pub async fn submit_unit(node: &Node) {
    match round::submit(node).await {
        Ok(r) => tracing::info!(report = ?r, "cycle done"),
        Err(NodeError::NoAssessment) => tracing::warn!("no self-test recorded yet"),
        Err(e) => tracing::warn!(error = %e, "cycle failed; will retry"),
    }
}

/// Peer matching: re-send offers whose stage changed, hand over this node's card for accepted
/// requests and open cards that arrived.
pub async fn peers_unit(node: &Node) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::clock::SystemClock;

    #[tokio::test]
    async fn the_loop_ends_when_told_and_a_missing_aggregator_is_only_logged() {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::node::testing::node(dir.path()));
        let run = run(dir.path(), SystemClock::shared(), 3_600, async {});
        tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the daemon stops once shutdown completes");
        let n = Node::open(dir.path()).expect("the store is free after the loop");
        assert!(n.store().ledger().unwrap().is_empty());
    }
}
