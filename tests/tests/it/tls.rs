//! TLS on the gRPC link: certificates made in the test with `rcgen`, a real aggregator serving
//! TLS on `127.0.0.1:0`, real nodes and raw clients. A node submits over TLS; a plaintext
//! client is refused at the TLS port; with mTLS a client without a certificate (or with one from
//! another CA) is refused and one with a certificate works; replaced certificate files are
//! served to new connections without a restart (timer and SIGHUP), a broken replacement is not.

// The helpers below are test code outside #[test] functions, where clippy.toml's
// allow-unwrap-in-tests does not reach.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sovbench_aggregator::service::{serve_tls, ServeOptions};
use sovbench_aggregator::tls::{cert_fingerprint, TlsOptions, TlsServer};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::envelope::b64;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::selftest::Assessment;
use sovbench_node::config::{NodeConfig, PrivacyPolicy};
use sovbench_node::link::Link;
use sovbench_node::model::DeliveryState;
use sovbench_node::{round, selftest, InitOptions, Node};
use tokio::sync::oneshot;
use tokio_rustls::rustls;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// Not before and not after of a certificate, each (year, month, day).
type Validity = ((i32, u8, u8), (i32, u8, u8));

/// A certificate authority made in the test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf certificate for `names` (DNS names or IP addresses) with `serial`: (cert PEM, key
    /// PEM, SHA-256 of the DER).
    fn leaf(&self, names: &[&str], serial: u64) -> (String, String, String) {
        self.leaf_valid(names, serial, None)
    }

    /// [`Ca::leaf`] valid only between the two dates (year, month, day), if given.
    fn leaf_valid(
        &self,
        names: &[&str],
        serial: u64,
        validity: Option<Validity>,
    ) -> (String, String, String) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
            params.not_before = rcgen::date_time_ymd(y1, m1, d1);
            params.not_after = rcgen::date_time_ymd(y2, m2, d2);
        }
        params.serial_number = Some(serial.into());
        params
            .distinguished_name
            .push(DnType::CommonName, "sovbench test");
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.pem(),
            key.serialize_pem(),
            cert_fingerprint(cert.der()),
        )
    }
}

