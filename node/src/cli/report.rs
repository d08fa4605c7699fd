//! `sovbench-node report`: the self-contained HTML status report.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sovbench_core::files::write_atomically;

use super::{json_line, Out};
use crate::node::Node;

/// `report --json`.
#[derive(Serialize)]
struct ReportJson {
    report: PathBuf,
}

/// Writes the report to `output`.
pub(super) fn run(node: &Node, output: &Path, out: Out) -> anyhow::Result<()> {
    let html = crate::report::render(node, out.lang, node.now())?;
    write_atomically(output, html.as_bytes())?;
    if out.json {
        json_line(&ReportJson {
            report: output.to_path_buf(),
        })
    } else {
        println!(
            "{} {}",
            out.lang.pick("Bericht geschrieben:", "Report written:"),
            output.display()
        );
        Ok(())
    }
}
