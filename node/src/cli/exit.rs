//! The exit codes of `sovbench-node`, documented in `--help` and `docs/OPERATIONS.md`.

use std::process::ExitCode;

use crate::error::NodeError;

/// What a run of a command ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success; a submission was delivered (or there was nothing to submit).
    Ok = 0,
    /// An error: the message says what and where (a file and setting to fix).
    Error = 1,
    /// Invalid command line (clap's usage errors).
    Usage = 2,
    /// Refused for good, by the aggregator (e.g. not enrolled, round closed) or by the node's
    /// own privacy policy; nothing is queued for this.
    Refused = 3,
    /// Queued: a submission (or a peer-offer withdrawal) waits in the outbox because the
    /// aggregator is unreachable or failing for now; the next `submit` or `serve` retries it.
    Queued = 4,
    /// The aggregator is unreachable for a command that queues nothing (`compare`, `peers`, a
    /// `submit` that had nothing to record).
    Unreachable = 5,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// The exit code of a failed run: the first [`NodeError`] in the chain decides.
    pub fn of_error(e: &anyhow::Error) -> Exit {
        e.chain()
            .find_map(|c| c.downcast_ref::<NodeError>())
            .map(Exit::of_node_error)
            .unwrap_or(Exit::Error)
    }

    /// The exit code of a node error.
    pub fn of_node_error(e: &NodeError) -> Exit {
        match e {
            NodeError::NotEnrolled { .. }
            | NodeError::Refused { .. }
            | NodeError::Policy { .. }
            | NodeError::BadRound { .. }
            | NodeError::CommitteeNotPinned { .. }
            | NodeError::WrongCommittee { .. } => Exit::Refused,
            NodeError::Unreachable { .. } => Exit::Unreachable,
            _ => Exit::Error,
        }
    }
}

/// The `--help` text of the exit codes, English.
pub(crate) const HELP_EN: &str = "Exit codes: 0 success (submission delivered); 1 error (the \
message names the file and setting to fix); 2 invalid command line; 3 refused for good by the \
aggregator (e.g. not enrolled, round closed) or by the privacy policy in node.toml, nothing \
queued; 4 queued: a submission or peer-offer withdrawal waits in the outbox (aggregator \
unreachable or failing for now) and is retried by the next submit or by serve; 5 aggregator \
unreachable, nothing queued. With both a refusal and a queued submission in one run, 3 wins.";

/// The `--help` text of the exit codes, German.
pub(crate) const HELP_DE: &str = "Exit-Codes: 0 Erfolg (Meldung zugestellt); 1 Fehler (die \
Meldung nennt Datei und Einstellung); 2 ungültige Kommandozeile; 3 endgültig abgelehnt vom \
Aggregator (z. B. nicht aufgenommen, Runde geschlossen) oder von der Datenschutzrichtlinie in \
node.toml, nichts im Postausgang; 4 im Postausgang: eine Meldung oder ein Rückzug eines \
Peer-Angebots wartet (Aggregator nicht erreichbar oder vorübergehend gestört) und wird beim \
nächsten submit oder von serve erneut gesendet; 5 Aggregator nicht erreichbar, nichts im \
Postausgang. Treffen Ablehnung und Postausgang in einem Lauf zusammen, gilt 3.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_unreachable_and_other_errors_have_distinct_codes() {
        let not_enrolled = NodeError::NotEnrolled {
            fingerprint: "ab".into(),
            revoked: false,
        };
        assert_eq!(Exit::of_node_error(&not_enrolled), Exit::Refused);
        let down = NodeError::Unreachable {
            url: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        };
        assert_eq!(Exit::of_node_error(&down), Exit::Unreachable);
        assert_eq!(Exit::of_node_error(&NodeError::NoAssessment), Exit::Error);
        let wrapped = anyhow::Error::new(not_enrolled).context("submitting");
        assert_eq!(Exit::of_error(&wrapped), Exit::Refused);
        assert_eq!(Exit::of_error(&anyhow::anyhow!("other")), Exit::Error);
        let codes = [0u8, 1, 2, 3, 4, 5];
        let all = [
            Exit::Ok,
            Exit::Error,
            Exit::Usage,
            Exit::Refused,
            Exit::Queued,
            Exit::Unreachable,
        ];
        assert_eq!(all.map(|e| e as u8), codes);
    }
}
