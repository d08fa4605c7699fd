//! `enrol`: enrol a node's key with its cohort attributes, list the enrolments, or revoke one.

use anyhow::Context as _;
use sovbench_core::cohort::{parse_state, CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope;
use sovbench_core::time::format_utc;

use super::context::Output;
use crate::aggregator::Aggregator;

/// Arguments of `enrol`.
#[derive(Debug, clap::Args)]
pub struct EnrolArgs {
    /// The node's public key (base64, printed by `sovbench-node init`).
    #[arg(long, required_unless_present_any = ["list", "revoke"])]
    pub key: Option<String>,
    /// Name of the administration (kept for the operator; never published).
    #[arg(long, required_unless_present_any = ["list", "revoke"])]
    pub name: Option<String>,
    /// Kind: gemeinde, stadt, landkreis, land, bund, it-dienstleister.
    #[arg(long, required_unless_present_any = ["list", "revoke"])]
    pub kind: Option<String>,
    /// Bundesland, ISO 3166-2:DE code.
    #[arg(long, required_unless_present_any = ["list", "revoke"])]
    pub state: Option<String>,
    /// Population (territorial bodies).
    #[arg(long, conflicts_with = "staff")]
    pub population: Option<u64>,
    /// Staff count (Bund, IT-Dienstleister).
    #[arg(long)]
    pub staff: Option<u64>,
    /// List enrolments instead.
    #[arg(long, conflicts_with_all = ["key", "revoke"])]
    pub list: bool,
    /// Revoke the enrolment of this public key (base64).
    #[arg(long, value_name = "KEY", conflicts_with = "key")]
    pub revoke: Option<String>,
}

/// Runs `enrol`.
pub fn run(agg: &Aggregator, args: EnrolArgs, out: Output) -> anyhow::Result<()> {
    let lang = out.lang;
    if args.list {
        let all = agg.enrolments()?;
        if out.json {
            println!("{}", serde_json::to_string_pretty(&all)?);
            return Ok(());
        }
        for e in all {
            println!(
                "{}  {:<40} {:<17} {} {:<12} {}",
                e.fingerprint,
                e.name,
                e.attributes.kind.key(),
                e.attributes.state,
                e.attributes.size.key(),
                match e.revoked_at {
                    Some(t) => format!("{} {}", lang.pick("widerrufen", "revoked"), format_utc(t)),
                    None => lang.pick("aktiv", "active").to_string(),
                }
            );
        }
    } else if let Some(k) = args.revoke {
        let raw = envelope::unb64(&k).context("--revoke: the key is not base64")?;
        let e = agg.revoke(&raw)?;
        if out.json {
            println!("{}", serde_json::to_string_pretty(&e)?);
        } else {
            println!(
                "{} {} ({})",
                lang.pick("Widerrufen:", "Revoked:"),
                e.fingerprint,
                e.name
            );
        }
    } else {
        let (Some(key), Some(name), Some(kind), Some(state)) =
            (args.key, args.name, args.kind, args.state)
        else {
            anyhow::bail!("enrol needs --key, --name, --kind and --state");
        };
        let raw = envelope::unb64(&key).context("--key: the key is not base64")?;
        let kind: Kind = kind.parse()?;
        let size = args
            .population
            .or(args.staff)
            .context("give --population (territorial bodies) or --staff (others)")?;
        let attrs = CohortAttributes {
            kind,
            state: parse_state(&state)?,
            size: SizeClass::classify(kind, size),
        };
        let e = agg.enrol(&raw, &name, attrs, size)?;
        if out.json {
            println!("{}", serde_json::to_string_pretty(&e)?);
        } else {
            println!(
                "{} {} ({}; {})",
                lang.pick("Aufgenommen:", "Enrolled:"),
                e.name,
                e.fingerprint,
                e.attributes.cohorts().join(" | ")
            );
        }
    }
    Ok(())
}
