//! `sovbench-node procurement`: the weighted criteria matrix and the scoring of candidates.

use std::path::PathBuf;

use clap::Subcommand;

use super::{json_pretty, Out};
use crate::node::Node;
use crate::procurement::{self, criteria::CriteriaEdit};

/// Procurement actions.
#[derive(Debug, Subcommand)]
pub enum ProcurementAction {
    /// Show or change the criteria matrix.
    Criteria {
        /// Set a weight: KEY=WEIGHT (repeatable).
        #[arg(long, value_name = "KEY=WEIGHT")]
        set: Vec<String>,
        /// Add an own criterion: KEY=WEIGHT:LABEL (repeatable).
        #[arg(long, value_name = "KEY=WEIGHT:LABEL")]
        add: Vec<String>,
        /// Remove an own criterion.
        #[arg(long, value_name = "KEY")]
        remove: Vec<String>,
        /// Back to the default matrix.
        #[arg(long)]
        reset: bool,
    },
    /// Rank candidate products from a TOML file and explain each score.
    Score {
        /// Candidate file (see docs/samples/kandidaten.toml).
        file: PathBuf,
        /// Also write the ranking as CSV or ODS (by extension).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
}

/// Runs a procurement action.
pub(super) fn run(node: &Node, action: ProcurementAction, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    match action {
        ProcurementAction::Criteria {
            set,
            add,
            remove,
            reset,
        } => {
            let edit = CriteriaEdit {
                set,
                add,
                remove,
                reset,
            };
            let c = procurement::criteria::edit(node, &edit)?;
            if out.json {
                json_pretty(&c)?;
            } else {
                for x in &c {
                    println!("{:<18} {:<28} {}", x.key, x.label, x.weight);
                }
            }
        }
        ProcurementAction::Score { file, export } => {
            let cands = procurement::read_candidates(&file)?;
            let criteria = node.store().criteria()?;
            let scored = procurement::score(&cands, &criteria, lang);
            if let Some(path) = export {
                procurement::export(&path, &scored, &criteria, lang)?;
            }
            if out.json {
                json_pretty(&scored)?;
            } else {
                for s in &scored {
                    println!("{}. {} — {:.1} / 100", s.rank, s.name, s.total);
                    for p in &s.parts {
                        let label = criteria
                            .iter()
                            .find(|c| c.key == p.key)
                            .map_or(p.key.as_str(), |c| c.label.as_str());
                        println!(
                            "     {:<24} {:.1}/5 x {:>5}  {}",
                            label, p.score, p.weight, p.why
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
