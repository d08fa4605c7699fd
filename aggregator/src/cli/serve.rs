//! `serve`: the gRPC server until Ctrl-C or SIGTERM.

use std::sync::Arc;

use anyhow::Context as _;
use sovbench_core::envelope::b64;

use super::context::runtime;
use crate::aggregator::Aggregator;
use crate::peers::PeerLimits;
use crate::service::{serve, ServeOptions};

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7443")]
    pub listen: String,
    /// Peer matching: contact requests one node may send within 24 hours.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub peer_requests_per_day: u32,
}

/// Runs `serve`.
pub fn run(agg: Aggregator, args: ServeArgs) -> anyhow::Result<()> {
    let rt = runtime()?;
    let agg = Arc::new(agg);
    agg.peers().set_limits(PeerLimits {
        requests_per_day: args.peer_requests_per_day,
        ..Default::default()
    });
    let o = agg.peers().overview();
    tracing::info!(
        offers = o.offer_count,
        open_requests = o.pending,
        accepted = o.accepted,
        "peer matching"
    );
    let listen = args.listen;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        tracing::info!(addr = %listener.local_addr()?, key = %b64(agg.public_key()), "serving");
        serve(agg, listener, ServeOptions::default(), shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
