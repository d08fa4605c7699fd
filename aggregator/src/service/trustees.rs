//! The `TrusteeDesk` gRPC service: the trustees' calls of mode secure (DKG relay, bulletin,
//! announcements, noise and decryption shares), each handed to the [`SecureDesk`] off the async
//! threads. A service of its own so that its size limit (`MAX_TRUSTEE_MESSAGE_BYTES`) does not
//! widen the nodes' one.

use std::sync::Arc;

use sovbench_core::pb;
use sovbench_core::pb::trustee_desk_server::{TrusteeDesk, TrusteeDeskServer};
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::Service;
use crate::aggregator::Aggregator;
use crate::error::AggError;
use crate::secure::SecureDesk;

/// Trustee requests read and handled at once; further ones wait (until the server's request
/// timeout). Each may carry up to `MAX_TRUSTEE_MESSAGE_BYTES` (8 MiB) before its signature can
/// be checked, so this bounds what unauthenticated peers can make the aggregator hold: about
/// 4 × 8 MiB of bodies and their decoding, plus the HTTP/2 windows of the waiting ones
/// (docs/OPERATIONS.md, "Connections and descriptors").
pub const TRUSTEE_CALLS_AT_ONCE: usize = 4;

/// The `TrusteeDesk` server with its size limits, behind [`AtOnce`].
pub(super) fn server(svc: Service) -> AtOnce<TrusteeDeskServer<Service>> {
    AtOnce {
        inner: TrusteeDeskServer::new(svc)
            .max_decoding_message_size(sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES)
            .max_encoding_message_size(sovbench_proto::MAX_TRUSTEE_ANSWER_BYTES),
        permits: Arc::new(tokio::sync::Semaphore::new(TRUSTEE_CALLS_AT_ONCE)),
    }
}

/// A gRPC service that reads and handles at most [`TRUSTEE_CALLS_AT_ONCE`] requests at once: a
/// request waits for a permit before its body is read, and holds it until it is answered.
#[derive(Debug, Clone)]
pub struct AtOnce<S> {
    inner: S,
    permits: Arc<tokio::sync::Semaphore>,
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for AtOnce<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for AtOnce<S>
where
    S: tower::Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The service that was polled ready is the one called; a clone stays for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let permits = self.permits.clone();
        Box::pin(async move {
            let _permit = permits.acquire_owned().await;
            inner.call(req).await
        })
    }
}

#[tonic::async_trait]
impl TrusteeDesk for Service {
    #[instrument(skip_all)]
    async fn dkg_post(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::dkg_post).await
    }

    #[instrument(skip_all)]
    async fn dkg_fetch(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::dkg_fetch).await
    }

    #[instrument(skip_all)]
    async fn get_bulletin(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::get_bulletin).await
    }

    #[instrument(skip_all)]
    async fn get_announcement(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::get_announcement).await
    }

    #[instrument(skip_all)]
    async fn post_noise(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::post_noise).await
    }

    #[instrument(skip_all)]
    async fn post_decryption(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        trustee_call(&self.agg, req, SecureDesk::post_decryption).await
    }
}

/// A trustee handler through [`super::desk_call`].
async fn trustee_call(
    agg: &Arc<Aggregator>,
    req: Request<pb::SignedMessage>,
    handler: fn(&SecureDesk, &pb::SignedMessage) -> Result<pb::SignedMessage, AggError>,
) -> Result<Response<pb::SignedMessage>, Status> {
    super::desk_call(agg, req, super::DeskKind::Trustee, move |a, m| {
        handler(a.secure(), m)
    })
    .await
}
