//! The command line's admin client: signs an [`pb::AdminRequest`] with an operator key, sends it
//! to a serving aggregator and checks the answer (signature over the exact bytes, an
//! [`pb::AdminReply`] bound to this request, and the aggregator's key when it is known).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sovbench_core::envelope::{self, fingerprint, Identity};
use sovbench_core::pb;
use sovbench_core::peers::fresh_nonce;

use super::commands::{Outcome, Style};

/// File in the data directory where `serve` writes the address it listens on (removed on a
/// clean exit).
pub const ADDR_FILE: &str = "serve.addr";

/// The address of the aggregator serving from `dir`, from its [`ADDR_FILE`].
pub fn serving_addr(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(ADDR_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A signed admin call.
#[derive(Debug)]
pub struct AdminClient {
    url: String,
    key_file: PathBuf,
    identity: Identity,
    aggregator_key: Option<Vec<u8>>,
}

impl AdminClient {
    /// A client of the aggregator at `url`, signing with the key in `key_file`; answers must be
    /// signed by `aggregator_key` when given.
    pub fn new(
        url: &str,
        key_file: &Path,
        aggregator_key: Option<Vec<u8>>,
    ) -> anyhow::Result<AdminClient> {
        let identity = Identity::load_file(key_file).with_context(|| {
            format!(
                "the operator key {} cannot be read (the aggregator's key needs the service account; \
                 or pass --operator-key FILE)",
                key_file.display()
            )
        })?;
        Ok(AdminClient {
            url: url.to_string(),
            key_file: key_file.to_path_buf(),
            identity,
            aggregator_key,
        })
    }

    /// Runs `command` on the server and returns what it prints.
    pub async fn call(
        &self,
        command: pb::admin_request::Command,
        style: Style,
    ) -> anyhow::Result<Outcome> {
        let req = pb::AdminRequest {
            command: Some(command),
            lang: match style.lang {
                sovbench_core::i18n::Lang::De => "de".into(),
                sovbench_core::i18n::Lang::En => "en".into(),
            },
            json: style.json,
            issued_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
            nonce: fresh_nonce()?,
        };
        let msg = self.identity.seal(pb::payload::Body::AdminRequest(req));
        let hash = sovbench_core::sha256(&msg.payload);
        let mut client = pb::admin_client::AdminClient::connect(self.url.clone())
            .await
            .with_context(|| format!("connecting to the admin API at {}", self.url))?;
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
        if let Some(k) = &self.aggregator_key {
            if &answer.signer != k {
                anyhow::bail!(
                    "the answer from {} is signed by {}, not by this aggregator ({})",
                    self.url,
                    fingerprint(&answer.signer),
                    fingerprint(k)
                );
            }
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
