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
    /// The workplace's URL (with --http-listen).
    #[serde(skip_serializing_if = "Option::is_none")]
    workplace: Option<String>,
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
/// data directory; it is closed before the daemon starts. With `http`, the browser workplace is
/// served beside it, and the daemon only delivers the outbox and keeps peer matching going:
/// values go to a round only when a person sends them.
pub(super) async fn serve(
    node: Node,
    interval: u64,
    http: Option<std::net::SocketAddr>,
    out: Out,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    // Listen before anything else, so that a signal during the first tick is not lost.
    let shutdown = shutdown_signal()?;
    let dir = node.dir().to_path_buf();
    let clock = node.clock().clone();
    drop(node);
    let Some(addr) = http else {
        if out.json {
            json_line(&ServeJson {
                data_dir: dir.clone(),
                interval,
                workplace: None,
            })?;
        }
        crate::daemon::run(&dir, clock, interval, shutdown).await;
        return Ok(());
    };
    let site = std::sync::Arc::new(crate::web::Site::new(
        &dir,
        clock,
        !addr.ip().is_loopback(),
    )?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} (--http-listen)"))?;
    let url = format!("http://{}/", listener.local_addr()?);
    if out.json {
        json_line(&ServeJson {
            data_dir: dir.clone(),
            interval,
            workplace: Some(url.clone()),
        })?;
    } else {
        println!(
            "{}: {url}",
            out.lang
                .pick("Arbeitsplatz im Browser", "Browser workplace")
        );
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let web = tokio::spawn(crate::web::serve(
        listener,
        site.clone(),
        until_stopped(stopped.clone()),
    ));
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    crate::daemon::run_workplace(&site, &dir, interval, until_stopped(stopped)).await;
    web.await
        .context("the workplace task")?
        .context("serving the workplace")?;
    Ok(())
}

/// `sovbench-node serve` on a hosting directory: the workplaces of every administration under
/// `/t/<id>/` (with `http`), and the daemon's delivery and peer upkeep for each of them.
pub(super) async fn serve_hosted(
    dir: &std::path::Path,
    interval: u64,
    http: Option<std::net::SocketAddr>,
    out: Out,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let shutdown = shutdown_signal()?;
    let hosting = crate::hosting::Hosting::open(dir)?;
    let secure = http.is_some_and(|a| !a.ip().is_loopback());
    let hosted = std::sync::Arc::new(crate::web::hosted::Hosted::new(
        hosting,
        sovbench_core::clock::SystemClock::shared(),
        secure,
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut web = None;
    if let Some(addr) = http {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr} (--http-listen)"))?;
        let url = format!("http://{}/", listener.local_addr()?);
        if out.json {
            json_line(&ServeJson {
                data_dir: dir.to_path_buf(),
                interval,
                workplace: Some(url.clone()),
            })?;
        } else {
            println!(
                "{}: {url}t/<id>/",
                out.lang
                    .pick("Arbeitsplätze im Browser", "Browser workplaces")
            );
        }
        web = Some(tokio::spawn(crate::web::hosted::serve_hosted(
            listener,
            hosted.clone(),
            until_stopped(stopped.clone()),
        )));
    }
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    crate::daemon::run_hosted(&hosted, interval, until_stopped(stopped)).await;
    if let Some(web) = web {
        web.await
            .context("the workplace task")?
            .context("serving the workplace")?;
    }
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
    s.label(lang)
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
