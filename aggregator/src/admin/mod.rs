//! The admin API: every operator command works against a running aggregator.
//!
//! While `serve` runs it holds the store, so the command line cannot open it. Instead `serve`
//! writes its address to `serve.addr` in the data directory ([`client::ADDR_FILE`]) and offers the
//! gRPC service `Admin` on the same listener. When the store is locked, the command line signs
//! its command as an [`sovbench_core::pb::AdminRequest`] with an operator key (by default the
//! aggregator's own `aggregator.key`, readable only by the service account; further keys in
//! `operators.toml`, see [`auth`]) and sends it there; the server checks the signature over the
//! exact bytes, that the signer is an operator, the replay window and the nonce, runs the same
//! code the command line runs on a stopped server ([`commands`]) and returns the output, signed.
//! So the output is the same either way, and a revocation goes through the running commit worker
//! and takes effect at once.
//!
//! | module | what it does |
//! |---|---|
//! | [`auth`] | operator keys (`operators.toml`), the admission of requests (signature, operator, freshness, nonce) |
//! | [`commands`] | the operator commands against an open aggregator, rendered as text or JSON |
//! | [`rounds`] | `round open` (with the sizing preview), `round close`, `round list` |
//! | [`sizing`] | the sizing preview: cells expected to publish, half-widths, policy warnings |
//! | [`status`] | `status`: participation per cohort of the open round, rounds, enrolments |
//! | [`server`] | the gRPC `Admin` service |
//! | [`client`] | the command line's client, the `serve.addr` file and the local socket's name |
//! | [`local`] | the admin API on the local socket `admin.sock` in the data directory |

pub mod auth;
pub mod client;
pub mod commands;
pub mod local;
pub mod rounds;
pub mod server;
pub mod sizing;
pub mod status;

use std::sync::Arc;

use sovbench_core::pb;
use tonic::transport::server::Router;

use crate::aggregator::Aggregator;

/// Adds the operations services to a server's router: `Admin` (operator commands), gRPC health
/// (`grpc.health.v1`: SERVING for the whole server and for `sovbench.v1.Aggregator` while the
/// store is open, that is while serving) and reflection (`grpc.reflection.v1` and `v1alpha`, from
/// the wire crate's descriptor set). An unusable `operators.toml` leaves only the aggregator's
/// own key as operator, and says so in the log (`serve` refuses to start with it).
pub async fn add_services(router: Router, agg: &Arc<Aggregator>) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<pb::aggregator_server::AggregatorServer<crate::service::Service>>()
        .await;
    reporter
        .set_serving::<pb::trustee_desk_server::TrusteeDeskServer<crate::service::Service>>()
        .await;
    reporter
        .set_serving::<pb::admin_server::AdminServer<server::AdminService>>()
        .await;
    let router = router.add_service(health);
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(sovbench_proto::FILE_DESCRIPTOR_SET)
    };
    let router = match reflection().build_v1() {
        Ok(v1) => router.add_service(v1),
        Err(e) => {
            tracing::error!(error = %e, "gRPC reflection (v1) not offered");
            router
        }
    };
    let router = match reflection().build_v1alpha() {
        Ok(v1alpha) => router.add_service(v1alpha),
        Err(e) => {
            tracing::error!(error = %e, "gRPC reflection (v1alpha) not offered");
            router
        }
    };
    match admin_server(agg) {
        Ok(admin) => router.add_service(admin),
        Err(e) => {
            tracing::error!(error = %e, "admin API not offered");
            router
        }
    }
}

/// The gRPC `Admin` service of `agg`, with its size limits. An unusable `operators.toml` leaves
/// only the aggregator's own key as operator, and says so in the log (`serve` refuses to start
/// with it).
pub fn admin_server(
    agg: &Arc<Aggregator>,
) -> Result<pb::admin_server::AdminServer<server::AdminService>, crate::error::AggError> {
    let operators = auth::Operators::load(agg.dir(), agg.public_key()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "operators.toml ignored; only aggregator.key may use the admin API");
        let mut ops = auth::Operators::default();
        ops.insert_own(agg.public_key());
        ops
    });
    let gate = auth::Gate::new(operators, agg.now(), agg.public_key());
    Ok(
        pb::admin_server::AdminServer::new(server::AdminService::new(agg.clone(), gate)?)
            .max_decoding_message_size(sovbench_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(16 * 1024 * 1024),
    )
}
