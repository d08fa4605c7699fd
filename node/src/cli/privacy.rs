//! `sovbench-node privacy`: the privacy budget per calendar year, and the report for the data
//! protection officer.

use std::path::PathBuf;

use serde::Serialize;
use sovbench_core::files::write_atomically;

use super::{json_pretty, Out};
use crate::config::PrivacyPolicy;
use crate::node::Node;
use crate::round::policy::{budgets, YearBudget};

/// `privacy --json`.
#[derive(Serialize)]
struct PrivacyJson {
    policy: PrivacyPolicy,
    report: Option<PathBuf>,
    years: Vec<YearBudget>,
}

/// Prints the budget per year; with `report`, writes the report (Markdown) there.
pub(super) fn privacy(node: &Node, report: Option<PathBuf>, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    let now = node.now();
    let years = budgets(&node.store().ledger()?, &node.config().privacy, now);
    if let Some(path) = &report {
        let text = crate::privacy::report::render(node, lang, now)?;
        write_atomically(path, text.as_bytes())?;
    }
    if out.json {
        return json_pretty(&PrivacyJson {
            policy: node.config().privacy.clone(),
            report,
            years,
        });
    }
    println!(
        "{:<6} {:>8} {:>12} {:>10} {:>12}",
        lang.pick("Jahr", "Year"),
        lang.pick("Runden", "Rounds"),
        lang.pick("verbraucht", "spent"),
        lang.pick("Grenze", "limit"),
        lang.pick("verbleibend", "remaining")
    );
    for b in years {
        println!(
            "{:<6} {:>8} {:>12.3} {:>10.3} {:>12.3}",
            b.year, b.rounds, b.spent, b.limit, b.remaining
        );
    }
    if let Some(path) = report {
        println!(
            "{} {}",
            lang.pick("Bericht geschrieben:", "Report written:"),
            path.display()
        );
    }
    Ok(())
}
