//! `round open|close|list`: the life cycle of benchmarking rounds.

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use sovbench_core::time::format_utc;

use super::context::{runtime, Output};
use crate::aggregator::Aggregator;
use crate::rounds::{RoundSpec, SecureSpec};
use sovbench_secure::round::Grid;

/// Round actions.
#[derive(Debug, Subcommand)]
pub enum RoundAction {
    /// Open a round (one at a time). Its parameters are signed.
    Open {
        /// Round id, e.g. 2026-q4.
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
        /// Minimum number of contributors for a published cell.
        #[arg(long, default_value_t = 10)]
        min_cohort: u32,
        /// Time until the round closes: e.g. 90s, 30m, 12h, 14d.
        #[arg(long, default_value = "14d")]
        closes_in: String,
    },
    /// Close a round: no further submissions are accepted.
    Close {
        /// Round id.
        id: String,
    },
    /// List rounds.
    List,
}

/// Runs a round action.
pub fn run(agg: &Aggregator, action: RoundAction, out: Output) -> anyhow::Result<()> {
    let lang = out.lang;
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
            min_cohort,
            closes_in,
        } => {
            let closes_at = agg.now() + parse_duration(&closes_in)?;
            let secure = secure_spec(&mode, committee, &grid, all_weight)?;
            let releases_per_node = match (&secure, releases_per_node) {
                (Some(_), r) => r.unwrap_or(0),
                (None, r) => r.unwrap_or(1),
            };
            let p = agg.open_round(RoundSpec {
                round_id: id,
                metrics,
                epsilon_per_release: epsilon,
                releases_per_node,
                min_cohort,
                closes_at,
                secure,
            })?;
            if out.json {
                println!(
                    "{}",
                    json!({"round_id": p.round_id, "closes_at": p.closes_at,
                    "metrics": p.metrics.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
                    "epsilon_per_release": p.epsilon_per_release,
                    "releases_per_node": p.releases_per_node, "min_cohort": p.min_cohort})
                );
            } else {
                println!(
                    "{} {} ({} {}; {} {}, {} {}, k = {})",
                    lang.pick("Runde geöffnet:", "Round opened:"),
                    p.round_id,
                    lang.pick("schließt", "closes"),
                    format_utc(p.closes_at),
                    lang.pick("Epsilon je Wert", "epsilon per value"),
                    p.epsilon_per_release,
                    lang.pick("Werte je Knoten", "values per node"),
                    if p.releases_per_node == 0 {
                        p.metrics.len() as u32
                    } else {
                        p.releases_per_node
                    },
                    p.min_cohort
                );
            }
        }
        RoundAction::Close { id } => {
            let changed = runtime()?.block_on(agg.close_round(&id))?;
            if out.json {
                println!("{}", json!({"round_id": id, "closed_now": changed}));
            } else if changed {
                println!("{} {id}", lang.pick("Runde geschlossen:", "Round closed:"));
            } else {
                println!(
                    "{} {id}",
                    lang.pick(
                        "Runde war bereits geschlossen:",
                        "Round was already closed:"
                    )
                );
            }
        }
        RoundAction::List => {
            let rounds = agg.rounds()?;
            if out.json {
                println!("{}", serde_json::to_string_pretty(&rounds)?);
                return Ok(());
            }
            for r in rounds {
                println!(
                    "{:<16} {:<7} {:<10} {} -> {}  eps {} x {}  k {}  {} {}{}",
                    r.round_id,
                    r.mode,
                    r.status.label(lang),
                    format_utc(r.opens_at),
                    format_utc(r.closes_at),
                    r.epsilon_per_release,
                    if r.releases_per_node == 0 {
                        r.metrics.len() as u32
                    } else {
                        r.releases_per_node
                    },
                    r.min_cohort,
                    r.submissions,
                    lang.pick("Einreichungen", "submissions"),
                    r.trustee_phase
                        .as_ref()
                        .map(|p| format!("  [{}: {p}]", lang.pick("Treuhänder", "trustees")))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// The secure part of `round open` from its flags (`None` in mode direct).
fn secure_spec(
    mode: &str,
    committee: Option<String>,
    grid: &str,
    all_weight: f64,
) -> anyhow::Result<Option<SecureSpec>> {
    match mode {
        "direct" => {
            if committee.is_some() {
                anyhow::bail!("--committee needs --mode secure");
            }
            Ok(None)
        }
        "secure" => {
            let ceremony =
                committee.context("mode secure needs --committee ID (`committee list`)")?;
            let grid = Grid::from_key(grid).with_context(|| {
                format!("unknown grid {grid:?}; use kind-size or all+kind-size")
            })?;
            Ok(Some(SecureSpec {
                ceremony,
                grid,
                all_weight: if grid == Grid::KindSize {
                    0.0
                } else {
                    all_weight
                },
            }))
        }
        other => anyhow::bail!("unknown mode {other:?}; use direct or secure"),
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
