//! The TLS flags of `serve` and their check: plaintext only on loopback unless
//! `--insecure-plaintext` says otherwise.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::tls::{check_plaintext, TlsOptions, TlsServer};

/// TLS options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// TLS: the server's certificate chain (PEM, leaf first). With --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the server's private key (PEM: PKCS#8, PKCS#1 or SEC1). With --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// mTLS: only clients with a certificate signed by this CA (PEM) get past the handshake.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// Check the certificate, key and client CA files for changes this often and load new ones
    /// without a restart (SIGHUP reloads at once; 0: on SIGHUP only).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub tls_reload_secs: u64,
    /// Serve plaintext gRPC on an address that is not loopback (only behind a TLS-terminating
    /// proxy on a trusted network). Without TLS, plaintext is refused on such addresses.
    #[arg(long, conflicts_with = "tls_cert")]
    pub insecure_plaintext: bool,
}

impl TlsArgs {
    /// The TLS options, if TLS was asked for.
    pub fn options(&self) -> Option<TlsOptions> {
        let (cert, key) = (self.tls_cert.clone()?, self.tls_key.clone()?);
        Some(TlsOptions {
            cert,
            key,
            client_ca: self.client_ca.clone(),
            reload_every: (self.tls_reload_secs > 0)
                .then(|| Duration::from_secs(self.tls_reload_secs)),
        })
    }

    /// Loads the TLS material (failing naming the file), or checks that plaintext is allowed on
    /// `addr`.
    pub fn server(&self, addr: SocketAddr) -> anyhow::Result<Option<Arc<TlsServer>>> {
        match self.options() {
            Some(opts) => Ok(Some(TlsServer::load(opts)?)),
            None => {
                check_plaintext(addr, self.insecure_plaintext)?;
                Ok(None)
            }
        }
    }
}
