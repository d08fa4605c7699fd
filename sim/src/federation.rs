//! A whole federation on loopback: one real aggregator serving gRPC on `127.0.0.1:0` and N real
//! nodes, each with its own store and key, all going through the real submission path. In mode
//! secure also m real trustees, each with its own store and key, that make the committee key by
//! distributed key generation through the aggregator and then check the bulletin, add their
//! noise and decrypt over gRPC.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::Value;
use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::{Aggregator, RoundSpec, SecureSpec};
use sovbench_core::clock::{SharedClock, TestClock};
use sovbench_core::envelope::b64;
use sovbench_core::pb;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::model::DeliveryState;
use sovbench_node::{peers, round, selftest, InitOptions, Node};
use sovbench_secure::round::Grid;
use sovbench_trustee::{Trustee, Work};
use tokio::sync::Semaphore;

use crate::population::{generate, Administration};
pub use crate::truth::truth_json;

/// Settings of a simulated federation.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// Number of administrations.
    pub nodes: usize,
    /// Seed of the population.
    pub seed: u64,
    /// Epsilon per released value.
    pub epsilon: f64,
    /// Values each node releases (0 = all).
    pub releases_per_node: u32,
    /// Minimum cohort size.
    pub min_cohort: u32,
    /// Nodes working at the same time.
    pub parallel: usize,
    /// Where to keep the stores (a temporary folder if `None`).
    pub dir: Option<PathBuf>,
    /// Metric ids the round asks for (empty: the catalogue's default, the self-test).
    pub metrics: Vec<String>,
    /// Share of administrations that offer their catalogue migration paths for peer matching
    /// (chosen at random from the seed).
    pub peer_share: f64,
    /// Mode secure with a trustee committee; `None`: mode direct (local noise on each node).
    pub secure: Option<SecureConfig>,
}

/// The trustee committee of a secure demo round.
#[derive(Debug, Clone)]
pub struct SecureConfig {
    /// Trustees m.
    pub trustees: usize,
    /// Threshold t.
    pub threshold: usize,
    /// Publication grid.
    pub grid: Grid,
    /// Grid `all+kind-size`: share of epsilon on the cell `all`.
    pub all_weight: f64,
    /// Trustees that are down after the key generation (they never check, add noise or
    /// decrypt): with at most m − t down the round still publishes.
    pub down: usize,
    /// Path bound b (at most b paths per administration; capped at the round's path metrics).
    pub path_bound: u32,
}

impl Default for SecureConfig {
    fn default() -> Self {
        SecureConfig {
            trustees: 5,
            threshold: 3,
            grid: Grid::KindSize,
            all_weight: 0.0,
            down: 0,
            path_bound: 3,
        }
    }
}

/// How long the demo aggregator waits for the noise of trustees that are down (by its clock,
/// which the simulation advances).
const DEMO_NOISE_WAIT: Duration = Duration::from_secs(5);

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            nodes: 300,
            seed: 42,
            epsilon: 2.0,
            releases_per_node: 1,
            min_cohort: 10,
            parallel: 16,
            dir: None,
            metrics: Vec::new(),
            peer_share: 0.3,
            secure: None,
        }
    }
}

/// A running simulated federation.
pub struct Federation {
    /// The aggregator (shared with its server).
    pub aggregator: Arc<Aggregator>,
    /// gRPC address of the aggregator.
    pub url: String,
    /// The simulated population, in node order.
    pub population: Vec<Administration>,
    /// Data directory of each node, in population order.
    pub node_dirs: Vec<PathBuf>,
    /// Round id.
    pub round_id: String,
    /// Wall time of the submission phase.
    pub submit_time: Duration,
    /// Seed of the population and the inventories.
    pub seed: u64,
    /// Share of administrations offering their paths for peer matching.
    pub peer_share: f64,
    /// The one time the whole federation runs at (its start): the aggregator, every node and
    /// the ground truth see the same day, even if a run crosses midnight or New Year.
    pub clock: SharedClock,
    /// The trustees of a secure round (empty in mode direct), in committee order.
    pub trustees: Vec<Trustee>,
    /// How many of them are down (the last ones).
    pub trustees_down: usize,
    /// Wall time of the distributed key generation (mode secure).
    pub dkg_time: Duration,
    clock_handle: Arc<TestClock>,
    server: Loopback,
    _tmp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("url", &self.url)
            .finish()
    }
}

