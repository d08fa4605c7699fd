//! `sovbench-node readiness`: the annual switch-readiness check.

use super::{json_pretty, Out};
use crate::node::Node;
use crate::readiness::{annual, render};

/// Performs and stores the check; prints it with the changes since the previous one.
pub(super) fn run(node: &Node, out: Out) -> anyhow::Result<()> {
    let done = annual::perform(node)?;
    if out.json {
        json_pretty(&done)
    } else {
        print!(
            "{}",
            render::render(&done.result, done.changes.as_ref(), out.lang)
        );
        Ok(())
    }
}
