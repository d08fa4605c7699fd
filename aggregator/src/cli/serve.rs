//! `serve`: the gRPC server until Ctrl-C or SIGTERM.

use std::sync::Arc;

use anyhow::Context as _;
use sovbench_core::envelope::b64;

use super::context::runtime;
use crate::aggregator::Aggregator;
use crate::peers::PeerLimits;
use crate::service::{serve_tls, ServeOptions};

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7443")]
    pub listen: String,
    /// Peer matching: contact requests one node may send within 24 hours.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub peer_requests_per_day: u32,
    /// Mode secure: seconds after the announcement when the noise set is fixed with fewer than
    /// all trustees (at least m − t + 1 must have posted).
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub noise_wait: u64,
    /// Also serve the benchmark portal (HTTP API and dashboard of the published rounds, no
    /// login) on this address, e.g. 127.0.0.1:8080; see docs/PORTAL.md.
    #[arg(long, value_name = "ADDR")]
    pub http_listen: Option<String>,
    /// Portal: requests per second per client address (token bucket).
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub http_rate: f64,
    /// Portal: requests a client address may make at once (bucket size).
    #[arg(long, default_value_t = 40.0, value_name = "N")]
    pub http_burst: f64,
    /// Prometheus metrics (text format) on this address, path /metrics, e.g. 127.0.0.1:9464;
    /// see docs/OPERATIONS.md, "Metrics".
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Open gRPC connections at most (default: the descriptor limit, raised to the hard limit,
    /// less 128). At the limit a new connection closes the idlest one (idle for at least 1 s).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Close a gRPC connection that sent and received nothing for this long.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// TLS (see docs/OPERATIONS.md, "TLS").
    #[command(flatten)]
    pub tls: super::serve_tls::TlsArgs,
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
    // Refuse to start with an unusable operators.toml rather than ignore it.
    crate::admin::auth::Operators::load(agg.dir(), agg.public_key())?;
    let listen = args.listen.clone();
    rt.block_on(async move {
        // Registered before anything is served: a SIGTERM right after "serving" is not lost.
        let stop = Shutdown::register()?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let tls = args.tls.server(listener.local_addr()?)?;
        let addr_file = AddrFile::write(agg.dir(), listener.local_addr()?, tls.is_some())?;
        if let Some(addr) = &args.metrics_listen {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the metrics listener to {addr}"))?;
            tracing::info!(addr = %l.local_addr()?, "metrics (HTTP /metrics) serving");
            tokio::spawn(crate::metrics::serve_metrics(l, agg.clone(), stop.clone().wait()));
        }
        tracing::info!(addr = %listener.local_addr()?, key = %b64(agg.public_key()), tls = tls.is_some(), "serving");
        let portal = match &args.http_listen {
            Some(addr) => {
                let l = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the portal to {addr}"))?;
                tracing::info!(addr = %l.local_addr()?, "portal (HTTP) serving");
                let opts = crate::portal::PortalOptions {
                    rate: crate::portal::limit::RateLimit {
                        per_second: args.http_rate.max(0.0),
                        burst: args.http_burst.max(1.0),
                    },
                };
                // Stops on the same Ctrl-C or SIGTERM as the gRPC server.
                Some(tokio::spawn(crate::portal::serve(
                    agg.clone(),
                    l,
                    opts,
                    stop.clone().wait(),
                )))
            }
            None => None,
        };
        let idle = std::time::Duration::from_secs(args.idle_timeout.max(1));
        let mut limits = crate::service::conn::ConnLimits::from_descriptor_limit(idle);
        if let Some(max) = args.max_connections {
            limits.max = max.clamp(1, limits.max);
        }
        let opts = ServeOptions {
            noise_wait: std::time::Duration::from_secs(args.noise_wait),
            connections: Some(limits),
            ..ServeOptions::default()
        };
        serve_tls(agg, listener, opts, tls, stop.wait()).await?;
        drop(addr_file);
        if let Some(p) = portal {
            p.await.context("portal task")?.context("portal")?;
        }
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// `serve.addr` in the data directory: the admin API's address for the command line, removed
/// when `serve` ends cleanly (dropped).
struct AddrFile(std::path::PathBuf);

impl AddrFile {
    fn write(
        dir: &std::path::Path,
        addr: std::net::SocketAddr,
        tls: bool,
    ) -> anyhow::Result<AddrFile> {
        let mut addr = addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let path = dir.join(crate::admin::client::ADDR_FILE);
        let scheme = if tls { "https" } else { "http" };
        sovbench_core::private::write_private(&path, format!("{scheme}://{addr}\n").as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(AddrFile(path))
    }
}

impl Drop for AddrFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Ctrl-C or SIGTERM for every part of `serve` (gRPC, portal, metrics). The handlers are
/// registered when it is made, not when it is first awaited: [`shutdown_signal`] registers them
/// only when polled, so a signal in between went to whichever part was already listening and
/// the gRPC server never stopped.
#[derive(Debug, Clone)]
struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// Registers the handlers now (inside the runtime).
    fn register() -> anyhow::Result<Shutdown> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate()).context("handling SIGTERM")?;
            let mut int = signal(SignalKind::interrupt()).context("handling SIGINT")?;
            tokio::spawn(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                let _ = tx.send(true);
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = tx.send(true);
        });
        Ok(Shutdown(rx))
    }

    /// Resolves once the signal came (also when it came before this was called).
    async fn wait(mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM (the handlers are registered when it is first polled).
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
