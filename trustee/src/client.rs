//! The trustee's link to the aggregator: the thin network layer. Every request is a
//! `SignedMessage` signed with the trustee's key; every answer must be signed by the pinned
//! aggregator key and is verified before it is decoded. This is the one place where a
//! `tonic::Status` becomes a [`TrusteeError`].

use std::path::Path;
use std::time::Duration;

use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_core::pb::aggregator_client::AggregatorClient;
use sovbench_core::pb::trustee_desk_client::TrusteeDeskClient;
use tokio::sync::OnceCell;
use tonic::transport::{Channel, Endpoint};

use crate::error::{TlsProblem, TrusteeError};

/// Largest answer accepted (bulletin pages, announcements with every trustee's noise).
const MAX_DECODING_BYTES: usize = sovbench_proto::MAX_TRUSTEE_ANSWER_BYTES;
/// Largest request sent (noise and decryption shares of every announced cell): what the
/// aggregator's `TrusteeDesk` accepts.
const MAX_ENCODING_BYTES: usize = sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES;

/// A verified answer of the aggregator.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The decoded body.
    pub body: pb::payload::Body,
    /// The exact payload bytes.
    pub payload: Vec<u8>,
    /// Their SHA-256.
    pub payload_hash: [u8; 32],
}

/// The gRPC link to the aggregator.
#[derive(Debug)]
pub struct Client {
    url: String,
    aggregator_key: Vec<u8>,
    tls: ClientTls,
    channel: OnceCell<Channel>,
}

/// Maps a gRPC status of `call` to a trustee error: transport trouble is
/// [`TrusteeError::Unreachable`] (also an `Unknown` status that tonic made from a transport
/// error, such as the TLS alert of a refused client certificate: it has a source, a status the
/// aggregator sent has none), everything else keeps its code and text.
pub fn status_error(url: &str, call: &'static str, s: tonic::Status) -> TrusteeError {
    use tonic::Code;
    let transport = std::error::Error::source(&s).is_some();
    match s.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => TrusteeError::Unreachable {
            url: url.to_string(),
            reason: sovbench_core::display::status_chain(&s),
        },
        Code::Unknown if transport => TrusteeError::Unreachable {
            url: url.to_string(),
            reason: sovbench_core::display::status_chain(&s),
        },
        code => TrusteeError::Status {
            call,
            code,
            message: s.message().to_string(),
        },
    }
}

/// Verifies an answer against the pinned aggregator key, then decodes it.
pub fn verify_answer(
    call: &'static str,
    aggregator_key: &[u8],
    msg: &pb::SignedMessage,
) -> Result<Answer, TrusteeError> {
    if msg.signer != aggregator_key {
        return Err(TrusteeError::BadAnswer {
            call,
            why: format!(
                "signed by {}, not by the configured aggregator key {}",
                envelope::fingerprint(&msg.signer),
                envelope::fingerprint(aggregator_key)
            ),
        });
    }
    let v = envelope::open(msg).map_err(|e| TrusteeError::BadAnswer {
        call,
        why: e.to_string(),
    })?;
    Ok(Answer {
        body: v.body,
        payload: msg.payload.clone(),
        payload_hash: v.payload_hash,
    })
}

fn wrong_kind(call: &'static str, body: &pb::payload::Body) -> TrusteeError {
    TrusteeError::BadAnswer {
        call,
        why: format!("a {} message", envelope::kind_name(body)),
    }
}

/// TLS settings of the link, for `https://` addresses (absolute paths): shared with the node
/// ([`sovbench_core::tls_text::ClientFiles`]).
pub use sovbench_core::tls_text::ClientFiles as ClientTls;

/// The TLS settings of `trustee.toml` in `dir` (relative paths are taken from `dir`).
pub fn client_tls(dir: &Path, config: &crate::config::Config) -> ClientTls {
    ClientTls::in_dir(
        dir,
        config.aggregator_ca.as_deref(),
        config.client_cert.as_deref(),
        config.client_key.as_deref(),
    )
}

/// A signed query.
pub fn query(
    id: &Identity,
    q: pb::trustee_query::Query,
) -> Result<pb::SignedMessage, TrusteeError> {
    query_skipping(id, q, Vec::new())
}

