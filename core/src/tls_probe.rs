//! Why did the aggregator close the connection? A TLS handshake of its own, to learn the alert
//! with which an aggregator with mTLS refuses a client's certificate.
//!
//! In TLS 1.3 the client's side of the handshake is complete before the server has looked at the
//! client's certificate; the server's verdict, a fatal alert such as `certificate_required`, is
//! the first thing the client reads afterwards. By then tonic has already sent the request, and
//! whether the call fails with the alert ("received fatal alert: CertificateRequired") or only
//! with "operation was canceled: connection closed" depends on timing inside hyper. So after a
//! failed call to an `https://` address the node and the trustee ask once more, here: the same
//! trust anchors and client certificate as the link ([`ClientFiles`]), nothing sent after the
//! handshake, and the first thing read is either the aggregator's HTTP/2 settings (no refusal)
//! or its alert.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::tls_text::ClientFiles;

/// The longest the probe waits for each step (connect, handshake, first read).
const STEP: Duration = Duration::from_secs(5);

impl ClientFiles {
    /// Connects to the `https://` address `url` with these files and returns the reason the
    /// server refused the connection, if it did during or right after the handshake (rustls's
    /// text, e.g. "received fatal alert: CertificateRequired"). `None` when it did not, or when
    /// the probe itself could not be made (unreadable files, no address): the caller keeps the
    /// error it has.
    pub async fn refusal(&self, url: &str) -> Option<String> {
        let uri: tonic::codegen::http::Uri = url.trim().parse().ok()?;
        if uri.scheme_str() != Some("https") {
            return None;
        }
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(443);
        let config = Arc::new(self.rustls_config()?);
        let name = ServerName::try_from(host.to_string()).ok()?;
        let tcp = tokio::time::timeout(STEP, tokio::net::TcpStream::connect((host, port)))
            .await
            .ok()?
            .ok()?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut tls = match tokio::time::timeout(STEP, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => tls,
            // TLS 1.2: the refusal ends the handshake itself.
            Ok(Err(e)) => return Some(crate::display::error_chain(&e)),
            Err(_) => return None,
        };
        let mut first = [0u8; 64];
        match tokio::time::timeout(STEP, tls.read(&mut first)).await {
            Ok(Err(e)) => Some(crate::display::error_chain(&e)),
            _ => None,
        }
    }

    /// The rustls client configuration the link's tonic configuration stands for: the CA of
    /// `aggregator_ca` or the system's trust store, the client certificate if one is set, ALPN h2.
    fn rustls_config(&self) -> Option<ClientConfig> {
        let mut roots = RootCertStore::empty();
        match &self.ca {
            Some(ca) => {
                for cert in CertificateDer::pem_file_iter(ca).ok()? {
                    roots.add(cert.ok()?).ok()?;
                }
            }
            None => {
                let (added, _) =
                    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                if added == 0 {
                    return None;
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .with_root_certificates(roots);
        let mut config = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .ok()?
                    .collect::<Result<Vec<_>, _>>()
                    .ok()?;
                let key = PrivateKeyDer::from_pem_file(key).ok()?;
                builder.with_client_auth_cert(chain, key).ok()?
            }
            _ => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_probe_without_an_https_address_or_usable_files() {
        let files = ClientFiles::default();
        assert_eq!(files.refusal("http://127.0.0.1:1").await, None);
        assert_eq!(files.refusal("not a url").await, None);
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = ClientFiles {
            ca: Some(dir.path().join("missing.pem")),
            ..ClientFiles::default()
        };
        assert_eq!(missing.refusal("https://127.0.0.1:1").await, None);
    }
}
