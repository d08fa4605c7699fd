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

/// The `TrusteeDesk` server with its size limits.
pub(super) fn server(svc: Service) -> TrusteeDeskServer<Service> {
    TrusteeDeskServer::new(svc)
        .max_decoding_message_size(sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES)
        .max_encoding_message_size(sovbench_proto::MAX_TRUSTEE_ANSWER_BYTES)
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
