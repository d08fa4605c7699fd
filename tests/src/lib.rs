//! Test harness for the cross-crate integration tests: a real aggregator serving gRPC on
//! `127.0.0.1:0` with a temporary store, and real nodes with their own temporary stores.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::clock::{SharedClock, SystemClock, TestClock};
use sovbench_core::envelope::b64;
use sovbench_core::pb;
use sovbench_core::selftest::Assessment;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::{selftest, InitOptions, Node};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A real aggregator on loopback.
pub struct Harness {
    /// Root of all temporary data.
    pub tmp: tempfile::TempDir,
    /// The aggregator's data directory.
    pub agg_dir: PathBuf,
    agg: Option<Arc<Aggregator>>,
    /// Address the server listens on.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    nodes: usize,
    /// The clock the aggregator and every node of the harness share.
    pub clock: SharedClock,
}

impl Harness {
    /// Initialises an aggregator in a temporary folder and serves it on `127.0.0.1:0`.
    pub async fn start() -> Harness {
        Harness::start_with_clock(SystemClock::shared()).await
    }

    /// [`Harness::start`] with a test clock at `unix_secs` that the aggregator and all nodes
    /// share, so that a test never depends on the day it runs (midnight, New Year).
    pub async fn start_at(unix_secs: i64) -> (Harness, Arc<TestClock>) {
        let (handle, clock) = TestClock::shared(unix_secs);
        (Harness::start_with_clock(clock).await, handle)
    }

    async fn start_with_clock(clock: SharedClock) -> Harness {
        let tmp = tempfile::tempdir().expect("temp dir");
        let agg_dir = tmp.path().join("aggregator");
        let agg = Aggregator::init_with_clock(&agg_dir, "Test-Verbund", clock.clone())
            .expect("init aggregator");
        let mut h = Harness {
            clock,
            tmp,
            agg_dir,
            agg: Some(Arc::new(agg)),
            addr: "127.0.0.1:0".parse().expect("addr"),
            stop: None,
            server: None,
            nodes: 0,
        };
        h.serve().await;
        h
    }

    async fn serve(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind");
        self.addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let agg = self.agg.clone().expect("aggregator open");
        self.server = Some(tokio::spawn(async move {
            serve(
                agg,
                listener,
                ServeOptions {
                    auto_close_every: None,
                    ..ServeOptions::default()
                },
                async {
                    let _ = rx.await;
                },
            )
            .await
            .expect("server");
        }));
        self.stop = Some(tx);
    }

    /// gRPC address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The aggregator.
    pub fn agg(&self) -> &Arc<Aggregator> {
        self.agg.as_ref().expect("aggregator is running")
    }

    /// Base64 public key of the aggregator.
    pub fn key(&self) -> String {
        b64(self.agg().public_key())
    }

    /// Stops the server and closes the store (as a clean shutdown does).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.expect("server task");
        }
        let agg = self.agg.take().expect("aggregator open");
        // The server has returned, so this is the last reference: dropping it joins the commit
        // worker and releases the store's lock.
        assert_eq!(Arc::strong_count(&agg), 1, "aggregator still referenced");
        drop(agg);
    }

    /// Opens the store again and serves on the same address.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    /// After [`Harness::stop`]: opens the store again and serves on the same address.
    pub async fn start_again(&mut self) {
        self.agg = Some(Arc::new(
            Aggregator::open_with_clock(&self.agg_dir, self.clock.clone())
                .expect("reopen aggregator"),
        ));
        self.serve().await;
    }

    /// Opens a round.
    pub fn open_round(&self, id: &str, epsilon: f64, releases: u32, k: u32) -> pb::RoundParams {
        self.agg()
            .open_round(RoundSpec {
                round_id: id.into(),
                metrics: Vec::new(),
                epsilon_per_release: epsilon,
                releases_per_node: releases,
                min_cohort: k,
                closes_at: self.clock.now() + 3_600,
                secure: None,
            })
            .expect("open round")
    }

    /// Creates a node (not enrolled), with a self-test recorded.
    pub fn new_node(&mut self, kind: &str, state: &str, size: u64, scores: [i64; 5]) -> Node {
        self.nodes += 1;
        let dir = self.tmp.path().join(format!("node-{}", self.nodes));
        let node = Node::init_with_clock(
            &dir,
            InitOptions {
                name: format!("Testverwaltung {}", self.nodes),
                kind: kind.into(),
                state: state.into(),
                size,
                aggregator_url: Some(self.url()),
                aggregator_key: Some(self.key()),
                committee_fingerprint: None,
                policy: Some(PrivacyPolicy {
                    max_epsilon_per_round: 2.0,
                    max_epsilon_per_year: 4.0,
                    min_cohort: 2,
                    max_epsilon_lifetime: None,
                    ..PrivacyPolicy::default()
                }),
            },
            self.clock.clone(),
        )
        .expect("init node");
        selftest::record(&node, Assessment::from_scores(scores).expect("scores")).expect("assess");
        node
    }

    /// Creates and enrols a node.
    pub fn node(&mut self, kind: &str, state: &str, size: u64, scores: [i64; 5]) -> Node {
        let node = self.new_node(kind, state, size, scores);
        self.enrol(&node);
        node
    }

    /// Enrols a node with the attributes of its profile.
    pub fn enrol(&self, node: &Node) {
        let p = node.profile().expect("profile");
        self.agg()
            .enrol(node.public_key(), &p.name, p.cohort(), p.size)
            .expect("enrol");
    }

    /// A raw gRPC client, for sending crafted messages.
    pub async fn client(
        &self,
    ) -> pb::aggregator_client::AggregatorClient<tonic::transport::Channel> {
        pb::aggregator_client::AggregatorClient::connect(self.url())
            .await
            .expect("connect")
    }
}

/// Asserts that a gRPC call was refused with `code` and a message containing `needle`.
pub fn expect_code<T: std::fmt::Debug>(
    res: Result<T, tonic::Status>,
    code: tonic::Code,
    needle: &str,
) {
    match res {
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), code, "{}", s.message());
            assert!(
                s.message().contains(needle),
                "{:?} lacks {needle:?}",
                s.message()
            );
        }
    }
}

/// A well-formed submission body for a round: one release of the round's first metric at
/// epsilon 1 and scale 4, with a fixed time and nonce (so that equal `value`s give equal bytes).
pub fn craft_submission(round: &pb::SignedMessage, value: i64) -> pb::payload::Body {
    use prost::Message as _;
    let params = match pb::Payload::decode(round.payload.as_slice())
        .expect("round payload")
        .body
    {
        Some(pb::payload::Body::Round(p)) => p,
        _ => panic!("not a round"),
    };
    pb::payload::Body::Submission(pb::Submission {
        round_id: params.round_id.clone(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: vec![pb::Release {
            metric: params.metrics[0].id.clone(),
            mechanism: params.metrics[0].mechanism,
            value,
            scale: 4.0,
            epsilon: 1.0,
            ..Default::default()
        }],
        created_at: 1_790_000_000,
        nonce: vec![7; 16],
        encrypted: Vec::new(),
    })
}
