//! The gRPC service and the server loop: each RPC hands over to the [`Aggregator`] (rounds,
//! submissions, publications) or its peer [`Desk`]; errors reach the wire only through
//! `impl From<AggError> for tonic::Status` in `error.rs`. The loop closes and publishes due rounds
//! and shuts down cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sovbench_core::pb;
use sovbench_core::pb::aggregator_server::{Aggregator as AggregatorRpc, AggregatorServer};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt as _;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::peers::Desk;

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
        let msg = req.into_inner();
        match self.agg.submit(msg).await {
            Ok(receipt) => Ok(Response::new(receipt)),
            Err(e) => {
                tracing::info!(error = %e, "submission refused");
                Err(e.into())
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
}

/// Runs a peer handler off the async threads (it may wait for an fsync) and maps its error.
async fn peer_call(
    agg: &Arc<Aggregator>,
    req: Request<pb::SignedMessage>,
    handler: fn(&Desk, &pb::SignedMessage) -> Result<pb::SignedMessage, AggError>,
) -> Result<Response<pb::SignedMessage>, Status> {
    let agg = agg.clone();
    let msg = req.into_inner();
    let res = tokio::task::spawn_blocking(move || handler(agg.peers(), &msg))
        .await
        .map_err(|e| Status::internal(format!("peer operation failed: {e}")))?;
    match res {
        Ok(m) => Ok(Response::new(m)),
        Err(e) => {
            tracing::info!(error = %e, "peer message refused");
            Err(e.into())
        }
    }
}

/// Options of the server loop.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Close rounds whose closing time has passed and publish them, checking this often.
    pub auto_close_every: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            auto_close_every: Some(Duration::from_secs(10)),
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
    let svc = AggregatorServer::new(Service::new(agg.clone()))
        .max_decoding_message_size(sovbench_proto::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(16 * 1024 * 1024);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let ticker = opts.auto_close_every.map(|every| {
        let agg = agg.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => close_due_rounds(&agg).await,
                    _ = stop_rx.changed() => break,
                }
            }
        })
    });
    let res = tonic::transport::Server::builder()
        .timeout(Duration::from_secs(60))
        .add_service(svc)
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold small answers back
            // for about 40 ms.
            TcpListenerStream::new(listener).map(|conn| {
                conn.inspect(|c| {
                    if let Err(e) = c.set_nodelay(true) {
                        tracing::debug!(error = %e, "TCP_NODELAY not set");
                    }
                })
            }),
            shutdown,
        )
        .await;
    let _ = stop_tx.send(true);
    if let Some(t) = ticker {
        let _ = t.await;
    }
    res
}

/// Closes and publishes every round whose closing time has passed.
pub async fn close_due_rounds(agg: &Aggregator) {
    let due = match agg.due_rounds(agg.now()) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "checking due rounds");
            return;
        }
    };
    for id in due {
        match agg.close_round(&id).await {
            Ok(_) => match agg.publish(&id) {
                Ok(_) => tracing::info!(round = %id, "round closed and published"),
                Err(e) => tracing::error!(round = %id, error = %e, "publishing"),
            },
            Err(e) => tracing::error!(round = %id, error = %e, "closing"),
        }
    }
}
