//! `sovbench-node submit`, `compare` and `serve`: taking part in rounds and comparing with the
//! publications; the only commands (with `peers`) that talk to the aggregator.

use std::process::ExitCode;

use serde::Serialize;
use sovbench_core::i18n::Lang;

use super::exit::Exit;
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

/// `sovbench-node submit`: exit code 3 if a submission was refused for good in this run, else
/// 4 while anything is still queued, else 0.
pub(super) async fn submit(node: &Node, out: Out) -> anyhow::Result<ExitCode> {
    let report = crate::round::submit(node).await?;
    print_submit(&report, out)?;
    Ok(submit_exit(&report).code())
}

/// The exit code of a submit run.
fn submit_exit(report: &SubmitReport) -> Exit {
    let states: Vec<DeliveryState> = report
        .current
        .iter()
        .chain(report.retried.iter())
        .map(|d| d.state)
        .collect();
    if states.contains(&DeliveryState::Refused) {
        Exit::Refused
    } else if states.contains(&DeliveryState::Pending) {
        Exit::Queued
    } else {
        Exit::Ok
    }
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

/// `sovbench-node compare --history`.
pub(super) async fn history(node: &Node, out: Out) -> anyhow::Result<()> {
    let h = crate::compare::history(node).await?;
    if out.json {
        json_pretty(&h)
    } else {
        print!("{}", crate::present::history::history(&h, out.lang));
        Ok(())
    }
}

/// `sovbench-node serve`: runs the daemon until SIGTERM or Ctrl-C (SIGINT), finishing the unit of
/// work in progress; the store is closed when it returns. `node` is the node opened to check the
/// data directory; it is closed before the daemon starts.
pub(super) async fn serve(node: Node, interval: u64, out: Out) -> anyhow::Result<()> {
    // Listen before anything else, so that a signal during the first tick is not lost.
    let shutdown = shutdown_signal()?;
    let dir = node.dir().to_path_buf();
    let clock = node.clock().clone();
    drop(node);
    if out.json {
        json_line(&ServeJson {
            data_dir: dir.clone(),
            interval,
        })?;
    }
    crate::daemon::run(&dir, clock, interval, shutdown).await;
    Ok(())
}

/// Completes on the first SIGTERM or SIGINT (Ctrl-C).
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use anyhow::Context as _;
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        // Also when Ctrl-C cannot be listened for: the daemon then stops rather than run
        // unstoppable.
        let _ = tokio::signal::ctrl_c().await;
    })
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
