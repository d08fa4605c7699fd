//! `sovbench-node submit`, `compare` and `serve`: taking part in rounds and comparing with the
//! publications; the only commands (with `peers`) that talk to the aggregator.

use std::process::ExitCode;

use serde::Serialize;
use sovbench_core::i18n::Lang;

use super::{json_line, json_pretty, Out};
use crate::model::DeliveryState;
use crate::node::Node;
use crate::round::SubmitReport;

/// `serve --json`: printed once when the daemon starts.
#[derive(Serialize)]
struct ServeJson {
    data_dir: std::path::PathBuf,
    interval: u64,
}

/// `sovbench-node submit`; exit code 3 while anything is still queued.
pub(super) async fn submit(node: &Node, out: Out) -> anyhow::Result<ExitCode> {
    let report = crate::round::submit(node).await?;
    print_submit(&report, out)?;
    let queued = report
        .current
        .iter()
        .chain(report.retried.iter())
        .any(|d| d.state == DeliveryState::Pending);
    Ok(if queued {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `sovbench-node compare [--round ID]`.
pub(super) async fn compare(node: &Node, round: Option<String>, out: Out) -> anyhow::Result<()> {
    let cmp = crate::compare::compare(node, round.as_deref()).await?;
    if out.json {
        json_pretty(&cmp)
    } else {
        print!("{}", crate::present::compare::comparison(&cmp, out.lang));
        Ok(())
    }
}

/// `sovbench-node serve`: runs the daemon until Ctrl-C.
pub(super) async fn serve(node: &Node, interval: u64, out: Out) -> anyhow::Result<()> {
    if out.json {
        json_line(&ServeJson {
            data_dir: node.dir().to_path_buf(),
            interval,
        })?;
    }
    let shutdown = async {
        // Also when Ctrl-C cannot be listened for: the daemon then stops rather than run
        // unstoppable.
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::daemon::run(node, interval, shutdown).await;
    Ok(())
}

pub(super) fn state_label(s: DeliveryState, lang: Lang) -> &'static str {
    match s {
        DeliveryState::Pending => {
            lang.pick("ausstehend (im Postausgang)", "pending (in the outbox)")
        }
        DeliveryState::Delivered => {
            lang.pick("zugestellt, Quittung erhalten", "delivered, receipt kept")
        }
        DeliveryState::Refused => lang.pick("abgelehnt", "refused"),
    }
}

fn print_submit(r: &SubmitReport, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    if out.json {
        return json_pretty(r);
    }
    for d in &r.retried {
        println!(
            "{} {}: {}{}",
            lang.pick("Erneut gesendet, Runde", "Retried, round"),
            d.round_id,
            state_label(d.state, lang),
            d.detail
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        );
    }
    if let Some(s) = &r.skipped {
        println!(
            "{}: {}",
            lang.pick("Keine neue Freigabe", "Nothing new released"),
            s.text(lang)
        );
    }
    if let Some(d) = &r.current {
        println!(
            "{} {}: {}{} ({} = {:.3}; {}: {})",
            lang.pick("Runde", "Round"),
            d.round_id,
            state_label(d.state, lang),
            r.mode
                .map(|m| format!(", {} {}", lang.pick("Modus", "mode"), m.label(lang)))
                .unwrap_or_default(),
            lang.pick("Epsilon", "epsilon"),
            r.epsilon.unwrap_or(0.0),
            lang.pick("Kennzahlen", "metrics"),
            r.metrics.join(", ")
        );
        if let Some(x) = &d.detail {
            println!("  {x}");
        }
    }
    Ok(())
}
