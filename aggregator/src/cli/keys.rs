//! `init` and `key`: create the aggregator, print its public key.

use std::path::Path;

use serde_json::json;
use sovbench_core::envelope::{b64, fingerprint};

use super::context::Output;
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
    print_key(&agg, out, true)
}

/// `key`: prints the aggregator's key.
pub fn key(agg: &Aggregator, out: Output) -> anyhow::Result<()> {
    print_key(agg, out, false)
}

fn print_key(agg: &Aggregator, out: Output, new: bool) -> anyhow::Result<()> {
    let lang = out.lang;
    let key = b64(agg.public_key());
    let fp = fingerprint(agg.public_key());
    if out.json {
        println!(
            "{}",
            json!({"data_dir": agg.dir(), "consortium": agg.consortium()?, "public_key": key, "fingerprint": fp})
        );
        return Ok(());
    }
    if new {
        println!(
            "{} {}",
            lang.pick("Aggregator angelegt in", "Aggregator created in"),
            agg.dir().display()
        );
    }
    println!(
        "{}: {}",
        lang.pick("Verbund", "Consortium"),
        agg.consortium()?
    );
    println!(
        "{}: {key}",
        lang.pick("Öffentlicher Schlüssel", "Public key")
    );
    println!("{}: {fp}", lang.pick("Fingerabdruck", "Fingerprint"));
    println!(
        "{}",
        lang.pick(
            "Knoten tragen diesen Schlüssel als aggregator_key ein (sovbench-node init --aggregator-key).",
            "Nodes configure this key as aggregator_key (sovbench-node init --aggregator-key)."
        )
    );
    Ok(())
}
