//! `publish`: compute, sign and store the benchmark of a closed round; print it, optionally write
//! the JSON export.

use std::path::PathBuf;

use anyhow::Context as _;
use sovbench_core::files::write_atomically;

use super::context::Output;
use crate::aggregator::Aggregator;
use crate::publication::{export_publication, render_text};

/// Arguments of `publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Round id.
    pub round: String,
    /// Also write the signed publication as JSON (payload, signature, public_key, benchmark).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// Runs `publish`.
pub fn run(agg: &Aggregator, args: PublishArgs, out: Output) -> anyhow::Result<()> {
    let msg = agg.publish(&args.round)?;
    let doc = export_publication(&msg)?;
    if let Some(path) = args.export {
        write_atomically(&path, serde_json::to_string_pretty(&doc)?.as_bytes())
            .context("writing the export")?;
    }
    if out.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", render_text(&msg, out.lang)?);
    }
    Ok(())
}
