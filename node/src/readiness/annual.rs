//! Performing the annual switch-readiness check on the stored inventory and migration paths
//! (dated by the node's clock), storing its result, and the changes since the previous one.

use serde::Serialize;

use super::{check, diff, ReadinessDiff, ReadinessResult};
use crate::error::NodeError;
use crate::node::Node;

/// A check performed and stored, with what changed since the previous one (`--json` shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Performed {
    /// Changes since the previous check, if there was one.
    pub changes: Option<ReadinessDiff>,
    /// The result.
    pub result: ReadinessResult,
}

/// Why no check was performed.
#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    /// There is nothing to check.
    #[error("the inventory is empty; add systems with `inventory add` or `inventory import`")]
    EmptyInventory,
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// Performs the check now, stores its result and compares it with the previous one.
pub fn perform(node: &Node) -> Result<Performed, ReadinessError> {
    let store = node.store();
    let systems = store.systems()?;
    if systems.is_empty() {
        return Err(ReadinessError::EmptyInventory);
    }
    let previous = store.latest_readiness()?;
    let result = check(&systems, &store.migrations()?, node.today(), node.now());
    store.add_readiness(&result)?;
    Ok(Performed {
        changes: previous.as_ref().map(|p| diff(p, &result)),
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::testing::{node, sample_inventory};
    use sovbench_core::clock::TestClock;

    #[test]
    fn checks_are_dated_by_the_node_clock_stored_and_compared() {
        let dir = tempfile::tempdir().unwrap();
        drop(node(dir.path()));
        let (handle, clock) = TestClock::shared(1_790_000_000);
        let n = Node::open_with_clock(dir.path(), clock).unwrap();
        assert!(matches!(perform(&n), Err(ReadinessError::EmptyInventory)));
        assert!(n.store().latest_readiness().unwrap().is_none());
        crate::inventory::edit::import(&n, &sample_inventory(), Default::default()).unwrap();
        let first = perform(&n).unwrap();
        assert_eq!(first.result.checked_at, 1_790_000_000);
        assert_eq!(first.result.systems, 60);
        assert!(first.changes.is_none());
        handle.advance(86_400);
        let second = perform(&n).unwrap();
        let d = second.changes.expect("changes since the first check");
        assert_eq!(d.previous_at, 1_790_000_000);
        assert_eq!(n.store().latest_readiness().unwrap(), Some(second.result));
    }
}
