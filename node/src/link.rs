//! The node's link to the aggregator: one gRPC channel per [`crate::Node`], connected on first
//! use and reused for every call (tonic reconnects it when the connection drops), and the one
//! place where a `tonic::Status` becomes a [`NodeError`] ([`status_error`]).

use std::path::Path;
use std::time::Duration;

use sovbench_core::pb;
use sovbench_core::pb::aggregator_client::AggregatorClient;
use tokio::sync::OnceCell;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

use crate::error::{NodeError, TlsProblem};

/// Largest answer the node accepts (publications with many cells).
const MAX_DECODING_BYTES: usize = 16 * 1024 * 1024;

/// The aggregator calls, for [`status_error`]: some status codes mean something else depending
/// on the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `GetRound` for the open round: `NotFound` means there is none.
    OpenRound,
    /// `GetRound` for a named round.
    Round,
    /// `Submit`.
    Submit,
    /// `GetPublication`.
    Publication,
    /// `CheckEnrolment`.
    Enrolment,
    /// A peer-matching call: nothing is queued, so the rate limit is a refusal, not a retry.
    Peer(PeerRpc),
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

/// Maps a gRPC status of `call` to a node error: transport-level trouble and an overloaded or
/// failing aggregator are transient ([`NodeError::Unreachable`], the submission stays in the
/// outbox), everything else is a refusal with its typed code.
pub fn status_error(url: &str, call: Call, s: tonic::Status) -> NodeError {
    let unreachable = |s: &tonic::Status| NodeError::Unreachable {
        url: url.to_string(),
        // With the causes of a transport error: e.g. the TLS alert of a refused client
        // certificate, which the texts of `tls_text` recognise.
        reason: sovbench_core::display::status_chain(s),
    };
    let refused = |s: &tonic::Status| NodeError::Refused {
        code: s.code(),
        message: s.message().to_string(),
    };
    match s.code() {
        Code::NotFound if call == Call::OpenRound => NodeError::NoOpenRound,
        // Peer calls are not queued: the rate limit is reported as it is.
        Code::ResourceExhausted if matches!(call, Call::Peer(_)) => refused(&s),
        // Busy (queue full) and internal failures (e.g. a failed fsync) are worth retrying.
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Internal => unreachable(&s),
        Code::Ok
        | Code::InvalidArgument
        | Code::NotFound
        | Code::AlreadyExists
        | Code::PermissionDenied
        | Code::FailedPrecondition
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unimplemented
        | Code::DataLoss
        | Code::Unauthenticated => refused(&s),
    }
}

/// The gRPC link to the configured aggregator.
#[derive(Debug)]
pub struct Link {
    url: Option<String>,
    tls: LinkTls,
    client: OnceCell<AggregatorClient<Channel>>,
}

/// TLS settings of the link, for `https://` addresses (files as absolute paths): shared with the
/// trustee ([`sovbench_core::tls_text::ClientFiles`]).
pub use sovbench_core::tls_text::ClientFiles as LinkTls;

/// The TLS settings of `node.toml`, with relative paths taken from the data directory `dir`.
pub fn link_tls(dir: &Path, config: &crate::config::NodeConfig) -> LinkTls {
    LinkTls::in_dir(
        dir,
        config.aggregator_ca.as_deref(),
        config.client_cert.as_deref(),
        config.client_key.as_deref(),
    )
}

impl Link {
    /// A link to `url` (none configured: every call fails with a configuration error). Nothing
    /// is connected until the first call.
    pub fn new(url: Option<String>) -> Link {
        Link::with_tls(url, LinkTls::default())
    }

    /// A link to `url` with the given TLS settings (used for `https://` addresses).
    pub fn with_tls(url: Option<String>, tls: LinkTls) -> Link {
        Link {
            url,
            tls,
            client: OnceCell::new(),
        }
    }

    /// The link `node.toml` in `dir` describes: its address and TLS settings.
    pub fn from_config(dir: &Path, config: &crate::config::NodeConfig) -> Link {
        Link::with_tls(config.aggregator_url.clone(), link_tls(dir, config))
    }

