//! `committee create|list`: the DKG ceremonies of trustee committees (mode secure).

use clap::Subcommand;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;

/// Committee actions.
#[derive(Debug, Subcommand)]
pub enum CommitteeAction {
    /// Register a DKG ceremony: the trustees then run the key generation through this
    /// aggregator (`DkgPost` / `DkgFetch`); it is complete when all agree on one committee.
    Create {
        /// Ceremony id, e.g. nord-2026: 1-64 letters, digits, '.', '_' or '-', starting with
        /// a letter or digit.
        id: String,
        /// Threshold t: trustees needed to decrypt (1 ≤ t ≤ m).
        #[arg(long)]
        threshold: u32,
        /// A trustee's raw Ed25519 public key (base64), in committee order; 2 to 64 of them.
        #[arg(long = "trustee", value_name = "KEY_B64", required = true)]
        trustees: Vec<String>,
    },
    /// List ceremonies: t of m, messages posted, complete, committee fingerprint.
    List,
}

/// The operator command of a committee action.
pub fn command(action: CommitteeAction) -> Command {
    match action {
        CommitteeAction::Create {
            id,
            threshold,
            trustees,
        } => Command::CreateCommittee(pb::AdminCreateCommittee {
            id,
            threshold,
            trustees,
        }),
        CommitteeAction::List => Command::ListCommittees(pb::AdminQuery {}),
    }
}
