//! The gRPC service and the server loop: each RPC hands over to the [`Aggregator`] (rounds,
//! submissions, publications) or its peer [`Desk`]; errors reach the wire only through
//! `impl From<AggError> for tonic::Status` in `error.rs`. The loop closes due rounds, publishes
//! closed ones (retrying a failed publication with backoff) and shuts down cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sovbench_core::pb;
use sovbench_core::pb::aggregator_server::{Aggregator as AggregatorRpc, AggregatorServer};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::peers::Desk;

pub mod conn;
mod due;
mod trustees;
pub use due::{close_due_rounds, Retry};

/// The public gRPC face of an [`Aggregator`].
#[derive(Debug, Clone)]
pub struct Service {
    agg: Arc<Aggregator>,
}

impl Service {
    /// Wraps an aggregator.
    pub fn new(agg: Arc<Aggregator>) -> Service {
        Service { agg }
    }
}

#[tonic::async_trait]
impl AggregatorRpc for Service {
    #[instrument(skip_all)]
    async fn get_round(
        &self,
        req: Request<pb::GetRoundRequest>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        let id = req.into_inner().round_id;
        Ok(Response::new(self.agg.signed_round(Some(&id))?))
    }

    #[instrument(skip_all, fields(signer))]
    async fn submit(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        let started = std::time::Instant::now();
        let msg = req.into_inner();
        let node = sovbench_core::envelope::fingerprint(&msg.signer);
        let claimed_round = claimed_round(&msg);
        let metrics = crate::metrics::Metrics::of(&self.agg);
        match self.agg.submit(msg).await {
            Ok(receipt) => {
                let latency = started.elapsed();
                metrics.submission(None, latency);
                log_accepted(&receipt, &node, latency);
                Ok(Response::new(receipt))
            }
            Err(e) => {
                let status = Status::from(e);
                metrics.submission(Some(status.code()), started.elapsed());
                tracing::info!(round = ?claimed_round, node = %node, status = ?status.code(), error = status.message(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "submission refused");
                Err(status)
            }
        }
    }

    #[instrument(skip_all)]
    async fn get_publication(
        &self,
        req: Request<pb::GetPublicationRequest>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        let id = req.into_inner().round_id;
        Ok(Response::new(self.agg.publication(Some(&id))?))
    }

    #[instrument(skip_all)]
    async fn list_publications(
        &self,
        req: Request<pb::ListPublicationsRequest>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        let req = req.into_inner();
        let agg = self.agg.clone();
        let res = tokio::task::spawn_blocking(move || agg.list_publications(&req))
            .await
            .map_err(|e| Status::internal(format!("listing publications failed: {e}")))?;
        Ok(Response::new(res?))
    }

    #[instrument(skip_all)]
    async fn peer_offer(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::offer).await
    }

    #[instrument(skip_all)]
    async fn peer_withdraw(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::withdraw).await
    }

    #[instrument(skip_all)]
    async fn peer_matches(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::matches).await
    }

    #[instrument(skip_all)]
    async fn peer_contact(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::contact).await
    }

    #[instrument(skip_all)]
    async fn peer_requests(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::requests).await
    }

    #[instrument(skip_all)]
    async fn peer_answer(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::answer).await
    }

    #[instrument(skip_all)]
    async fn peer_card(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        peer_call(&self.agg, req, Desk::card).await
    }

    #[instrument(skip_all)]
    async fn check_enrolment(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        // Off the async threads: claiming the nonce writes to the store.
        let agg = self.agg.clone();
        let msg = req.into_inner();
        let res = tokio::task::spawn_blocking(move || agg.check_enrolment(&msg))
            .await
            .map_err(|e| Status::internal(format!("enrolment check failed: {e}")))?;
        match res {
            Ok(m) => Ok(Response::new(m)),
            Err(e) => {
                tracing::info!(error = %e, "enrolment query refused");
                Err(e.into())
            }
        }
    }
}

/// Which desk a signed message goes to: peer matching or the trustees' desk of mode secure.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DeskKind {
    Peer,
    Trustee,
}

