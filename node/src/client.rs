//! The node's gRPC client for the aggregator's public service.

use std::time::Duration;

use sovbench_core::pb;
use sovbench_core::pb::aggregator_client::AggregatorClient;
use tonic::transport::{Channel, Endpoint};

use crate::error::NodeError;

/// Connects to the aggregator at `url`.
pub async fn connect(url: &str) -> Result<AggregatorClient<Channel>, NodeError> {
    let unreachable = |reason: String| NodeError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| NodeError::Config(format!("aggregator address {url:?} is invalid: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| unreachable(error_chain(&e)))?;
    Ok(AggregatorClient::new(channel)
        .max_decoding_message_size(16 * 1024 * 1024)
        .max_encoding_message_size(sovbench_proto::MAX_MESSAGE_BYTES))
}

/// Maps a gRPC status to a node error: transport-level trouble is transient, the rest a refusal.
pub fn status_error(url: &str, s: tonic::Status) -> NodeError {
    use tonic::Code;
    match s.code() {
        // Busy (queue full) and internal failures (e.g. a failed fsync) are worth retrying: the
        // submission stays in the outbox.
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Internal => NodeError::Unreachable {
            url: url.to_string(),
            reason: format!("{:?}: {}", s.code(), s.message()),
        },
        code => NodeError::Refused {
            code: format!("{code:?}"),
            message: s.message().to_string(),
        },
    }
}

/// Fetches the signed parameters of a round (the open one for `None`).
pub async fn get_round(url: &str, round: Option<&str>) -> Result<pb::SignedMessage, NodeError> {
    let mut c = connect(url).await?;
    c.get_round(pb::GetRoundRequest {
        round_id: round.unwrap_or_default().to_string(),
    })
    .await
    .map(|r| r.into_inner())
    .map_err(|s| match s.code() {
        tonic::Code::NotFound if round.is_none() => NodeError::NoOpenRound,
        _ => status_error(url, s),
    })
}

/// Sends a signed submission; returns the signed receipt.
pub async fn submit(url: &str, msg: pb::SignedMessage) -> Result<pb::SignedMessage, NodeError> {
    let mut c = connect(url).await?;
    c.submit(msg)
        .await
        .map(|r| r.into_inner())
        .map_err(|s| status_error(url, s))
}

/// Fetches a signed publication (the latest for `None`).
pub async fn get_publication(
    url: &str,
    round: Option<&str>,
) -> Result<pb::SignedMessage, NodeError> {
    let mut c = connect(url).await?;
    c.get_publication(pb::GetPublicationRequest {
        round_id: round.unwrap_or_default().to_string(),
    })
    .await
    .map(|r| r.into_inner())
    .map_err(|s| status_error(url, s))
}

/// The peer-matching calls of the aggregator's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRpc {
    /// `PeerOffer`.
    Offer,
    /// `PeerWithdraw`.
    Withdraw,
    /// `PeerMatches`.
    Matches,
    /// `PeerContact`.
    Contact,
    /// `PeerRequests`.
    Requests,
    /// `PeerAnswer`.
    Answer,
    /// `PeerCard`.
    Card,
}

/// Sends a signed peer message; returns the aggregator's signed answer. Unlike submissions,
/// nothing is queued: a refusal, including the rate limit (`ResourceExhausted`), is reported.
pub async fn peer(
    url: &str,
    rpc: PeerRpc,
    msg: pb::SignedMessage,
) -> Result<pb::SignedMessage, NodeError> {
    let mut c = connect(url).await?;
    let res = match rpc {
        PeerRpc::Offer => c.peer_offer(msg).await,
        PeerRpc::Withdraw => c.peer_withdraw(msg).await,
        PeerRpc::Matches => c.peer_matches(msg).await,
        PeerRpc::Contact => c.peer_contact(msg).await,
        PeerRpc::Requests => c.peer_requests(msg).await,
        PeerRpc::Answer => c.peer_answer(msg).await,
        PeerRpc::Card => c.peer_card(msg).await,
    };
    res.map(|r| r.into_inner()).map_err(|s| match s.code() {
        tonic::Code::ResourceExhausted => NodeError::Refused {
            code: "ResourceExhausted".into(),
            message: s.message().to_string(),
        },
        _ => status_error(url, s),
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