/// Starts an aggregator on `127.0.0.1:0`, opens a round, and lets every simulated
/// administration initialise its node, get enrolled, record its self-test and submit over gRPC.
pub async fn start(cfg: &FederationConfig) -> anyhow::Result<Federation> {
    let (tmp, base) = match &cfg.dir {
        Some(d) => (None, d.clone()),
        None => {
            let t = tempfile::tempdir().context("creating a temporary folder")?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let (clock_handle, clock) = TestClock::shared(sovbench_core::now_unix());
    let agg = Arc::new(Aggregator::init_with_clock(
        &base.join("aggregator"),
        "Demo-Verbund",
        clock.clone(),
    )?);
    let server = Loopback::start(agg.clone()).await?;
    let url = server.url.clone();
    let round_id = format!("demo-{}", cfg.seed);
    let dkg_started = Instant::now();
    let (trustees, committee_fingerprint) = match &cfg.secure {
        Some(s) => {
            let (t, fp) = committee(&agg, &base, &url, s).await?;
            (t, Some(hex::encode(fp)))
        }
        None => (Vec::new(), None),
    };
    let dkg_time = dkg_started.elapsed();
    agg.open_round(RoundSpec {
        round_id: round_id.clone(),
        metrics: cfg.metrics.clone(),
        epsilon_per_release: cfg.epsilon,
        releases_per_node: if cfg.secure.is_some() {
            0
        } else {
            cfg.releases_per_node
        },
        min_cohort: cfg.min_cohort,
        closes_at: clock.now() + 3_600,
        secure: cfg.secure.as_ref().map(|s| SecureSpec {
            ceremony: CEREMONY.to_string(),
            grid: s.grid,
            all_weight: s.all_weight,
            path_bound: s.path_bound,
        }),
    })?;
    let population = generate(cfg.nodes, cfg.seed);
    let agg_key = b64(agg.public_key());
    let sem = Arc::new(Semaphore::new(cfg.parallel.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut node_dirs = Vec::with_capacity(population.len());
    let policy = PrivacyPolicy {
        max_epsilon_per_round: if cfg.secure.is_some() {
            cfg.epsilon
        } else {
            cfg.epsilon
                * f64::from(if cfg.releases_per_node == 0 {
                    5
                } else {
                    cfg.releases_per_node
                })
        },
        max_epsilon_per_year: (cfg.epsilon * 5.0).max(4.0),
        min_cohort: cfg.min_cohort.min(10),
        max_epsilon_lifetime: None,
        ..PrivacyPolicy::default()
    };
    for (i, admin) in population.iter().enumerate() {
        let dir = base.join("nodes").join(format!("node-{i:05}"));
        node_dirs.push(dir.clone());
        let sim = SimNode {
            dir,
            admin: admin.clone(),
            inventory: crate::population::inventory_for(admin, i, cfg.seed),
            paths: crate::population::paths_for(admin, i, cfg.seed),
            policy: policy.clone(),
            offers_peers: crate::population::offers_peers(i, cfg.seed, cfg.peer_share),
            committee_fingerprint: committee_fingerprint.clone(),
        };
        let (agg, url, key, sem) = (agg.clone(), url.clone(), agg_key.clone(), sem.clone());
        let clock = clock.clone();
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await?;
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                handle.block_on(run_node(sim, &agg, &url, &key, clock))
            })
            .await?
        });
    }
    while let Some(res) = tasks.join_next().await {
        res??;
    }
    let submit_time = started.elapsed();
    Ok(Federation {
        aggregator: agg,
        url,
        population,
        node_dirs,
        round_id,
        submit_time,
        seed: cfg.seed,
        peer_share: cfg.peer_share,
        clock,
        trustees_down: cfg
            .secure
            .as_ref()
            .map_or(0, |s| s.down.min(trustees.len())),
        trustees,
        dkg_time,
        clock_handle,
        server,
        _tmp: tmp,
    })
}

/// Id of the demo's key generation ceremony.
pub(crate) const CEREMONY: &str = "demo-committee";

