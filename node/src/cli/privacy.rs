//! `sovbench-node privacy`: the privacy budget (the last 365 days, the lifetime total, when budget
//! frees up, the history per calendar year), and the report for the data protection officer.

use std::path::PathBuf;

use serde::Serialize;
use sovbench_core::files::write_atomically;

use super::{json_pretty, Out};
use crate::config::PrivacyPolicy;
use crate::node::Node;
use crate::round::policy::{budget, by_year, Budget};

/// Epsilon and rounds of one calendar year, for the history.
#[derive(Serialize)]
struct YearSpent {
    year: i64,
    spent: f64,
    rounds: usize,
}

/// `privacy --json`.
#[derive(Serialize)]
struct PrivacyJson {
    policy: PrivacyPolicy,
    report: Option<PathBuf>,
    budget: Budget,
    years: Vec<YearSpent>,
}

/// Prints the budget per year; with `report`, writes the report (Markdown) there.
pub(super) fn privacy(node: &Node, report: Option<PathBuf>, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    let now = node.now();
    let ledger = node.store().ledger()?;
    let budget = budget(&ledger, &node.config().privacy, now);
    let years: Vec<YearSpent> = by_year(&ledger)
        .into_iter()
        .map(|(year, (spent, rounds))| YearSpent {
            year,
            spent,
            rounds,
        })
        .collect();
    if let Some(path) = &report {
        let text = crate::privacy::report::render(node, lang, now)?;
        write_atomically(path, text.as_bytes())?;
    }
    if out.json {
        return json_pretty(&PrivacyJson {
            policy: node.config().privacy.clone(),
            report,
            budget,
            years,
        });
    }
    for line in crate::privacy::report::budget_lines(&budget, lang) {
        println!("{line}");
    }
    if !years.is_empty() {
        println!();
        println!(
            "{:<6} {:>8} {:>12}",
            lang.pick("Jahr", "Year"),
            lang.pick("Runden", "Rounds"),
            lang.pick("verbraucht", "spent"),
        );
        for y in years {
            println!("{:<6} {:>8} {:>12.3}", y.year, y.rounds, y.spent);
        }
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