/// Writes `text` to `path` the way an operator's tooling should: a temporary file renamed into
/// place, so that a reload never reads half a file.
fn put(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// An aggregator serving TLS on 127.0.0.1:0.
struct TlsAgg {
    dir: tempfile::TempDir,
    agg: Arc<Aggregator>,
    port: u16,
    ca: Ca,
    cert: PathBuf,
    key: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TlsAgg {
    /// Serves with a fresh CA and a certificate for localhost and 127.0.0.1 (serial 1).
    async fn start(client_ca: Option<&Ca>, reload_every: Option<Duration>) -> TlsAgg {
        TlsAgg::start_valid(client_ca, reload_every, None).await
    }

    /// [`TlsAgg::start`] with a certificate valid only between two dates.
    async fn start_valid(
        client_ca: Option<&Ca>,
        reload_every: Option<Duration>,
        validity: Option<Validity>,
    ) -> TlsAgg {
        let dir = tempfile::tempdir().unwrap();
        let agg = Arc::new(Aggregator::init(&dir.path().join("agg"), "TLS-Verbund").unwrap());
        let ca = Ca::new("Test-CA Rechenzentrum");
        let (cert_pem, key_pem, _) = ca.leaf_valid(&["localhost", "127.0.0.1"], 1, validity);
        let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
        put(&cert, &cert_pem);
        put(&key, &key_pem);
        let client_ca = client_ca.map(|c| {
            let p = dir.path().join("clients-ca.pem");
            put(&p, &c.pem);
            p
        });
        let tls = TlsServer::load(TlsOptions {
            cert: cert.clone(),
            key: key.clone(),
            client_ca,
            reload_every,
        })
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn({
            let agg = agg.clone();
            async move {
                let opts = ServeOptions {
                    auto_close_every: None,
                    ..ServeOptions::default()
                };
                serve_tls(agg, listener, opts, Some(tls), async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            }
        });
        TlsAgg {
            dir,
            agg,
            port,
            ca,
            cert,
            key,
            stop: Some(tx),
            server: Some(server),
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(10), s)
                .await
                .expect("the TLS server stops")
                .unwrap();
        }
    }

    fn https(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    fn open_round(&self) {
        self.agg
            .open_round(RoundSpec {
                round_id: "2027-q1".into(),
                metrics: Vec::new(),
                epsilon_per_release: 1.0,
                releases_per_node: 1,
                min_cohort: 2,
                closes_at: self.agg.now() + 3_600,
                secure: None,
            })
            .unwrap();
    }

    /// A node configured for this aggregator over https, trusting its CA through
    /// `aggregator_ca` (a path relative to the node's data directory); enrolled.
    fn node(&self, name: &str, client: Option<(&str, &str)>) -> Node {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(dir.join("tls")).unwrap();
        put(&dir.join("tls/ca.pem"), &self.ca.pem);
        let node = Node::init(
            &dir,
            InitOptions {
                name: format!("Verwaltung {name}"),
                kind: "gemeinde".into(),
                state: "DE-BY".into(),
                size: 8_000,
                aggregator_url: Some(self.https()),
                aggregator_key: Some(b64(self.agg.public_key())),
                committee_fingerprint: None,
                policy: Some(PrivacyPolicy {
                    min_cohort: 2,
                    ..PrivacyPolicy::default()
                }),
            },
        )
        .unwrap();
        drop(node);
        let mut toml = std::fs::read_to_string(dir.join("node.toml")).unwrap();
        let mut top = "aggregator_ca = \"tls/ca.pem\"\n".to_string();
        if let Some((cert, key)) = client {
            put(&dir.join("tls/node.pem"), cert);
            put(&dir.join("tls/node.key"), key);
            top.push_str("client_cert = \"tls/node.pem\"\nclient_key = \"tls/node.key\"\n");
        }
        toml.insert_str(0, &top);
        put(&dir.join("node.toml"), &toml);
        let node = Node::open(&dir).unwrap();
        selftest::record(&node, Assessment::from_scores([3, 2, 4, 1, 2]).unwrap()).unwrap();
        let p = node.profile().unwrap();
        self.agg
            .enrol(node.public_key(), &p.name, p.cohort(), p.size)
            .unwrap();
        node
    }

    /// A raw gRPC client over TLS trusting `ca`, with an optional client identity.
    async fn client(
        &self,
        ca: &str,
        identity: Option<(&str, &str)>,
    ) -> Result<pb::aggregator_client::AggregatorClient<Channel>, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
        if let Some((c, k)) = identity {
            tls = tls.identity(Identity::from_pem(c, k));
        }
        let ch = Endpoint::from_shared(self.https())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .tls_config(tls)?
            .connect()
            .await?;
        Ok(pb::aggregator_client::AggregatorClient::new(ch))
    }

    /// Whether `GetRound` works through a client made by `client`.
    async fn get_round_works(
        &self,
        client: Result<pb::aggregator_client::AggregatorClient<Channel>, tonic::transport::Error>,
    ) -> bool {
        match client {
            Ok(mut c) => c.get_round(pb::GetRoundRequest::default()).await.is_ok(),
            Err(_) => false,
        }
    }

    /// SHA-256 of the certificate a fresh TLS connection is served (a raw rustls client).
    async fn served_fingerprint(&self) -> String {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(self.ca.pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        let (_, session) = tls.get_ref();
        assert_eq!(session.alpn_protocol(), Some(&b"h2"[..]), "h2 negotiated");
        let leaf = &session.peer_certificates().expect("server certificate")[0];
        cert_fingerprint(leaf)
    }
}

use rustls::pki_types::pem::PemObject as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_submits_over_tls_and_a_plaintext_client_is_refused() {
    let a = TlsAgg::start(None, None).await;
    a.open_round();
    let node = a.node("landkreis", None);
    let report = round::submit(&node).await.unwrap();
    let d = report.current.expect("released");
    assert_eq!(d.state, DeliveryState::Delivered, "{:?}", d.detail);
    assert!(node.store().receipt("2027-q1").unwrap().is_some());

    // Plaintext gRPC to the TLS port: the handshake fails, nothing is answered.
    let plain = async {
        let mut c = pb::aggregator_client::AggregatorClient::connect(format!(
            "http://127.0.0.1:{}",
            a.port
        ))
        .await?;
        c.get_round(pb::GetRoundRequest::default())
            .await
            .map_err(anyhow::Error::from)?;
        anyhow::Ok(())
    };
    let res = tokio::time::timeout(Duration::from_secs(20), plain)
        .await
        .expect("refused in time");
    assert!(res.is_err(), "plaintext answered on the TLS port");

    // A client that does not trust the aggregator's CA refuses the server.
    let other = Ca::new("Fremde CA");
    assert!(!a.get_round_works(a.client(&other.pem, None).await).await);
    assert!(a.get_round_works(a.client(&a.ca.pem, None).await).await);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_client_ca_only_clients_with_its_certificate_get_through() {
    let clients = Ca::new("Client-CA Verbund");
    let a = TlsAgg::start(Some(&clients), None).await;
    a.open_round();
    let (cert, key, _) = clients.leaf(&["node.example"], 7);

    // Raw clients: none, one from another CA, one from the client CA.
    assert!(!a.get_round_works(a.client(&a.ca.pem, None).await).await);
    let stranger = Ca::new("Fremde CA");
    let (sc, sk, _) = stranger.leaf(&["node.example"], 8);
    assert!(
        !a.get_round_works(a.client(&a.ca.pem, Some((&sc, &sk))).await)
            .await
    );
    assert!(
        a.get_round_works(a.client(&a.ca.pem, Some((&cert, &key))).await)
            .await
    );

    // Nodes: without client_cert nothing is delivered; with it the submission arrives.
    let bare = a.node("ohne-zertifikat", None);
    let res = round::submit(&bare).await;
    assert!(
        res.as_ref().map_or(true, |r| r
            .current
            .as_ref()
            .is_none_or(|d| d.state != DeliveryState::Delivered)),
        "a node without a client certificate got through: {res:?}"
    );
    assert!(bare.store().receipt("2027-q1").unwrap().is_none());
    // ... and the node is told why, naming the settings to fix (not just "transport error").
    let link = Link::from_config(bare.dir(), &NodeConfig::load(bare.dir()).unwrap());
    for attempt in 0..3 {
        let e = link.get_round(None).await.expect_err("refused");
        assert!(e.is_transient(), "{e}");
        let (de, en) = (e.localised(Lang::De), e.localised(Lang::En));
        assert!(
            en.contains("refused the node's client certificate")
                && en.contains("client_cert")
                && en.contains("client_key")
                && en.contains("node.toml"),
            "attempt {attempt}: {en}"
        );
        assert!(
            de.contains("Client-Zertifikat des Knotens abgelehnt")
                && de.contains("client_cert")
                && de.contains("node.toml"),
            "attempt {attempt}: {de}"
        );
    }
    // A certificate from another CA is refused the same way.
    let strange = a.node("fremdes-zertifikat", Some((&sc, &sk)));
    let link = Link::from_config(strange.dir(), &NodeConfig::load(strange.dir()).unwrap());
    let e = link.get_round(None).await.expect_err("refused");
    assert!(
        e.localised(Lang::En)
            .contains("refused the node's client certificate"),
        "{}",
        e.localised(Lang::En)
    );
    let with = a.node("mit-zertifikat", Some((&cert, &key)));
    let d = round::submit(&with)
        .await
        .unwrap()
        .current
        .expect("released");
    assert_eq!(d.state, DeliveryState::Delivered, "{:?}", d.detail);
    a.stop().await;
}

/// Polls until a fresh connection is served `want` (at most 10 s).
async fn wait_for_cert(a: &TlsAgg, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = a.served_fingerprint().await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still served {got}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_certificates_are_served_without_a_restart() {
    let a = TlsAgg::start(None, Some(Duration::from_millis(100))).await;
    a.open_round();
    let first = a.served_fingerprint().await;
    // A channel opened before the change.
    let mut old = a.client(&a.ca.pem, None).await.unwrap();

    let (cert2, key2, fp2) = a.ca.leaf(&["localhost", "127.0.0.1"], 2);
    assert_ne!(first, fp2);
    put(&a.key, &key2);
    put(&a.cert, &cert2);
    wait_for_cert(&a, &fp2).await;
    // Both the open channel and new ones keep working.
    assert!(old.get_round(pb::GetRoundRequest::default()).await.is_ok());
    assert!(a.get_round_works(a.client(&a.ca.pem, None).await).await);

    // A broken key is not loaded: the previous certificate stays in use.
    put(
        &a.key,
        "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n",
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(a.served_fingerprint().await, fp2);
    a.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificates_at_once() {
    // No timer: only the signal can reload.
    let a = TlsAgg::start(None, None).await;
    let first = a.served_fingerprint().await;
    let (cert2, key2, fp2) = a.ca.leaf(&["localhost", "127.0.0.1"], 3);
    put(&a.key, &key2);
    put(&a.cert, &cert2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        a.served_fingerprint().await,
        first,
        "reloaded without a signal"
    );
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for_cert(&a, &fp2).await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trustee_reaches_the_aggregator_over_tls_with_its_ca() {
    use sovbench_trustee::client::{Client, ClientTls};
    let a = TlsAgg::start(None, None).await;
    a.open_round();
    let ca = a.dir.path().join("trustee-ca.pem");
    put(&ca, &a.ca.pem);
    let key = a.agg.public_key().to_vec();
    let with_ca = Client::with_tls(
        &a.https(),
        key.clone(),
        ClientTls {
            ca: Some(ca),
            ..ClientTls::default()
        },
    );
    let (params, _) = with_ca.get_round("2027-q1").await.unwrap();
    assert_eq!(params.round_id, "2027-q1");
    // Without the CA, the system's trust store does not know the test CA.
    let without = Client::with_tls(&a.https(), key, ClientTls::default());
    assert!(without.get_round("2027-q1").await.is_err());
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trustee_without_a_client_certificate_is_told_to_set_client_cert() {
    use sovbench_trustee::client::{Client, ClientTls};
    let clients = Ca::new("Client-CA Verbund");
    let a = TlsAgg::start(Some(&clients), None).await;
    a.open_round();
    let ca = a.dir.path().join("trustee-ca.pem");
    put(&ca, &a.ca.pem);
    let bare = Client::with_tls(
        &a.https(),
        a.agg.public_key().to_vec(),
        ClientTls {
            ca: Some(ca),
            ..ClientTls::default()
        },
    );
    let e = bare.get_round("2027-q1").await.expect_err("refused");
    let (de, en) = (e.localised(Lang::De), e.localised(Lang::En));
    assert!(
        en.contains("refused the trustee's client certificate")
            && en.contains("client_cert")
            && en.contains("client_key")
            && en.contains("trustee.toml"),
        "{en}"
    );
    assert!(
        de.contains("Client-Zertifikat des Treuhänders abgelehnt") && de.contains("trustee.toml"),
        "{de}"
    );
    a.stop().await;
}

/// The status and the metrics of a running aggregator, over its admin API's code, as an operator
/// reads them (once the server task has started: the admin API answers only then).
async fn status_and_metrics(a: &TlsAgg, lang: &str, json: bool) -> (String, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while a.agg.tls_certificate().is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let req = pb::AdminRequest {
        command: Some(pb::admin_request::Command::Status(pb::AdminQuery {})),
        lang: lang.into(),
        json,
        ..Default::default()
    };
    let status = sovbench_aggregator::admin::commands::execute(&a.agg, &req)
        .unwrap()
        .output;
    let metrics = sovbench_aggregator::metrics::Metrics::of(&a.agg).render(&a.agg);
    (status, metrics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_shown_by_status_and_in_the_metrics() {
    let a = TlsAgg::start_valid(None, None, Some(((2020, 1, 1), (2021, 1, 1)))).await;
    let (en, metrics) = status_and_metrics(&a, "en", false).await;
    assert!(
        en.contains("TLS certificate") && en.contains("server.pem"),
        "{en}"
    );
    assert!(en.contains("EXPIRED at 2021-01-01"), "{en}");
    let (de, _) = status_and_metrics(&a, "de", false).await;
    assert!(de.contains("ABGELAUFEN am 2021-01-01"), "{de}");
    let (json, _) = status_and_metrics(&a, "en", true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["tls_certificate"]["standing"], "expired", "{v}");
    assert!(
        v["tls_certificate"]["seconds_left"].as_i64().unwrap() < 0,
        "{v}"
    );
    assert!(
        metrics.contains("\nsovbench_tls_certificate_expired 1\n"),
        "{metrics}"
    );
    // Nodes refuse it: nothing works until the file is replaced.
    assert!(!a.get_round_works(a.client(&a.ca.pem, None).await).await);
    a.stop().await;

    // A valid certificate: its expiry date and the days left; the gauge is 0.
    let ok = TlsAgg::start(None, None).await;
    let (en, metrics) = status_and_metrics(&ok, "en", false).await;
    assert!(
        en.contains("valid until") && en.contains("days left"),
        "{en}"
    );
    assert!(
        metrics.contains("\nsovbench_tls_certificate_expired 0\n"),
        "{metrics}"
    );
    ok.stop().await;
}
