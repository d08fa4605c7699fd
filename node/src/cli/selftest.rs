//! `sovbench-node assess`: recording the self-test from a file or interactively, and its history.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use serde::Serialize;
use sovbench_core::i18n::Lang;
use sovbench_core::selftest::{Assessment, Band, Dimension};
use sovbench_core::time::format_utc;

use super::{json_line, json_pretty, Out};
use crate::model::AssessmentRecord;
use crate::node::Node;
use crate::selftest;

/// A self-test as `--json` shows it.
#[derive(Serialize)]
struct AssessmentJson {
    band: Band,
    recorded_at: i64,
    scores: [u8; 5],
    total: u32,
}

impl AssessmentJson {
    fn of(r: &AssessmentRecord, a: &Assessment) -> AssessmentJson {
        AssessmentJson {
            band: a.band(),
            recorded_at: r.recorded_at(),
            scores: a.scores(),
            total: a.total(),
        }
    }
}

/// `sovbench-node assess [--file FILE] [--history]`.
pub(super) fn assess(
    node: &Node,
    file: Option<PathBuf>,
    history: bool,
    out: Out,
) -> anyhow::Result<()> {
    let lang = out.lang;
    if history {
        return print_history(node, out);
    }
    let a = match file {
        Some(f) => selftest::read_assessment_file(&f)?,
        None => ask_assessment(lang)?,
    };
    let rec = selftest::record(node, a)?;
    if out.json {
        json_line(&AssessmentJson::of(&rec, &a))
    } else {
        print_assessment(&a, lang);
        Ok(())
    }
}

fn ask_assessment(lang: Lang) -> anyhow::Result<Assessment> {
    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut scores = [0i64; 5];
    println!(
        "{}",
        lang.pick(
            "Souveränitäts-Check: Bewerten Sie jede Aussage von 1 (trifft gar nicht zu) bis 5 (trifft voll zu).",
            "Sovereignty check: rate each statement from 1 (does not apply at all) to 5 (fully applies)."
        )
    );
    for (i, d) in Dimension::ALL.into_iter().enumerate() {
        loop {
            print!(
                "\n{}. {}\n   {}\n   [1-5]: ",
                i + 1,
                d.label(lang),
                d.statement(lang)
            );
            std::io::stdout().flush().ok();
            let line = match lines.next() {
                Some(l) => l.context("reading the answer")?,
                None => bail!(
                    "input ended before dimension {} ({}) was answered; nothing stored",
                    d.key(),
                    d.label(Lang::De)
                ),
            };
            match line.trim().parse::<i64>() {
                Ok(v) if (1..=5).contains(&v) => {
                    scores[i] = v;
                    break;
                }
                _ if interactive => {
                    println!(
                        "{}",
                        lang.pick(
                            "   Bitte eine ganze Zahl von 1 bis 5 eingeben.",
                            "   Please enter a whole number from 1 to 5."
                        )
                    );
                }
                _ => bail!(
                    "dimension {} ({}) must be scored 1 to 5, got {:?}; nothing stored",
                    d.key(),
                    d.label(Lang::De),
                    line.trim()
                ),
            }
        }
    }
    println!();
    Ok(Assessment::from_scores(scores)?)
}

fn print_assessment(a: &Assessment, lang: Lang) {
    println!(
        "{}",
        lang.pick("Selbsttest gespeichert:", "Self-test recorded:")
    );
    for d in Dimension::ALL {
        println!("  {:<36} {}", d.label(lang), a.score(d));
    }
    let (lo, hi) = a.band().range();
    println!(
        "  {:<36} {} / 25  ->  {} ({lo}-{hi})",
        lang.pick("Gesamt", "Total"),
        a.total(),
        a.band().label(lang)
    );
}

fn print_history(node: &Node, out: Out) -> anyhow::Result<()> {
    let all = selftest::history(node)?;
    if out.json {
        let rows: Vec<AssessmentJson> = all.iter().map(|(r, a)| AssessmentJson::of(r, a)).collect();
        return json_pretty(&rows);
    }
    if all.is_empty() {
        println!(
            "{}",
            out.lang.pick(
                "Noch kein Selbsttest gespeichert.",
                "No self-test recorded yet."
            )
        );
    }
    for (r, a) in &all {
        println!(
            "{}  {:?}  {} / 25  {}",
            format_utc(r.recorded_at()),
            a.scores(),
            a.total(),
            a.band().label(out.lang)
        );
    }
    Ok(())
}
