//! `enrol`: enrol a node's key with its cohort attributes, list the enrolments, or revoke one.

use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;

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
    /// Revoke the enrolment of this public key (base64). Takes effect at once, also while
    /// `serve` runs: the key's next submission is refused.
    #[arg(long, value_name = "KEY", conflicts_with = "key")]
    pub revoke: Option<String>,
    /// Change the name or attributes of an enrolled key (without it such a re-enrolment is
    /// refused).
    #[arg(long, conflicts_with_all = ["list", "revoke"])]
    pub update: bool,
}

/// The operator command of `enrol`.
pub fn command(args: EnrolArgs) -> anyhow::Result<Command> {
    if args.list {
        return Ok(Command::ListEnrolments(pb::AdminQuery {}));
    }
    if let Some(k) = args.revoke {
        return Ok(Command::Revoke(k));
    }
    let (Some(key), Some(name), Some(kind), Some(state)) =
        (args.key, args.name, args.kind, args.state)
    else {
        anyhow::bail!("enrol needs --key, --name, --kind and --state");
    };
    Ok(Command::Enrol(pb::AdminEnrol {
        key,
        name,
        kind,
        state,
        population: args.population,
        staff: args.staff,
        update: args.update,
    }))
}
