//! TLS for the gRPC server, with rustls and ring, and certificates reloaded without a restart.
//!
//! tonic's own `ServerTlsConfig` fixes the certificate when the server starts. Here the server
//! builds its acceptor itself instead: a [`TlsServer`] holds the current rustls
//! [`ServerConfig`] behind a lock, every accepted TCP connection does its handshake with the
//! configuration current at that moment (in a task of its own, so that a slow or hostile client
//! does not hold up the others), and the finished TLS streams are handed to tonic's
//! `serve_with_incoming_shutdown`. tonic's `Connected` implementation for rustls streams keeps
//! `Request::remote_addr` and `Request::peer_certs` working.
//!
//! **Reload.** The certificate, key and client CA files are read again on SIGHUP and every
//! `reload_every` (default 60 s); when their contents changed, a new configuration is built and
//! swapped in. Connections already open keep the configuration they were accepted with; new ones
//! get the new certificate. A configuration that does not load (a half-copied file, a key that
//! does not match) is logged and the old one stays in use. Swapping the whole configuration
//! rather than only the certificate (a `ResolvesServerCert`) means the client CA of mTLS is
//! reloaded the same way.
//!
//! **mTLS.** With a client CA, a client without a certificate signed by it is refused during the
//! handshake: it never reaches a gRPC handler.
//!
//! **Validity.** The served certificate's `notBefore` and `notAfter` ([`validity`]) are read at
//! every (re)load; an expired or not yet valid certificate is logged as a warning then, and again
//! when it expires while being served (checked with every reload tick). `status` and the metrics
//! show it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::service::conn::{Tracked, Tracker};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

mod text;
pub mod validity;

pub use text::localised;
pub use validity::{CertValidity, Standing};

/// Default interval between checks of the certificate files.
pub const DEFAULT_RELOAD_EVERY: Duration = Duration::from_secs(60);
/// A client that has not finished its handshake after this long is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a refused handshake: how long the connection is kept for the client to read the alert.
const LINGER: Duration = Duration::from_secs(2);

/// Errors of the TLS setup. They never reach the wire: they stop `serve` from starting, or are
/// logged by a reload that keeps the previous configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("{flag} {path}: {source}")]
    Io {
        /// The option that names the file (`--tls-cert`, `--tls-key`, `--client-ca`).
        flag: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A PEM file holds nothing usable of the expected kind.
    #[error("{flag} {path}: {what}")]
    Pem {
        /// The option that names the file (`--tls-cert`, `--tls-key`, `--client-ca`).
        flag: &'static str,
        /// The file.
        path: String,
        /// What is wrong with it.
        what: String,
    },
    /// rustls refused the configuration (e.g. the key does not belong to the certificate).
    #[error("TLS configuration from {cert} and {key}: {source}")]
    Config {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The client CA cannot verify client certificates.
    #[error("client CA {path}: {why}")]
    ClientCa {
        /// The CA file.
        path: String,
        /// Why.
        why: String,
    },
    /// Plaintext on an address other than loopback without the explicit flag.
    #[error(
        "refusing to serve plaintext gRPC on {0}, which is not a loopback address: give \
         --tls-cert FILE and --tls-key FILE (TLS), or --insecure-plaintext (only behind a \
         TLS-terminating proxy on a trusted network)"
    )]
    PlaintextNotLoopback(SocketAddr),
}

/// Where the server's TLS material is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Certificate chain, PEM (leaf first).
    pub cert: PathBuf,
    /// Private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// mTLS: the CA that must have signed every client's certificate (PEM, one or more).
    pub client_ca: Option<PathBuf>,
    /// How often the files are checked for changes (`None`: only on SIGHUP).
    pub reload_every: Option<Duration>,
}

impl TlsOptions {
    /// TLS from `cert` and `key`, without client certificates, checked every
    /// [`DEFAULT_RELOAD_EVERY`].
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsOptions {
        TlsOptions {
            cert: cert.into(),
            key: key.into(),
            client_ca: None,
            reload_every: Some(DEFAULT_RELOAD_EVERY),
        }
    }
}