    /// The address this link was made for, if any.
    pub fn configured(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The aggregator's address, or a clear error.
    pub fn url(&self) -> Result<&str, NodeError> {
        self.url.as_deref().ok_or_else(|| {
            NodeError::Config(
                "aggregator_url is not set in node.toml (or pass --aggregator at init)".into(),
            )
        })
    }

    /// The shared client; connects on first use. A failed connection is not kept: the next call
    /// tries again.
    async fn client(&self) -> Result<AggregatorClient<Channel>, NodeError> {
        let url = self.url()?;
        self.client
            .get_or_try_init(|| connect(url, &self.tls))
            .await
            .cloned()
    }

    /// Fetches the signed parameters of a round (the open one for `None`).
    pub async fn get_round(&self, round: Option<&str>) -> Result<pb::SignedMessage, NodeError> {
        let call = if round.is_none() {
            Call::OpenRound
        } else {
            Call::Round
        };
        let req = pb::GetRoundRequest {
            round_id: round.unwrap_or_default().to_string(),
        };
        let res = self.client().await?.get_round(req).await;
        self.answer(self.url()?, call, res).await
    }

    /// Sends a signed submission to the configured aggregator (the address in `node.toml` at
    /// send time, also for a submission queued under an earlier address); returns the signed
    /// receipt.
    pub async fn submit(&self, msg: pb::SignedMessage) -> Result<pb::SignedMessage, NodeError> {
        let res = self.client().await?.submit(msg).await;
        self.answer(self.url()?, Call::Submit, res).await
    }

    /// Asks the aggregator whether this node is enrolled (a signed `EnrolmentQuery`); returns the
    /// aggregator's signed `EnrolmentStatus`.
    pub async fn check_enrolment(
        &self,
        msg: pb::SignedMessage,
    ) -> Result<pb::SignedMessage, NodeError> {
        let res = self.client().await?.check_enrolment(msg).await;
        self.answer(self.url()?, Call::Enrolment, res).await
    }

    /// Connects now if not yet connected: the daemon checks that the aggregator answers before
    /// it opens the store, so that it holds the store only while the aggregator is reachable.
    pub async fn connect(&self) -> Result<(), NodeError> {
        self.client().await.map(|_| ())
    }

    /// Fetches a signed publication (the latest for `None`).
    pub async fn get_publication(
        &self,
        round: Option<&str>,
    ) -> Result<pb::SignedMessage, NodeError> {
        let req = pb::GetPublicationRequest {
            round_id: round.unwrap_or_default().to_string(),
        };
        let res = self.client().await?.get_publication(req).await;
        self.answer(self.url()?, Call::Publication, res).await
    }

    /// Sends a signed peer message; returns the aggregator's signed answer. Unlike submissions,
    /// nothing is queued: a refusal, including the rate limit (`ResourceExhausted`), is reported.
    pub async fn peer(
        &self,
        rpc: PeerRpc,
        msg: pb::SignedMessage,
    ) -> Result<pb::SignedMessage, NodeError> {
        let mut c = self.client().await?;
        let res = match rpc {
            PeerRpc::Offer => c.peer_offer(msg).await,
            PeerRpc::Withdraw => c.peer_withdraw(msg).await,
            PeerRpc::Matches => c.peer_matches(msg).await,
            PeerRpc::Contact => c.peer_contact(msg).await,
            PeerRpc::Requests => c.peer_requests(msg).await,
            PeerRpc::Answer => c.peer_answer(msg).await,
            PeerRpc::Card => c.peer_card(msg).await,
        };
        self.answer(self.url()?, Call::Peer(rpc), res).await
    }

    /// The answer of a call, or its error. When the transport failed on an `https://` link
    /// without saying why, asks the aggregator in a handshake of its own
    /// ([`LinkTls::refusal`]): an aggregator with mTLS refusing the node's certificate is then
    /// reported as such, naming `client_cert` (see [`sovbench_core::tls_text`]).
    async fn answer(
        &self,
        url: &str,
        call: Call,
        res: Result<tonic::Response<pb::SignedMessage>, tonic::Status>,
    ) -> Result<pb::SignedMessage, NodeError> {
        match res {
            Ok(r) => Ok(r.into_inner()),
            Err(s) => {
                // A status tonic made from a transport error has a source; one the aggregator
                // sent has none and needs no probe.
                let transport = std::error::Error::source(&s).is_some();
                Err(match status_error(url, call, s) {
                    NodeError::Unreachable { url, mut reason }
                        if transport && !sovbench_core::tls_text::refused_client_cert(&reason) =>
                    {
                        if let Some(why) = self.tls.refusal(&url).await {
                            reason.push_str("; ");
                            reason.push_str(&why);
                        }
                        NodeError::Unreachable { url, reason }
                    }
                    other => other,
                })
            }
        }
    }
}

/// Connects to the aggregator at `url`: TLS for `https://` (see [`LinkTls`]), plaintext for
/// `http://` (which `node.toml`'s check allows only on loopback or with `allow_plaintext`).
async fn connect(url: &str, tls: &LinkTls) -> Result<AggregatorClient<Channel>, NodeError> {
    let mut endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| NodeError::Config(format!("aggregator address {url:?} is invalid: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    if url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https://")
    {
        endpoint = endpoint
            .tls_config(tls.client_config().map_err(NodeError::Tls)?)
            .map_err(|e| {
                NodeError::Tls(TlsProblem::Settings {
                    url: url.to_string(),
                    reason: sovbench_core::display::error_chain(&e),
                })
            })?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| NodeError::Unreachable {
            url: url.to_string(),
            reason: sovbench_core::display::error_chain(&e),
        })?;
    Ok(AggregatorClient::new(channel)
        .max_decoding_message_size(MAX_DECODING_BYTES)
        .max_encoding_message_size(sovbench_proto::MAX_MESSAGE_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:1";

    /// Every gRPC status code, so that a new one in tonic shows up here.
    const ALL_CODES: [Code; 17] = [
        Code::Ok,
        Code::Cancelled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    const TRANSIENT: [Code; 6] = [
        Code::Unavailable,
        Code::DeadlineExceeded,
        Code::Cancelled,
        Code::Unknown,
        Code::ResourceExhausted,
        Code::Internal,
    ];

    fn map(call: Call, code: Code) -> NodeError {
        status_error(URL, call, tonic::Status::new(code, "the reason"))
    }

    #[test]
    fn transient_codes_are_unreachable_and_retried() {
        for code in TRANSIENT {
            let e = map(Call::Submit, code);
            assert!(e.is_transient(), "{code:?}: {e}");
            match e {
                NodeError::Unreachable { url, reason } => {
                    assert_eq!(url, URL);
                    assert_eq!(reason, format!("{code:?}: the reason"));
                }
                other => panic!("{code:?}: {other}"),
            }
        }
    }

    #[test]
    fn every_other_code_is_a_refusal_with_its_typed_code() {
        for code in ALL_CODES.into_iter().filter(|c| !TRANSIENT.contains(c)) {
            match map(Call::Submit, code) {
                NodeError::Refused { code: c, message } => {
                    assert_eq!(c, code);
                    assert_eq!(message, "the reason");
                }
                other => panic!("{code:?}: {other}"),
            }
        }
        let text = map(Call::Round, Code::NotFound).to_string();
        assert_eq!(text, "aggregator refused: NotFound: the reason");
    }

    #[test]
    fn not_found_for_the_open_round_means_there_is_none() {
        assert!(matches!(
            map(Call::OpenRound, Code::NotFound),
            NodeError::NoOpenRound
        ));
        assert!(matches!(
            map(Call::Round, Code::NotFound),
            NodeError::Refused {
                code: Code::NotFound,
                ..
            }
        ));
        assert!(map(Call::OpenRound, Code::Unavailable).is_transient());
    }

    #[test]
    fn the_peer_rate_limit_is_a_refusal_not_a_retry() {
        let e = map(Call::Peer(PeerRpc::Matches), Code::ResourceExhausted);
        assert!(
            matches!(
                e,
                NodeError::Refused {
                    code: Code::ResourceExhausted,
                    ..
                }
            ),
            "{e}"
        );
        assert!(map(Call::Peer(PeerRpc::Offer), Code::Unavailable).is_transient());
        assert!(map(Call::Submit, Code::ResourceExhausted).is_transient());
    }

    #[test]
    fn unusable_tls_files_are_named_with_their_setting() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let tls = LinkTls {
            ca: Some(ca.clone()),
            ..LinkTls::default()
        };
        let e = tls.client_config().expect_err("no file");
        assert!(
            matches!(&e, TlsProblem::Unreadable { setting: "aggregator_ca", path, .. } if path.ends_with("ca.pem")),
            "{e:?}"
        );
        std::fs::write(&ca, "not a certificate").unwrap();
        let e = tls.client_config().expect_err("no PEM");
        assert!(
            matches!(
                &e,
                TlsProblem::NotPem {
                    setting: "aggregator_ca",
                    ..
                }
            ),
            "{e:?}"
        );
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(tls.client_config().is_ok());
    }

    #[tokio::test]
    async fn without_an_address_every_call_is_a_configuration_error() {
        let link = Link::new(None);
        let e = link.get_round(None).await.expect_err("no address");
        assert!(e.to_string().contains("aggregator_url is not set"), "{e}");
        let link = Link::new(Some("not a url".into()));
        let e = link.get_publication(None).await.expect_err("bad address");
        assert!(matches!(e, NodeError::Config(_)), "{e}");
    }
}