impl DeskKind {
    fn name(self) -> &'static str {
        match self {
            DeskKind::Peer => "peer",
            DeskKind::Trustee => "trustee",
        }
    }
}

/// Runs a desk handler off the async threads (proof checks, fsync), counts the message by
/// outcome, logs one line per message (signer and status, never content) and maps its error.
pub(crate) async fn desk_call(
    agg: &Arc<Aggregator>,
    req: Request<pb::SignedMessage>,
    kind: DeskKind,
    handler: impl FnOnce(&Aggregator, &pb::SignedMessage) -> Result<pb::SignedMessage, AggError>
        + Send
        + 'static,
) -> Result<Response<pb::SignedMessage>, Status> {
    let msg = req.into_inner();
    let signer = sovbench_core::envelope::fingerprint(&msg.signer);
    let what = kind.name();
    let res = tokio::task::spawn_blocking({
        let agg = agg.clone();
        move || handler(&agg, &msg)
    })
    .await
    .map_err(|e| Status::internal(format!("{what} operation failed: {e}")))?;
    let metrics = crate::metrics::Metrics::of(agg);
    let count = |code| match kind {
        DeskKind::Peer => metrics.peer_message(code),
        DeskKind::Trustee => metrics.trustee_message(code),
    };
    match res {
        Ok(m) => {
            count(None);
            tracing::info!(signer = %signer, "{what} message accepted");
            Ok(Response::new(m))
        }
        Err(e) if e.is_nothing_to_do() => {
            // A trustee's poll between rounds: NOT_FOUND on the wire, but no refusal; counted
            // as idle and logged at debug level, so that it is no noise for alerts.
            metrics.trustee_idle();
            tracing::debug!(signer = %signer, "{what} poll: nothing to do yet");
            Err(Status::from(e))
        }
        Err(e) => {
            let status = Status::from(e);
            count(Some(status.code()));
            tracing::info!(signer = %signer, status = ?status.code(), error = status.message(), "{what} message refused");
            Err(status)
        }
    }
}

/// A peer handler through [`desk_call`].
async fn peer_call(
    agg: &Arc<Aggregator>,
    req: Request<pb::SignedMessage>,
    handler: fn(&Desk, &pb::SignedMessage) -> Result<pb::SignedMessage, AggError>,
) -> Result<Response<pb::SignedMessage>, Status> {
    desk_call(agg, req, DeskKind::Peer, move |a, m| handler(a.peers(), m)).await
}

/// The round id a submission claims, for the log line of a refusal (unverified: logged escaped
/// and cut to 64 characters; never a value).
fn claimed_round(msg: &pb::SignedMessage) -> Option<String> {
    use prost::Message as _;
    match pb::Payload::decode(msg.payload.as_slice()).ok()?.body? {
        pb::payload::Body::Submission(s) => Some(s.round_id.chars().take(64).collect()),
        _ => None,
    }
}

/// One line per accepted submission: round, node key fingerprint, bulletin position (mode
/// secure), latency. Never a value.
fn log_accepted(receipt: &pb::SignedMessage, node: &str, latency: Duration) {
    use prost::Message as _;
    let r = match pb::Payload::decode(receipt.payload.as_slice()).map(|p| p.body) {
        Ok(Some(pb::payload::Body::Receipt(r))) => r,
        _ => pb::Receipt::default(),
    };
    let bulletin = (!r.bulletin_head.is_empty()).then_some(r.bulletin_position);
    tracing::info!(round = %r.round_id, node = %node, status = "accepted", acknowledged = r.acknowledged, bulletin_position = ?bulletin, latency_ms = latency.as_secs_f64() * 1000.0, "submission accepted");
}

/// HTTP/2 flow-control window of one stream (bytes).
pub const STREAM_WINDOW: u32 = 128 * 1024;
/// HTTP/2 flow-control window of one connection (bytes).
pub const CONNECTION_WINDOW: u32 = 256 * 1024;

