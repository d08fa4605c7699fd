//! The command line's admin client: signs an [`pb::AdminRequest`] with an operator key, bound to
//! the aggregator it is meant for, sends it to a serving aggregator and checks the answer
//! (signature over the exact bytes by that aggregator's key, an [`pb::AdminReply`] bound to this
//! request).
//!
//! Two ways to reach a serving aggregator:
//! - on the serving host, its local socket `admin.sock` in the data directory ([`SOCKET_FILE`],
//!   0600 in a 0700 directory): no TLS, no address, nothing but the data directory;
//! - from anywhere, its gRPC address (`--admin URL`, or `serve.addr` in the data directory), with
//!   TLS checked against `--admin-ca FILE` or the system's certificate authorities.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sovbench_core::envelope::{self, fingerprint, Identity};
use sovbench_core::pb;
use sovbench_core::peers::fresh_nonce;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use super::commands::{Outcome, Style};

/// File in the data directory where `serve` writes the address it listens on (removed on a
/// clean exit).
pub const ADDR_FILE: &str = "serve.addr";

/// The local socket of a serving aggregator's admin API, in its data directory (removed on a
/// clean exit).
pub const SOCKET_FILE: &str = "admin.sock";

/// The address of the aggregator serving from `dir`, from its [`ADDR_FILE`].
pub fn serving_addr(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(ADDR_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How the client reaches the admin API.
#[derive(Debug, Clone)]
pub enum Via {
    /// A gRPC address; `ca` names the CA file that issued the server's certificate.
    Url {
        /// `http://…` or `https://…`.
        url: String,
        /// CA file (PEM) for `https`; None: the system's certificate authorities.
        ca: Option<PathBuf>,
    },
    /// The serving aggregator's local socket.
    Socket(PathBuf),
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Via::Url { url, .. } => write!(f, "{url}"),
            Via::Socket(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A signed admin call.
#[derive(Debug)]
pub struct AdminClient {
    via: Via,
    key_file: PathBuf,
    identity: Identity,
    aggregator_key: Vec<u8>,
}

impl AdminClient {
    /// A client of the aggregator with the raw public key `aggregator_key`, reached `via`,
    /// signing with the key in `key_file`. Requests are bound to `aggregator_key`, and answers
    /// must be signed by it.
    pub fn new(via: Via, key_file: &Path, aggregator_key: Vec<u8>) -> anyhow::Result<AdminClient> {
        let identity = Identity::load_file(key_file).with_context(|| {
            format!(
                "the operator key {} cannot be read (the aggregator's key needs the service account; \
                 or pass --operator-key FILE)",
                key_file.display()
            )
        })?;
        Ok(AdminClient {
            via,
            key_file: key_file.to_path_buf(),
            identity,
            aggregator_key,
        })
    }

    /// Connects to the admin API (an error here means nothing was sent).
    pub async fn connect(&self) -> anyhow::Result<Channel> {
        match &self.via {
            Via::Socket(path) => {
                let path = path.clone();
                // The URI is required by the API but not used: the connector opens the socket.
                Endpoint::from_static("http://admin.sock")
                    .connect_with_connector(tower::service_fn(move |_| {
                        let path = path.clone();
                        async move {
                            let stream = tokio::net::UnixStream::connect(path).await?;
                            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                        }
                    }))
                    .await
                    .with_context(|| format!("connecting to the admin socket {}", self.via))
            }
            Via::Url { url, ca } => {
                let mut endpoint = Endpoint::from_shared(url.clone())
                    .with_context(|| format!("the admin address {url:?} is not a URL"))?;
                if let Some(ca) = ca {
                    let pem = std::fs::read(ca).with_context(|| {
                        format!("reading the CA file {} (--admin-ca)", ca.display())
                    })?;
                    endpoint = endpoint
                        .tls_config(
                            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                        )
                        .with_context(|| format!("the CA file {} (--admin-ca)", ca.display()))?;
                }
                endpoint
                    .connect()
                    .await
                    .with_context(|| format!("connecting to the admin API at {url}"))
            }
        }
    }

    /// Runs `command` on the server and returns what it prints.
    pub async fn call(
        &self,
        command: pb::admin_request::Command,
        style: Style,
    ) -> anyhow::Result<Outcome> {
        let channel = self.connect().await?;
        self.call_on(channel, command, style).await
    }

    /// [`AdminClient::call`] on a connected channel.
    pub async fn call_on(
        &self,
        channel: Channel,
        command: pb::admin_request::Command,
        style: Style,
    ) -> anyhow::Result<Outcome> {
        let req = pb::AdminRequest {
            command: Some(command),
            lang: style.lang.pick("de", "en").into(),
            json: style.json,
            issued_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
            nonce: fresh_nonce()?,
            aggregator_key: self.aggregator_key.clone(),
        };
        let msg = self.identity.seal(pb::payload::Body::AdminRequest(req));
        let hash = sovbench_core::sha256(&msg.payload);
        let mut client =
            pb::admin_client::AdminClient::new(channel).max_decoding_message_size(16 * 1024 * 1024);
        let answer = client.call(msg).await.map_err(|s| {
            let hint = if s.code() == tonic::Code::PermissionDenied {
                format!(
                    " (operator key {}: {})",
                    self.key_file.display(),
                    fingerprint(self.identity.public_key())
                )
            } else {
                String::new()
            };
            anyhow::anyhow!("{}{hint}", s.message())
        })?;
        let answer = answer.into_inner();
        if answer.signer != self.aggregator_key {
            anyhow::bail!(
                "the answer from {} is signed by {}, not by the aggregator named ({})",
                self.via,
                fingerprint(&answer.signer),
                fingerprint(&self.aggregator_key)
            );
        }
        let verified = envelope::open(&answer).context("the admin answer does not verify")?;
        match verified.body {
            pb::payload::Body::AdminReply(r) if r.request_hash == hash => Ok(Outcome {
                output: r.output,
                export: (!r.export.is_empty()).then_some(r.export),
            }),
            pb::payload::Body::AdminReply(_) => {
                anyhow::bail!("the admin answer belongs to another request")
            }
            other => anyhow::bail!(
                "expected an operator reply, got a {}",
                envelope::kind_name(&other)
            ),
        }
    }
}
