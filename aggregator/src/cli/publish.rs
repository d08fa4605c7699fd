//! `publish`: compute, sign and store the benchmark of a closed round; print it, optionally write
//! the JSON export.

use std::path::PathBuf;

use anyhow::Context as _;
use sovbench_core::files::write_atomically;

use crate::admin::commands::Outcome;

/// Arguments of `publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Round id.
    pub round: String,
    /// Also write the signed publication as JSON (payload, signature, public_key, benchmark).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// Writes the export document of a `publish` outcome to `path`.
pub fn write_export(outcome: &Outcome, path: &std::path::Path) -> anyhow::Result<()> {
    let doc = outcome
        .export
        .as_deref()
        .context("the aggregator returned no export document")?;
    write_atomically(path, doc.as_bytes()).context("writing the export")
}
