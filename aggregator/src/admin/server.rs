//! The gRPC `Admin` service: admits a signed operator request ([`super::auth::Gate`]), runs the
//! command off the async threads ([`super::commands::execute`]) and answers with an
//! [`pb::AdminReply`] signed by the aggregator. One log line per request: operator, command,
//! outcome, latency.

use std::sync::Arc;
use std::time::Instant;

use sovbench_core::envelope::{fingerprint, Identity};
use sovbench_core::pb;
use sovbench_core::pb::admin_server::Admin;
use tonic::{Request, Response, Status};

use super::auth::Gate;
use super::commands::execute;
use crate::aggregator::Aggregator;
use crate::error::AggError;

/// The admin face of an [`Aggregator`].
#[derive(Debug, Clone)]
pub struct AdminService {
    agg: Arc<Aggregator>,
    gate: Arc<Gate>,
    identity: Arc<Identity>,
}

impl AdminService {
    /// The admin service of `agg`, admitting through `gate`, signing answers with the key of
    /// `agg`'s data directory.
    pub fn new(agg: Arc<Aggregator>, gate: Gate) -> Result<AdminService, AggError> {
        let identity = Identity::load_file(&agg.dir().join(crate::aggregator::KEY_FILE))?;
        Ok(AdminService {
            agg,
            gate: Arc::new(gate),
            identity: Arc::new(identity),
        })
    }
}

/// Name of a command, for the log.
pub fn command_name(req: &pb::AdminRequest) -> &'static str {
    use pb::admin_request::Command;
    match req.command {
        Some(Command::Enrol(_)) => "enrol",
        Some(Command::Revoke(_)) => "revoke",
        Some(Command::ListEnrolments(_)) => "enrol --list",
        Some(Command::OpenRound(ref o)) if o.dry_run => "round open --dry-run",
        Some(Command::OpenRound(_)) => "round open",
        Some(Command::CloseRound(_)) => "round close",
        Some(Command::AbandonRound(_)) => "round abandon",
        Some(Command::ListRounds(_)) => "round list",
        Some(Command::Publish(_)) => "publish",
        Some(Command::PeersOverview(_)) => "peers",
        Some(Command::CreateCommittee(_)) => "committee create",
        Some(Command::ListCommittees(_)) => "committee list",
        Some(Command::Status(_)) => "status",
        Some(Command::Key(_)) => "key",
        None => "none",
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn call(
        &self,
        req: Request<pb::SignedMessage>,
    ) -> Result<Response<pb::SignedMessage>, Status> {
        let started = Instant::now();
        let msg = req.into_inner();
        let signer = fingerprint(&msg.signer);
        let me = self.clone();
        let res = tokio::task::spawn_blocking(move || {
            let admitted = me.gate.admit(&msg, me.agg.now())?;
            let command = command_name(&admitted.request);
            let result = execute(&me.agg, &admitted.request);
            Ok::<_, AggError>((admitted, command, result))
        })
        .await
        .map_err(|e| Status::internal(format!("admin command failed: {e}")))?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let (admitted, command, result) = match res {
            Ok(x) => x,
            Err(e) => {
                let status = Status::from(e);
                tracing::info!(key = %signer, code = ?status.code(), latency_ms = ms, "admin request refused");
                return Err(status);
            }
        };
        match result {
            Ok(outcome) => {
                tracing::info!(operator = %admitted.operator, key = %signer, command, latency_ms = ms, "admin command done");
                Ok(Response::new(self.identity.seal(
                    pb::payload::Body::AdminReply(pb::AdminReply {
                        request_hash: admitted.payload_hash.to_vec(),
                        output: outcome.output,
                        export: outcome.export.unwrap_or_default(),
                    }),
                )))
            }
            Err(e) => {
                let status = Status::from(e);
                tracing::info!(operator = %admitted.operator, key = %signer, command, code = ?status.code(), latency_ms = ms, "admin command failed");
                Err(status)
            }
        }
    }
}