/// The server side of TLS: the current configuration and the means to reload it.
#[derive(Debug)]
pub struct TlsServer {
    opts: TlsOptions,
    current: RwLock<Arc<ServerConfig>>,
    /// SHA-256 over the files the current configuration was built from.
    loaded_from: Mutex<[u8; 32]>,
    /// The validity of the served leaf, and where it stood when last looked at (to warn once
    /// when a served certificate expires).
    validity: Mutex<(Option<CertValidity>, Standing)>,
}

/// Refuses plaintext on `addr` unless it is a loopback address or `insecure_plaintext` is set.
pub fn check_plaintext(addr: SocketAddr, insecure_plaintext: bool) -> Result<(), TlsError> {
    if addr.ip().is_loopback() || insecure_plaintext {
        Ok(())
    } else {
        Err(TlsError::PlaintextNotLoopback(addr))
    }
}

/// SHA-256 of a certificate (DER), hex: what `openssl x509 -fingerprint -sha256` shows, without
/// the colons. Logged at every (re)load so that an operator can see which certificate is served.
pub fn cert_fingerprint(der: &[u8]) -> String {
    hex::encode(sovbench_core::sha256(der))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path, flag: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        flag,
        path: path.display().to_string(),
        source,
    })
}

fn certs(
    path: &Path,
    flag: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |what: String| TlsError::Pem {
        flag,
        path: path.display().to_string(),
        what,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block found".into()));
    }
    Ok(certs)
}

/// The files' contents, read once per (re)load so that the check and the build see the same
/// bytes.
struct Material {
    cert: Vec<u8>,
    key: Vec<u8>,
    client_ca: Option<Vec<u8>>,
}

impl Material {
    fn read(opts: &TlsOptions) -> Result<Material, TlsError> {
        Ok(Material {
            cert: read(&opts.cert, "--tls-cert")?,
            key: read(&opts.key, "--tls-key")?,
            client_ca: opts
                .client_ca
                .as_deref()
                .map(|p| read(p, "--client-ca"))
                .transpose()?,
        })
    }

    /// The validity of the leaf certificate (the first of the chain) and where it stands now;
    /// a warning when it is expired or not yet valid.
    fn validity(&self, opts: &TlsOptions) -> (Option<CertValidity>, Standing) {
        let leaf = CertificateDer::pem_slice_iter(&self.cert)
            .next()
            .and_then(Result::ok);
        let validity = leaf.and_then(|l| CertValidity::of(&opts.cert, &l));
        let now = sovbench_core::now_unix();
        let standing = validity.as_ref().map_or(Standing::Valid, |v| {
            v.warn_unless_valid(now);
            v.standing(now)
        });
        (validity, standing)
    }

    fn digest(&self) -> [u8; 32] {
        let mut all = Vec::with_capacity(self.cert.len() + self.key.len() + 64);
        for part in [Some(&self.cert), Some(&self.key), self.client_ca.as_ref()] {
            let part = part.map_or(&[][..], |p| &p[..]);
            all.extend_from_slice(&(part.len() as u64).to_be_bytes());
            all.extend_from_slice(part);
        }
        sovbench_core::sha256(&all)
    }

