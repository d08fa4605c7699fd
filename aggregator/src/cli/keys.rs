//! `init` and `key`: create the aggregator, print its public key.

use std::path::Path;

use super::context::Output;
use crate::admin::commands::{self, Style};
use crate::aggregator::Aggregator;

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Name of the consortium, e.g. "IT-Verbund Nord".
    #[arg(long)]
    pub consortium: String,
}

/// `init`: creates the aggregator in `dir` and prints its key.
pub fn init(dir: &Path, args: InitArgs, out: Output) -> anyhow::Result<()> {
    let agg = Aggregator::init(dir, &args.consortium)?;
    let mut w = String::new();
    commands::key(
        &agg,
        Style {
            json: out.json,
            lang: out.lang,
        },
        &mut w,
        true,
    )?;
    print!("{w}");
    Ok(())
}