/// [`query`] naming the rounds this trustee refused (for the oldest waiting announcement).
fn query_skipping(
    id: &Identity,
    q: pb::trustee_query::Query,
    skip_rounds: Vec<String>,
) -> Result<pb::SignedMessage, TrusteeError> {
    Ok(id.seal(pb::payload::Body::TrusteeQuery(pb::TrusteeQuery {
        query: Some(q),
        issued_at: sovbench_core::now_unix(),
        nonce: envelope::random_bytes(16)?,
        skip_rounds,
    })))
}

impl Client {
    /// A link to `url` whose answers must be signed by `aggregator_key`; connects on first use.
    pub fn new(url: &str, aggregator_key: Vec<u8>) -> Client {
        Client::with_tls(url, aggregator_key, ClientTls::default())
    }

    /// [`Client::new`] with TLS settings for an `https://` address.
    pub fn with_tls(url: &str, aggregator_key: Vec<u8>, tls: ClientTls) -> Client {
        Client {
            url: url.to_string(),
            aggregator_key,
            tls,
            channel: OnceCell::new(),
        }
    }

    /// The aggregator's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn channel(&self) -> Result<Channel, TrusteeError> {
        self.channel
            .get_or_try_init(|| connect(&self.url, &self.tls))
            .await
            .cloned()
    }

    /// The `Aggregator` service (round parameters).
    async fn client(&self) -> Result<AggregatorClient<Channel>, TrusteeError> {
        Ok(AggregatorClient::new(self.channel().await?)
            .max_decoding_message_size(MAX_DECODING_BYTES)
            .max_encoding_message_size(MAX_ENCODING_BYTES))
    }

    /// The `TrusteeDesk` service (DKG relay, bulletin, announcements, shares).
    async fn desk(&self) -> Result<TrusteeDeskClient<Channel>, TrusteeError> {
        Ok(TrusteeDeskClient::new(self.channel().await?)
            .max_decoding_message_size(MAX_DECODING_BYTES)
            .max_encoding_message_size(MAX_ENCODING_BYTES))
    }

    /// The verified answer of a call, or its error. When the transport failed on an `https://`
    /// link without saying why, asks the aggregator in a handshake of its own
    /// ([`ClientTls::refusal`]): an aggregator with mTLS refusing the trustee's certificate is
    /// then reported as such, naming `client_cert` (see [`sovbench_core::tls_text`]).
    async fn answer(
        &self,
        call: &'static str,
        res: Result<tonic::Response<pb::SignedMessage>, tonic::Status>,
    ) -> Result<Answer, TrusteeError> {
        let msg = match res {
            Ok(r) => r.into_inner(),
            Err(s) => {
                // A status tonic made from a transport error has a source; one the aggregator
                // sent has none and needs no probe.
                let transport = std::error::Error::source(&s).is_some();
                return Err(match status_error(&self.url, call, s) {
                    TrusteeError::Unreachable { url, mut reason }
                        if transport && !sovbench_core::tls_text::refused_client_cert(&reason) =>
                    {
                        if let Some(why) = self.tls.refusal(&url).await {
                            reason.push_str("; ");
                            reason.push_str(&why);
                        }
                        TrusteeError::Unreachable { url, reason }
                    }
                    other => other,
                });
            }
        };
        verify_answer(call, &self.aggregator_key, &msg)
    }

    /// The signed parameters of round `round_id`.
    pub async fn get_round(
        &self,
        round_id: &str,
    ) -> Result<(pb::RoundParams, Answer), TrusteeError> {
        let req = pb::GetRoundRequest {
            round_id: round_id.to_string(),
        };
        let res = self.client().await?.get_round(req).await;
        let a = self.answer("GetRound", res).await?;
        match &a.body {
            pb::payload::Body::Round(p) => Ok((p.clone(), a)),
            other => Err(wrong_kind("GetRound", other)),
        }
    }

    /// The DKG board of a ceremony.
    pub async fn dkg_fetch(
        &self,
        id: &Identity,
        ceremony: &str,
    ) -> Result<pb::DkgBoard, TrusteeError> {
        let msg = query(
            id,
            pb::trustee_query::Query::DkgCeremony(ceremony.to_string()),
        )?;
        let res = self.desk().await?.dkg_fetch(msg).await;
        match self.answer("DkgFetch", res).await?.body {
            pb::payload::Body::DkgBoard(b) => Ok(b),
            other => Err(wrong_kind("DkgFetch", &other)),
        }
    }

    /// Posts a DKG message.
    pub async fn dkg_post(&self, id: &Identity, m: pb::DkgMessage) -> Result<(), TrusteeError> {
        let msg = id.seal(pb::payload::Body::DkgMessage(m));
        let res = self.desk().await?.dkg_post(msg.clone()).await;
        self.acknowledged("DkgPost", &msg, res).await
    }

    /// One page of a round's bulletin.
    pub async fn get_bulletin(
        &self,
        id: &Identity,
        req: pb::BulletinRequest,
    ) -> Result<pb::BulletinPage, TrusteeError> {
        let msg = query(id, pb::trustee_query::Query::Bulletin(req))?;
        let res = self.desk().await?.get_bulletin(msg).await;
        match self.answer("GetBulletin", res).await?.body {
            pb::payload::Body::BulletinPage(p) => Ok(p),
            other => Err(wrong_kind("GetBulletin", &other)),
        }
    }

    /// The announcement of `round` (empty: the oldest pending); `None` when there is none
    /// (`NotFound`).
    ///
    /// With an empty `round`, the oldest round waiting for trustees that is not in `skip` (the
    /// rounds this trustee refused, so that a refused round never blocks later ones).
    pub async fn get_announcement(
        &self,
        id: &Identity,
        round: &str,
        skip: Vec<String>,
    ) -> Result<Option<(pb::Announcement, Answer)>, TrusteeError> {
        let msg = query_skipping(
            id,
            pb::trustee_query::Query::AnnouncementRound(round.to_string()),
            skip,
        )?;
        let res = self.desk().await?.get_announcement(msg).await;
        if let Err(s) = &res {
            if s.code() == tonic::Code::NotFound {
                return Ok(None);
            }
        }
        let a = self.answer("GetAnnouncement", res).await?;
        match &a.body {
            pb::payload::Body::Announcement(x) => Ok(Some((x.clone(), a))),
            other => Err(wrong_kind("GetAnnouncement", other)),
        }
    }

    /// Posts signed noise shares (the stored message, so a repeat sends the same bytes).
    pub async fn post_noise(&self, msg: &pb::SignedMessage) -> Result<(), TrusteeError> {
        let res = self.desk().await?.post_noise(msg.clone()).await;
        self.acknowledged("PostNoise", msg, res).await
    }

    /// Posts signed decryption shares.
    pub async fn post_decryption(&self, msg: &pb::SignedMessage) -> Result<(), TrusteeError> {
        let res = self.desk().await?.post_decryption(msg.clone()).await;
        self.acknowledged("PostDecryption", msg, res).await
    }

    async fn acknowledged(
        &self,
        call: &'static str,
        sent: &pb::SignedMessage,
        res: Result<tonic::Response<pb::SignedMessage>, tonic::Status>,
    ) -> Result<(), TrusteeError> {
        match self.answer(call, res).await?.body {
            pb::payload::Body::TrusteeAck(ack)
                if ack.payload_sha256 == sovbench_core::sha256(&sent.payload) =>
            {
                Ok(())
            }
            pb::payload::Body::TrusteeAck(_) => Err(TrusteeError::BadAnswer {
                call,
                why: "the acknowledgement names another message".into(),
            }),
            other => Err(wrong_kind(call, &other)),
        }
    }
}

async fn connect(url: &str, tls: &ClientTls) -> Result<Channel, TrusteeError> {
    let mut endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| TrusteeError::Config(format!("aggregator address {url:?} is invalid: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    if url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https://")
    {
        endpoint = endpoint
            .tls_config(tls.client_config().map_err(TrusteeError::Tls)?)
            .map_err(|e| {
                TrusteeError::Tls(TlsProblem::Settings {
                    url: url.to_string(),
                    reason: sovbench_core::display::error_chain(&e),
                })
            })?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| TrusteeError::Unreachable {
            url: url.to_string(),
            reason: sovbench_core::display::error_chain(&e),
        })?;
    Ok(channel)
}
