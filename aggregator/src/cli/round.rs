//! `round open|close|list`: the life cycle of benchmarking rounds.

use anyhow::Context as _;
use clap::Subcommand;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;

/// Round actions.
#[derive(Debug, Subcommand)]
pub enum RoundAction {
    /// Open a round (one at a time). Its parameters are signed. Prints a sizing preview first:
    /// per cohort the active enrolments, whether cells are expected to publish and their
    /// expected half-widths, and warnings when typical node policies would refuse the round.
    Open {
        /// Round id, e.g. 2026-q4: 1-64 letters, digits, '.', '_' or '-', starting with a
        /// letter or digit.
        id: String,
        /// Metric ids, comma separated (default: the five self-test dimensions; others:
        /// selftest.band, selftest.exit_strategy, inventory.*, path.*).
        #[arg(long, value_delimiter = ',')]
        metrics: Vec<String>,
        /// Mode direct: epsilon of one released value (each node spends it times
        /// --releases-per-node). Mode secure: the privacy loss of one administration's whole
        /// submission (all metrics, all cells of the grid), set by the trustees' noise.
        #[arg(long, default_value_t = 1.0)]
        epsilon: f64,
        /// How many metrics each node releases, chosen at random on the node (0 = all).
        /// Each node then spends epsilon times this number. Mode secure: always 0 (all).
        #[arg(long)]
        releases_per_node: Option<u32>,
        /// direct (local noise on each node) or secure (values encrypted to a trustee
        /// committee, noise added once to the cell sums; needs --committee).
        #[arg(long, default_value = "direct", value_name = "direct|secure")]
        mode: String,
        /// Mode secure: id of a complete DKG ceremony (`committee list`).
        #[arg(long, value_name = "ID")]
        committee: Option<String>,
        /// Mode secure: the publication grid, kind-size or all+kind-size.
        #[arg(long, default_value = "kind-size")]
        grid: String,
        /// Mode secure, grid all+kind-size: share of epsilon spent on the cell `all`, in (0, 1).
        #[arg(long, default_value_t = 0.3)]
        all_weight: f64,
        /// Mode secure: path bound b, at most b migration paths per administration (its path
        /// metrics are encrypted together; the paths cost 2·b instead of 2 each in the
        /// sensitivity). Capped at the round's number of path metrics; 0 = none.
        #[arg(long, default_value_t = 3)]
        path_bound: u32,
        /// Minimum number of contributors for a published cell.
        #[arg(long, default_value_t = 10)]
        min_cohort: u32,
        /// Time until the round closes: e.g. 90s, 30m, 12h, 14d.
        #[arg(long, default_value = "14d")]
        closes_in: String,
        /// Only print the sizing preview (cells expected to publish, half-widths, warnings);
        /// open nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Close a round: no further submissions are accepted.
    Close {
        /// Round id.
        id: String,
    },
    /// Abandon a closed secure round that cannot be decrypted (for example because the trustees
    /// refused its bulletin): it is never published, the reason is recorded, and every node that
    /// asks for its publication is told. The trustees move on to the next round.
    Abandon {
        /// Round id.
        id: String,
        /// Why, in a sentence the administrations will read.
        #[arg(long)]
        reason: String,
    },
    /// List rounds.
    List,
}

/// The operator command of a round action.
pub fn command(action: RoundAction) -> Command {
    match action {
        RoundAction::Open {
            id,
            metrics,
            epsilon,
            releases_per_node,
            mode,
            committee,
            grid,
            all_weight,
            path_bound,
            min_cohort,
            closes_in,
            dry_run,
        } => Command::OpenRound(pb::AdminOpenRound {
            id,
            metrics,
            epsilon,
            releases_per_node,
            mode,
            committee,
            grid,
            all_weight,
            min_cohort,
            closes_in,
            dry_run,
            path_bound,
        }),
        RoundAction::Close { id } => Command::CloseRound(id),
        RoundAction::Abandon { id, reason } => Command::AbandonRound(pb::AdminAbandonRound {
            round_id: id,
            reason,
        }),
        RoundAction::List => Command::ListRounds(pb::AdminQuery {}),
    }
}

/// Parses a duration such as `90s`, `30m`, `12h`, `14d` into seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().with_context(|| {
        format!("duration {text:?}: expected a number followed by s, m, h or d")
    })?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => anyhow::bail!("duration {text:?}: unknown unit {other:?}; use s, m, h or d"),
    };
    if n <= 0 {
        anyhow::bail!("duration {text:?} must be positive");
    }
    n.checked_mul(mult)
        .filter(|s| *s <= 100 * 365 * 86_400)
        .with_context(|| format!("duration {text:?} is longer than 100 years"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("30m").unwrap(), 1_800);
        assert_eq!(parse_duration("2h").unwrap(), 7_200);
        assert_eq!(parse_duration("14d").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("m").is_err());
    }
}