/// Options of the server loop.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Close rounds whose closing time has passed and publish them, checking this often.
    pub auto_close_every: Option<Duration>,
    /// Mode secure: how long after the announcement the noise set is fixed with fewer than all
    /// trustees (at least m − t + 1 must have posted). Default 10 minutes.
    pub noise_wait: Duration,
    /// Connection limit and idle timeout (None: from the descriptor limit, idle 300 s;
    /// [`conn::ConnLimits::from_descriptor_limit`]).
    pub connections: Option<conn::ConnLimits>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            auto_close_every: Some(Duration::from_secs(10)),
            noise_wait: Duration::from_secs(crate::secure::DEFAULT_NOISE_WAIT_SECS as u64),
            connections: None,
        }
    }
}

/// Serves `agg` on `listener` until `shutdown` completes; then stops accepting, lets in-flight
/// requests finish, and returns. Submissions acknowledged before that are durable.
pub async fn serve(
    agg: Arc<Aggregator>,
    listener: TcpListener,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    serve_tls(agg, listener, opts, None, shutdown).await
}

/// [`serve`], with TLS when `tls` is given: every connection does its TLS handshake with the
/// certificate current at that moment (reloaded on SIGHUP and on a timer, see [`crate::tls`]);
/// a client that does not speak TLS, or lacks the client certificate mTLS asks for, is dropped
/// at the handshake.
pub async fn serve_tls(
    agg: Arc<Aggregator>,
    listener: TcpListener,
    opts: ServeOptions,
    tls: Option<Arc<crate::tls::TlsServer>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let svc = AggregatorServer::new(Service::new(agg.clone()))
        .max_decoding_message_size(sovbench_proto::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(16 * 1024 * 1024);
    let trustee_svc = trustees::server(Service::new(agg.clone()));
    agg.set_tls(tls.clone());
    agg.secure()
        .set_noise_wait(i64::try_from(opts.noise_wait.as_secs()).unwrap_or(i64::MAX));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let ticker = opts.auto_close_every.map(|every| {
        let agg = agg.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut retry = Retry::new(every, Duration::from_secs(600));
            loop {
                tokio::select! {
                    _ = tick.tick() => close_due_rounds(&agg, &mut retry).await,
                    _ = stop_rx.changed() => break,
                }
            }
        })
    });
    // The admin API on the local socket of the data directory, stopped with the server.
    let mut local_stop = stop_tx.subscribe();
    let local = match crate::admin::local::serve(&agg, async move {
        let _ = local_stop.changed().await;
    }) {
        Ok(fut) => Some(tokio::spawn(fut)),
        Err(e) => {
            tracing::warn!(error = %e, "no admin socket; operator commands use serve.addr");
            None
        }
    };
    let router = tonic::transport::Server::builder()
        .timeout(Duration::from_secs(60))
        // What a peer can make the server buffer before anything is read: a node's message
        // (64 KiB) fits a stream's window; a waiting 8 MiB trustee request holds at most a
        // connection's window (docs/OPERATIONS.md, "Connections and descriptors").
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .add_service(svc)
        .add_service(trustee_svc);
    let router = crate::admin::add_services(router, &agg).await;
    let limits = opts
        .connections
        .unwrap_or_else(|| conn::ConnLimits::from_descriptor_limit(conn::DEFAULT_IDLE));
    tracing::info!(
        max = limits.max,
        idle_secs = limits.idle.as_secs(),
        "connection limits"
    );
    let tracker = conn::Tracker::new(limits);
    let sweeper = tokio::spawn(tracker.clone().sweeper(stop_tx.subscribe()));
    let res = match tls {
        Some(tls) => {
            router
                .serve_with_incoming_shutdown(tls.incoming(listener, tracker), shutdown)
                .await
        }
        None => {
            let incoming = futures_util::stream::unfold((listener, tracker), |(l, t)| async move {
                let c = conn::accept(&l, &t).await;
                Some((Ok::<_, std::io::Error>(c), (l, t)))
            });
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    };
    let _ = stop_tx.send(true);
    if let Some(t) = ticker {
        let _ = t.await;
    }
    if let Some(l) = local {
        let _ = l.await;
    }
    let _ = sweeper.await;
    res
}