/// Initialises m trustees, registers their keys in a ceremony and runs the distributed key
/// generation among them through the aggregator; returns them and the committee fingerprint.
pub(crate) async fn committee(
    agg: &Aggregator,
    base: &std::path::Path,
    url: &str,
    s: &SecureConfig,
) -> anyhow::Result<(Vec<Trustee>, [u8; 32])> {
    let key = b64(agg.public_key());
    let trustees = (0..s.trustees)
        .map(|i| {
            Trustee::init(
                &base.join("trustees").join(format!("trustee-{i}")),
                url,
                &key,
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .context("initialising the trustees")?;
    agg.create_ceremony(
        CEREMONY,
        u32::try_from(s.threshold)?,
        trustees.iter().map(|t| t.public_key().to_vec()).collect(),
    )?;
    let runs = trustees
        .iter()
        .map(|t| t.dkg(CEREMONY, Duration::from_millis(20)));
    let fingerprints = futures_util::future::try_join_all(runs)
        .await
        .context("distributed key generation")?;
    let fp = fingerprints[0];
    if fingerprints.iter().any(|f| *f != fp) {
        bail!("the trustees derived different committees");
    }
    Ok((trustees, fp))
}

/// What one simulated administration brings to its node.
struct SimNode {
    dir: PathBuf,
    admin: Administration,
    inventory: Vec<sovbench_node::inventory::System>,
    paths: Vec<sovbench_node::migration::MigrationPath>,
    policy: PrivacyPolicy,
    offers_peers: bool,
    committee_fingerprint: Option<String>,
}

async fn run_node(
    sim: SimNode,
    agg: &Aggregator,
    url: &str,
    key: &str,
    clock: SharedClock,
) -> anyhow::Result<()> {
    let SimNode {
        dir,
        admin,
        inventory,
        paths,
        policy,
        offers_peers,
        committee_fingerprint,
    } = sim;
    let node = Node::init_with_clock(
        &dir,
        InitOptions {
            name: admin.name.clone(),
            kind: admin.kind.key().to_string(),
            state: admin.state.clone(),
            size: admin.size,
            aggregator_url: Some(url.to_string()),
            aggregator_key: Some(key.to_string()),
            committee_fingerprint,
            policy: Some(policy),
        },
        clock,
    )?;
    // Enrolment is the operator's step; in the demo the aggregator is in the same process.
    agg.enrol(
        node.public_key(),
        &admin.name,
        node.profile()?.cohort(),
        admin.size,
    )?;
    selftest::record(&node, admin.assessment)?;
    node.store().put_systems(&inventory, true)?;
    for p in &paths {
        node.store().put_migration(p)?;
    }
    let report = round::submit(&node).await?;
    match report.current {
        Some(d) if d.state == DeliveryState::Delivered => {}
        other => bail!(
            "{}: submission not delivered: {other:?} {:?}",
            admin.name,
            report.skipped
        ),
    }
    if offers_peers {
        for p in paths.iter().filter(|p| p.catalogue_item().is_some()) {
            peers::offer(
                &node,
                &p.id,
                Some(crate::population::card_for(&admin)),
                None,
            )
            .await?;
        }
    }
    Ok(())
}

impl Federation {
    /// Closes the round and publishes its benchmark. In mode secure the trustees that are up
    /// check the bulletin and post their noise, then (once the aggregator fixed the noise set)
    /// their decryption shares, all over gRPC.
    pub async fn publish(&self) -> anyhow::Result<pb::SignedMessage> {
        self.aggregator.close_round(&self.round_id).await?;
        if self.trustees.is_empty() {
            return Ok(self.aggregator.publish(&self.round_id)?);
        }
        let up = &self.trustees[..self.trustees.len() - self.trustees_down];
        for pass in 0..6 {
            if let Some(p) = self.aggregator.advance_secure(&self.round_id)? {
                return Ok(p);
            }
            let work = futures_util::future::try_join_all(up.iter().map(Trustee::work_once))
                .await
                .context("trustee work")?;
            for w in &work {
                if let Work::Refused { round, reason } = w {
                    bail!("a trustee refused round {round}: {reason}");
                }
            }
            if pass >= 1 && self.trustees_down > 0 {
                // The trustees that are down never post noise: let the aggregator's noise wait
                // pass.
                self.clock_handle.advance(DEMO_NOISE_WAIT.as_secs() as i64);
            }
        }
        match self.aggregator.advance_secure(&self.round_id)? {
            Some(p) => Ok(p),
            None => Ok(self.aggregator.publish(&self.round_id)?),
        }
    }

    /// Opens the node of administration `i` again (e.g. to compare).
    pub fn node(&self, i: usize) -> anyhow::Result<Node> {
        let dir = self.node_dirs.get(i).context("no such node")?;
        Ok(Node::open_with_clock(dir, self.clock.clone())?)
    }

    /// The true cohort values of the population for the cells of a publication: for each cohort
    /// and metric, the mean over the contributing administrations.
    pub fn truth(&self) -> Value {
        truth_json(
            &self.population,
            self.seed,
            self.clock.now().div_euclid(86_400),
        )
    }

    /// Indices of the administrations that offered their catalogue paths for peer matching.
    pub fn offering(&self) -> Vec<usize> {
        (0..self.population.len())
            .filter(|&i| {
                crate::population::offers_peers(i, self.seed, self.peer_share)
                    && crate::population::paths_for(&self.population[i], i, self.seed)
                        .iter()
                        .any(|p| p.catalogue_item().is_some())
            })
            .collect()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.server.stop().await
    }
}

/// An aggregator serving gRPC on a loopback port the system chooses (no automatic closing of
/// rounds: the simulation closes them itself).
pub struct Loopback {
    /// Its address, `http://127.0.0.1:PORT`.
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Loopback {
    /// Binds `127.0.0.1:0` and serves `agg` there.
    pub async fn start(agg: Arc<Aggregator>) -> anyhow::Result<Loopback> {
        Loopback::start_with_noise_wait(agg, DEMO_NOISE_WAIT).await
    }

    /// [`Loopback::start`] with the aggregator waiting `noise_wait` for trustees that are down.
    pub async fn start_with_noise_wait(
        agg: Arc<Aggregator>,
        noise_wait: Duration,
    ) -> anyhow::Result<Loopback> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            agg,
            listener,
            ServeOptions {
                auto_close_every: None,
                noise_wait,
                connections: None,
            },
            async {
                let _ = stop_rx.await;
            },
        ));
        Ok(Loopback { url, stop, server })
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}