    fn build(&self, opts: &TlsOptions) -> Result<ServerConfig, TlsError> {
        let chain = certs(&opts.cert, "--tls-cert", &self.cert)?;
        let key = PrivateKeyDer::from_pem_slice(&self.key).map_err(|e| TlsError::Pem {
            flag: "--tls-key",
            path: opts.key.display().to_string(),
            what: format!("no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"),
        })?;
        let rustls_err = |source| TlsError::Config {
            cert: opts.cert.display().to_string(),
            key: opts.key.display().to_string(),
            source,
        };
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err)?;
        let builder = match (&opts.client_ca, &self.client_ca) {
            (Some(path), Some(pem)) => {
                let ca_err = |why: String| TlsError::ClientCa {
                    path: path.display().to_string(),
                    why,
                };
                let mut roots = RootCertStore::empty();
                for c in certs(path, "--client-ca", pem)? {
                    roots.add(c).map_err(|e| ca_err(e.to_string()))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .map_err(|e| ca_err(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(chain, key).map_err(rustls_err)?;
        // gRPC is HTTP/2; tonic's client insists on it being negotiated.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }
}

impl TlsServer {
    /// Loads the certificate, key and client CA; fails naming the file that is wrong.
    pub fn load(opts: TlsOptions) -> Result<Arc<TlsServer>, TlsError> {
        let material = Material::read(&opts)?;
        let config = material.build(&opts)?;
        log_loaded(&opts, &material, "TLS certificate loaded");
        Ok(Arc::new(TlsServer {
            current: RwLock::new(Arc::new(config)),
            loaded_from: Mutex::new(material.digest()),
            validity: Mutex::new(material.validity(&opts)),
            opts,
        }))
    }

    /// The validity of the certificate served now (`None` if its leaf did not parse).
    pub fn certificate(&self) -> Option<CertValidity> {
        self.validity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .clone()
    }

    /// Warns when the served certificate's standing changed since it was last looked at (it
    /// expired while being served); called with every reload tick.
    fn watch_validity(&self, now: i64) {
        let mut v = self
            .validity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(cert) = v.0.clone() else { return };
        let standing = cert.standing(now);
        if standing != v.1 {
            cert.warn_unless_valid(now);
            v.1 = standing;
        }
    }

    /// The options it was loaded with.
    pub fn options(&self) -> &TlsOptions {
        &self.opts
    }

    /// The configuration new connections get.
    pub fn config(&self) -> Arc<ServerConfig> {
        match self.current.read() {
            Ok(c) => c.clone(),
            // A panic while swapping cannot leave a torn Arc behind: the value is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the files again; if their contents changed, builds and swaps in the new
    /// configuration. Returns whether it changed. On an error the old configuration stays.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let material = Material::read(&self.opts)?;
        let digest = material.digest();
        let mut loaded = self
            .loaded_from
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *loaded == digest {
            return Ok(false);
        }
        let config = Arc::new(material.build(&self.opts)?);
        match self.current.write() {
            Ok(mut c) => *c = config,
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        *loaded = digest;
        log_loaded(&self.opts, &material, "TLS certificate reloaded");
        *self
            .validity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = material.validity(&self.opts);
        Ok(true)
    }

    /// The stream of accepted TLS connections on `listener`, for tonic's
    /// `serve_with_incoming_shutdown`. A background task accepts, handshakes each connection in a
    /// task of its own and reloads the certificates (on SIGHUP and every `reload_every`); it ends
    /// when the stream is dropped (the server shut down).
    ///
    /// Connections are admitted through `tracker` before the handshake
    /// ([`crate::service::conn`]).
    pub fn incoming(
        self: &Arc<Self>,
        listener: TcpListener,
        tracker: Arc<Tracker>,
    ) -> ReceiverStream<Result<TlsStream<Tracked<TcpStream>>, std::io::Error>> {
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(accept_loop(self.clone(), listener, tracker, tx));
        ReceiverStream::new(rx)
    }
}

fn log_loaded(opts: &TlsOptions, m: &Material, what: &str) {
    let leaf = CertificateDer::pem_slice_iter(&m.cert)
        .next()
        .and_then(Result::ok)
        .map(|c| cert_fingerprint(&c))
        .unwrap_or_default();
    tracing::info!(
        cert = %opts.cert.display(),
        sha256 = %leaf,
        client_ca = opts.client_ca.as_ref().map(|p| p.display().to_string()),
        "{what}"
    );
}

type Sender = mpsc::Sender<Result<TlsStream<Tracked<TcpStream>>, std::io::Error>>;

async fn accept_loop(
    tls: Arc<TlsServer>,
    listener: TcpListener,
    tracker: Arc<Tracker>,
    tx: Sender,
) {
    let mut hangup = hangup_signal();
    let mut tick = tls.opts.reload_every.map(|every| {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        tokio::select! {
            tcp = crate::service::conn::accept(&listener, &tracker) => handshake(&tls, tcp, tx.clone()),
            _ = tx.closed() => break,
            _ = next_tick(&mut tick) => reload_logged(&tls, "timer").await,
            _ = next_hangup(&mut hangup) => reload_logged(&tls, "SIGHUP").await,
        }
    }
}

fn handshake(tls: &TlsServer, tcp: Tracked<TcpStream>, tx: Sender) {
    use tonic::transport::server::Connected as _;
    let peer = tcp
        .connect_info()
        .remote_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let acceptor = TlsAcceptor::from(tls.config());
    tokio::spawn(async move {
        let accept = acceptor.accept(tcp).into_fallible();
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
            Ok(Ok(stream)) => {
                let _ = tx.send(Ok(stream)).await;
            }
            Ok(Err((e, tcp))) => {
                tracing::info!(%peer, error = %e, "TLS handshake refused");
                linger(tcp).await;
            }
            Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
        }
    });
}

/// After a refused handshake the alert that says why (with mTLS: `certificate_required` for a
/// client without a certificate) has been written. In TLS 1.3 the client has already sent its
/// first request by then; closing with that unread makes the kernel send a reset, which can
/// overtake the alert, and the client sees only "connection closed" instead of the reason. So:
/// close the sending side, read and drop what arrives until the client closes, at most
/// [`LINGER`].
async fn linger(mut tcp: Tracked<TcpStream>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tcp.shutdown().await;
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

async fn reload_logged(tls: &Arc<TlsServer>, trigger: &'static str) {
    let t = tls.clone();
    match tokio::task::spawn_blocking(move || t.reload()).await {
        Ok(Ok(_)) => tls.watch_validity(sovbench_core::now_unix()),
        Ok(Err(e)) => {
            tracing::error!(trigger, error = %e, "TLS reload failed; the previous certificate stays in use")
        }
        Err(e) => tracing::error!(trigger, error = %e, "TLS reload failed"),
    }
}

async fn next_tick(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

fn hangup_signal() -> Hangup {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "no SIGHUP handler; certificates reload on the timer only");
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn next_hangup(h: &mut Hangup) {
    #[cfg(unix)]
    if let Some(s) = h {
        if s.recv().await.is_some() {
            return;
        }
        // The signal stream ended: never again.
        *h = None;
    }
    let _ = h;
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_is_allowed_on_loopback_only_without_the_flag() {
        assert!(check_plaintext("127.0.0.1:7443".parse().unwrap(), false).is_ok());
        assert!(check_plaintext("[::1]:7443".parse().unwrap(), false).is_ok());
        let e = check_plaintext("0.0.0.0:7443".parse().unwrap(), false).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("--tls-cert") && text.contains("--insecure-plaintext"),
            "{text}"
        );
        assert!(check_plaintext("10.1.2.3:7443".parse().unwrap(), false).is_err());
        assert!(check_plaintext("10.1.2.3:7443".parse().unwrap(), true).is_ok());
    }

    #[test]
    fn missing_or_wrong_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let e = TlsServer::load(TlsOptions::new(&cert, &key)).unwrap_err();
        assert!(e.to_string().contains("cert.pem"), "{e}");
        std::fs::write(&cert, "not pem").unwrap();
        std::fs::write(&key, "not pem").unwrap();
        let e = TlsServer::load(TlsOptions::new(&cert, &key)).unwrap_err();
        assert!(
            e.to_string().contains("cert.pem") && e.to_string().contains("CERTIFICATE"),
            "{e}"
        );
    }
}
