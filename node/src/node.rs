//! The node's operations: `init`, `assess`, `submit` (with the outbox), `compare`.

use std::path::{Path, PathBuf};

use prost::Message as _;
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::Serialize;
use sovbench_core::catalogue::{
    Catalogue, MetricDef, TrueValue, INVENTORY_CONTRACTS_24M, INVENTORY_CRITICAL_WITH_EXIT,
    INVENTORY_NON_EU, INVENTORY_OPEN_FORMAT, INVENTORY_OPEN_SOURCE, SELFTEST_BAND, SELFTEST_EXIT,
    SELFTEST_TOTAL,
};
use sovbench_core::cohort::{parse_state, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_core::selftest::{Assessment, Dimension};

use crate::client;
use crate::config::{NodeConfig, PrivacyPolicy, CONFIG_FILE};
use crate::error::NodeError;
use crate::model::{AssessmentRecord, DeliveryState, LedgerEntry, Profile, ReleaseRecord};
use crate::store::Store;

/// File name of the node's Ed25519 key (PKCS#8, mode 0600) inside the data directory.
pub const KEY_FILE: &str = "node.key";
/// Folder of the sled store inside the data directory.
pub const STORE_DIR: &str = "store";

/// What `init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Name of the administration.
    pub name: String,
    /// Kind of administration (e.g. `gemeinde`).
    pub kind: String,
    /// Bundesland, ISO 3166-2:DE.
    pub state: String,
    /// Population, or staff count for non-territorial bodies.
    pub size: u64,
    /// Aggregator address.
    pub aggregator_url: Option<String>,
    /// Aggregator public key, base64.
    pub aggregator_key: Option<String>,
    /// Privacy policy (defaults if `None`).
    pub policy: Option<PrivacyPolicy>,
}

/// An opened node: its store, identity and configuration.
#[derive(Debug)]
pub struct Node {
    dir: PathBuf,
    store: Store,
    pub(crate) identity: Identity,
    config: NodeConfig,
}

/// Outcome of delivering one queued submission.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Round id.
    pub round_id: String,
    /// Delivered, still pending, or refused.
    pub state: DeliveryState,
    /// Why it is still pending or was refused.
    pub detail: Option<String>,
}

/// Outcome of `submit`.
#[derive(Debug, Clone, Serialize)]
pub struct SubmitReport {
    /// Earlier queued submissions and what became of them.
    pub retried: Vec<Delivery>,
    /// This round's submission, if the aggregator had an open round the node could take part in.
    pub current: Option<Delivery>,
    /// Epsilon the current round's release cost.
    pub epsilon: Option<f64>,
    /// Metrics released in the current round.
    pub metrics: Vec<String>,
    /// Why the node did not release anything this time.
    pub skipped: Option<Skip>,
}

/// Why a node released nothing new.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Skip {
    /// The aggregator has no open round.
    NoOpenRound,
    /// The node already took part in the open round.
    AlreadyTookPart(String),
    /// The round could not be fetched (the outbox was still retried).
    Unreachable(String),
}

impl Skip {
    /// Localised text.
    pub fn text(&self, lang: sovbench_core::i18n::Lang) -> String {
        match self {
            Skip::NoOpenRound => lang
                .pick(
                    "der Aggregator hat keine offene Runde",
                    "the aggregator has no open round",
                )
                .to_string(),
            Skip::AlreadyTookPart(r) => format!(
                "{} {r}",
                lang.pick(
                    "bereits teilgenommen an Runde",
                    "already took part in round"
                )
            ),
            Skip::Unreachable(e) => format!(
                "{}: {e}",
                lang.pick("Runde nicht abrufbar", "round could not be fetched")
            ),
        }
    }
}

/// A release recorded in the ledger and the outbox, not yet sent.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Recorded; these exact bytes will be sent.
    Recorded {
        /// Round id.
        round_id: String,
        /// The signed submission.
        signed: pb::SignedMessage,
        /// Epsilon charged.
        epsilon: f64,
        /// Metrics released.
        metrics: Vec<String>,
    },
    /// Nothing to release, and why.
    Skipped(Skip),
}

/// One line of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRow {
    /// Cohort label.
    pub cohort: String,
    /// Metric id.
    pub metric: String,
    /// The administration's own true value (never sent).
    pub own: Option<f64>,
    /// The published cell.
    pub estimate: Option<f64>,
    /// Lower end of the 95% interval, clipped to the metric's range for display.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval, clipped to the metric's range for display.
    pub ci_high: Option<f64>,
    /// Contributors in the cohort.
    pub n: u32,
    /// Whether the cell was suppressed, and why.
    pub suppressed: Option<String>,
    /// The published cell as received (for localised rendering).
    #[serde(skip)]
    pub cell: pb::Cell,
    /// Lowest possible value of the metric.
    pub range_low: f64,
    /// Highest possible value of the metric.
    pub range_high: f64,
}

/// The administration's standing against its cohorts in one publication.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Round id.
    pub round_id: String,
    /// When it was published (Unix seconds).
    pub published_at: i64,
    /// Contributors to the round.
    pub contributors: u32,
    /// The round's minimum cohort size k.
    pub min_cohort: u32,
    /// Rows, cohort by cohort.
    pub rows: Vec<ComparisonRow>,
}

impl Node {
    /// Creates a node in `dir`: identity (0600), store, profile, configuration.
    /// Refuses if a node exists there already.
    pub fn init(dir: &Path, opts: InitOptions) -> Result<Node, NodeError> {
        let kind: Kind = opts.kind.parse()?;
        let state = parse_state(&opts.state)?;
        let name = opts.name.trim().to_string();
        if name.is_empty() {
            return Err(NodeError::Config(
                "the administration's name must not be empty".into(),
            ));
        }
        if opts.size == 0 {
            return Err(NodeError::Config(format!(
                "{} must be positive",
                if kind.is_territorial() {
                    "population"
                } else {
                    "staff count"
                }
            )));
        }
        let mut config = NodeConfig {
            aggregator_url: opts.aggregator_url,
            aggregator_key: opts.aggregator_key,
            ..NodeConfig::default()
        };
        if let Some(p) = opts.policy {
            config.privacy = p;
        }
        config.validate()?;
        if dir.join(KEY_FILE).exists() || dir.join(STORE_DIR).exists() {
            return Err(NodeError::AlreadyInitialised(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|source| NodeError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let identity = Identity::create_file(&dir.join(KEY_FILE)).map_err(|e| match e {
            envelope::EnvelopeError::KeyExists(_) => {
                NodeError::AlreadyInitialised(dir.display().to_string())
            }
            other => other.into(),
        })?;
        config.save(dir)?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        let profile = Profile {
            name,
            kind,
            state,
            size: opts.size,
            size_class: SizeClass::classify(kind, opts.size),
            created_at: sovbench_core::now_unix(),
        };
        store.put_profile(&profile)?;
        Ok(Node {
            dir: dir.to_path_buf(),
            store,
            identity,
            config,
        })
    }

    /// Opens the node in `dir`.
    pub fn open(dir: &Path) -> Result<Node, NodeError> {
        if !dir.join(KEY_FILE).exists() || !dir.join(CONFIG_FILE).exists() {
            return Err(NodeError::NotInitialised(dir.display().to_string()));
        }
        let identity = Identity::load_file(&dir.join(KEY_FILE))?;
        let config = NodeConfig::load(dir)?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        if store.profile()?.is_none() {
            return Err(NodeError::NotInitialised(dir.display().to_string()));
        }
        Ok(Node {
            dir: dir.to_path_buf(),
            store,
            identity,
            config,
        })
    }

    /// Data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The local store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The administration's profile.
    pub fn profile(&self) -> Result<Profile, NodeError> {
        self.store
            .profile()?
            .ok_or_else(|| NodeError::NotInitialised(self.dir.display().to_string()))
    }

    /// Raw public key.
    pub fn public_key(&self) -> &[u8] {
        self.identity.public_key()
    }

    /// What the node's metrics are computed from: the latest self-test and the inventory.
    pub fn facts(&self) -> Result<Facts, NodeError> {
        let today = sovbench_core::now_unix().div_euclid(86_400);
        Ok(Facts {
            assessment: self.store.latest_assessment()?.and_then(|r| r.assessment()),
            inventory: crate::inventory::summarise(&self.store.systems()?, today),
            paths: self.store.migrations()?,
        })
    }

    /// Records a self-test (validated already by [`Assessment`]).
    pub fn record_assessment(&self, a: Assessment) -> Result<AssessmentRecord, NodeError> {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        let rec = AssessmentRecord {
            recorded_at_micros: micros,
            scores: a.scores(),
        };
        self.store.add_assessment(&rec)?;
        Ok(rec)
    }

    /// Epsilon spent in the calendar year (UTC) of `now`, over all ledger entries.
    pub fn spent_in_year(&self, now: i64) -> Result<f64, NodeError> {
        let year = sovbench_core::time::year_of(now);
        Ok(self
            .store
            .ledger()?
            .iter()
            .filter(|e| sovbench_core::time::year_of(e.recorded_at) == year)
            .map(|e| e.epsilon)
            // Rust's float sum starts at -0.0; an empty ledger should read 0, not -0.
            .fold(0.0, |a, b| a + b))
    }

    /// Delivers every queued submission (same signed bytes as first recorded, no new noise).
    pub async fn flush_outbox(&self) -> Result<Vec<Delivery>, NodeError> {
        let mut out = Vec::new();
        for (round_id, msg) in self.store.outbox()? {
            out.push(self.deliver(&round_id, msg).await?);
        }
        Ok(out)
    }

    async fn deliver(&self, round_id: &str, msg: pb::SignedMessage) -> Result<Delivery, NodeError> {
        let mut entry = self.store.ledger_entry(round_id)?.ok_or_else(|| {
            NodeError::Storage(format!("outbox entry {round_id} has no ledger entry"))
        })?;
        let url = entry.aggregator.clone();
        let payload_hash = sovbench_core::sha256(&msg.payload);
        match client::submit(&url, msg).await {
            Ok(receipt) => {
                // A receipt that does not verify leaves the submission queued (and the other
                // queued submissions unaffected): the next attempt sends the same bytes again.
                if let Err(e) = self.check_receipt(round_id, &payload_hash, &receipt) {
                    return Ok(Delivery {
                        round_id: round_id.to_string(),
                        state: DeliveryState::Pending,
                        detail: Some(e.to_string()),
                    });
                }
                entry.state = DeliveryState::Delivered;
                self.store.deliver(&entry, &receipt)?;
                Ok(Delivery {
                    round_id: round_id.to_string(),
                    state: DeliveryState::Delivered,
                    detail: None,
                })
            }
            Err(e) if e.is_transient() => Ok(Delivery {
                round_id: round_id.to_string(),
                state: DeliveryState::Pending,
                detail: Some(e.to_string()),
            }),
            Err(e) => {
                entry.state = DeliveryState::Refused;
                self.store.refuse(&entry)?;
                Ok(Delivery {
                    round_id: round_id.to_string(),
                    state: DeliveryState::Refused,
                    detail: Some(e.to_string()),
                })
            }
        }
    }

    fn check_receipt(
        &self,
        round_id: &str,
        payload_hash: &[u8; 32],
        receipt: &pb::SignedMessage,
    ) -> Result<(), NodeError> {
        let key = self.config.aggregator_key()?;
        let v = envelope::open_from(receipt, &key)?;
        match v.body {
            pb::payload::Body::Receipt(r)
                if r.round_id == round_id
                    && r.submission_hash == payload_hash
                    && r.node_key == self.public_key() =>
            {
                Ok(())
            }
            pb::payload::Body::Receipt(_) => Err(NodeError::BadAnswer(
                "receipt does not acknowledge this submission".into(),
            )),
            other => Err(NodeError::BadAnswer(format!(
                "expected a receipt, got a {}",
                envelope::kind_name(&other)
            ))),
        }
    }

    /// Takes part in the aggregator's open round: retries the outbox, then [`Node::prepare`]s this
    /// round's release and sends it, keeping the receipt.
    pub async fn submit(&self) -> Result<SubmitReport, NodeError> {
        let retried = self.flush_outbox().await?;
        let mut report = SubmitReport {
            retried,
            current: None,
            epsilon: None,
            metrics: Vec::new(),
            skipped: None,
        };
        match self.prepare().await {
            Ok(Prepared::Recorded {
                round_id,
                signed,
                epsilon,
                metrics,
            }) => {
                report.epsilon = Some(epsilon);
                report.metrics = metrics;
                report.current = Some(self.deliver(&round_id, signed).await?);
            }
            Ok(Prepared::Skipped(why)) => report.skipped = Some(why),
            // Queued submissions are reported (exit code 3) even when the round cannot be fetched.
            Err(e) if e.is_transient() && !report.retried.is_empty() => {
                report.skipped = Some(Skip::Unreachable(e.to_string()))
            }
            Err(e) => return Err(e),
        }
        Ok(report)
    }

    /// Fetches and verifies the open round, checks it against the privacy policy, privatises the
    /// requested values and records them in the ledger and the outbox, durably, without sending.
    /// The release is then delivered by [`Node::flush_outbox`] (or `submit`), always as these
    /// exact signed bytes.
    pub async fn prepare(&self) -> Result<Prepared, NodeError> {
        let url = self.config.aggregator_url()?.to_string();
        let key = self.config.aggregator_key()?;
        let round_msg = match client::get_round(&url, None).await {
            Ok(m) => m,
            Err(NodeError::NoOpenRound) => return Ok(Prepared::Skipped(Skip::NoOpenRound)),
            Err(e) => return Err(e),
        };
        let verified = envelope::open_from(&round_msg, &key)?;
        let params = match verified.body {
            pb::payload::Body::Round(p) => p,
            other => {
                return Err(NodeError::BadAnswer(format!(
                    "expected round parameters, got a {}",
                    envelope::kind_name(&other)
                )))
            }
        };
        if let Some(entry) = self.store.ledger_entry(&params.round_id)? {
            return Ok(Prepared::Skipped(Skip::AlreadyTookPart(entry.round_id)));
        }
        let now = sovbench_core::now_unix();
        let catalogue = Catalogue::shared();
        let spent = self.spent_in_year(now)?;
        let defs = check_round(&params, &self.config.privacy, catalogue, spent, now)?;
        let facts = self.facts()?;
        // Every metric of the round must have a value here before anything is drawn, so that
        // which metrics are released never depends on which values exist.
        let mut truths = Vec::with_capacity(defs.len());
        for def in &defs {
            match facts.true_value(&def.id) {
                Some(t) => truths.push(t),
                None if def.id.starts_with("selftest.") => return Err(NodeError::NoAssessment),
                None if def.id.starts_with("inventory.") => return Err(NodeError::NoInventory),
                None => {
                    return Err(NodeError::BadRound {
                        round: params.round_id.clone(),
                        reason: format!("this node has no value for metric {}", def.id),
                    })
                }
            }
        }
        let chosen =
            crate::privatise::choose_indices(defs.len(), params.releases_per_node as usize)?;
        let mut releases = Vec::with_capacity(chosen.len());
        for i in chosen {
            releases.push(crate::privatise::release(
                defs[i],
                &truths[i],
                params.epsilon_per_release,
            )?);
        }
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| NodeError::Storage("system random generator failed".into()))?;
        let submission = pb::Submission {
            round_id: params.round_id.clone(),
            round_params_hash: verified.payload_hash.to_vec(),
            releases: releases.clone(),
            created_at: now,
            nonce: nonce.to_vec(),
        };
        let signed = self
            .identity
            .seal(pb::payload::Body::Submission(submission));
        let entry = LedgerEntry {
            round_id: params.round_id.clone(),
            recorded_at: now,
            epsilon: releases.iter().map(|r| r.epsilon).sum(),
            releases: releases.iter().map(ReleaseRecord::from_release).collect(),
            payload_sha256: hex::encode(sovbench_core::sha256(&signed.payload)),
            state: DeliveryState::Pending,
            aggregator: url,
        };
        self.store.put_round(&params.round_id, &round_msg)?;
        // The ledger and the outbox are written together and made durable before sending.
        self.store.record_release(&entry, &signed)?;
        Ok(Prepared::Recorded {
            round_id: params.round_id,
            signed,
            epsilon: entry.epsilon,
            metrics: entry.releases.iter().map(|r| r.metric.clone()).collect(),
        })
    }

    /// Fetches and verifies a publication (the latest for `None`) and compares the
    /// administration's own values with it.
    pub async fn compare(&self, round: Option<&str>) -> Result<Comparison, NodeError> {
        let url = self.config.aggregator_url()?.to_string();
        let key = self.config.aggregator_key()?;
        let msg = client::get_publication(&url, round).await?;
        let publication = match envelope::open_from(&msg, &key)?.body {
            pb::payload::Body::Publication(p) => p,
            other => {
                return Err(NodeError::BadAnswer(format!(
                    "expected a publication, got a {}",
                    envelope::kind_name(&other)
                )))
            }
        };
        // A publication of another round, or of a round whose parameters differ from those this
        // node saw, is not what was asked for (e.g. an old one replayed).
        if let Some(r) = round {
            if publication.round_id != r {
                return Err(NodeError::BadAnswer(format!(
                    "asked for the publication of round {r}, got round {}",
                    publication.round_id
                )));
            }
        }
        if let Some(seen) = self.store.round(&publication.round_id)? {
            if publication.round_params_hash != sovbench_core::sha256(&seen.payload) {
                return Err(NodeError::BadAnswer(format!(
                    "publication of round {} refers to other round parameters than this node received",
                    publication.round_id
                )));
            }
        }
        self.store.put_publication(&publication.round_id, &msg)?;
        self.comparison(&publication)
    }

    /// Compares the administration's own latest self-test with a verified publication.
    pub fn comparison(&self, publication: &pb::Publication) -> Result<Comparison, NodeError> {
        let profile = self.profile()?;
        let facts = self.facts()?;
        let catalogue = Catalogue::shared();
        let mut rows = Vec::new();
        // Path statistics are shown for the paths the administration is on.
        let own_paths: Vec<String> = facts
            .paths
            .iter()
            .filter_map(|p| p.catalogue_item().map(|i| i.id))
            .collect();
        let relevant = |metric: &str| {
            !metric.starts_with("path.")
                || own_paths.iter().any(|p| {
                    metric.strip_prefix(p.as_str()).is_some_and(|rest| {
                        rest.is_empty() || rest.starts_with('=') || rest.starts_with('#')
                    })
                })
        };
        for cohort in profile.cohort().cohorts() {
            for cell in publication
                .cells
                .iter()
                .filter(|c| c.cohort == cohort && relevant(&c.metric))
            {
                let (lo, hi) = catalogue.range(&cell.metric);
                rows.push(ComparisonRow {
                    cohort: cohort.clone(),
                    metric: cell.metric.clone(),
                    own: facts.own_cell_value(&cell.metric),
                    estimate: (!cell.suppressed).then_some(cell.estimate),
                    ci_low: (!cell.suppressed).then_some(cell.ci_low.clamp(lo, hi)),
                    ci_high: (!cell.suppressed).then_some(cell.ci_high.clamp(lo, hi)),
                    cell: cell.clone(),
                    range_low: lo,
                    range_high: hi,
                    n: cell.n,
                    suppressed: cell.suppressed.then(|| cell.suppression_reason.clone()),
                });
            }
        }
        Ok(Comparison {
            round_id: publication.round_id.clone(),
            published_at: publication.published_at,
            contributors: publication.contributors,
            min_cohort: publication.min_cohort,
            rows,
        })
    }
}

/// Everything a node knows about itself that metrics are computed from. It never leaves the node.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The latest self-test.
    pub assessment: Option<Assessment>,
    /// The inventory summary, if there is an inventory.
    pub inventory: Option<crate::inventory::InventorySummary>,
    /// The migration paths.
    pub paths: Vec<crate::migration::MigrationPath>,
}

impl Facts {
    /// The true value of a released metric.
    pub fn true_value(&self, metric: &str) -> Option<TrueValue> {
        if metric.starts_with("path.") {
            return Some(TrueValue::Category(
                crate::migration::stage_on(&self.paths, metric)
                    .map_or(sovbench_core::paths::NOT_ON_PATH, |s| s.key())
                    .to_string(),
            ));
        }
        if metric.starts_with("inventory.") {
            let inv = self.inventory.as_ref()?;
            return Some(match metric {
                INVENTORY_CRITICAL_WITH_EXIT => TrueValue::Share(inv.critical_with_exit_share),
                INVENTORY_NON_EU => TrueValue::Share(inv.non_eu_share),
                INVENTORY_OPEN_SOURCE => TrueValue::Share(inv.open_source_share),
                // The metric is the count clamped to the catalogue's bounds.
                INVENTORY_CONTRACTS_24M => TrueValue::Int(
                    Catalogue::shared()
                        .metric(INVENTORY_CONTRACTS_24M)
                        .map_or(inv.contracts_24m_no_exit as i64, |d| {
                            d.clamp_value(inv.contracts_24m_no_exit as i64)
                        }),
                ),
                INVENTORY_OPEN_FORMAT => TrueValue::Share(inv.open_format_share),
                _ => return None,
            });
        }
        true_value(self.assessment.as_ref()?, metric)
    }

    /// The own value of a published cell, in the cell's units.
    pub fn own_cell_value(&self, cell_id: &str) -> Option<f64> {
        if cell_id.starts_with("path.") {
            let (metric, stage) = cell_id.split_once('=')?;
            return match self.true_value(metric)? {
                TrueValue::Category(k) => Some(if k == stage { 1.0 } else { 0.0 }),
                _ => None,
            };
        }
        if cell_id.starts_with("inventory.") {
            return match self.true_value(cell_id)? {
                TrueValue::Share(s) => Some(s),
                TrueValue::Int(v) => Some(v as f64),
                _ => None,
            };
        }
        own_cell_value(self.assessment.as_ref()?, cell_id)
    }
}

/// The administration's true value of a released metric (it never leaves the node).
pub fn true_value(a: &Assessment, metric: &str) -> Option<TrueValue> {
    match metric {
        SELFTEST_BAND => Some(TrueValue::Category(a.band().key().to_string())),
        SELFTEST_EXIT => Some(TrueValue::Bool(a.score(Dimension::GovernanceExit) >= 4)),
        _ => {
            let key = metric.strip_prefix("selftest.")?;
            Dimension::from_key(key).map(|d| TrueValue::Int(i64::from(a.score(d))))
        }
    }
}

/// The administration's own value of a published cell, in the cell's units: a score, the total,
/// or 1 / 0 for a share cell (its own band, its own yes / no).
pub fn own_cell_value(a: &Assessment, cell_id: &str) -> Option<f64> {
    if cell_id == SELFTEST_TOTAL {
        return Some(f64::from(a.total()));
    }
    let (metric, category) = match cell_id.split_once('=') {
        Some((m, c)) => (m, Some(c)),
        None => (cell_id, None),
    };
    match (true_value(a, metric)?, category) {
        (TrueValue::Int(v), None) => Some(v as f64),
        (TrueValue::Bool(b), None) => Some(if b { 1.0 } else { 0.0 }),
        (TrueValue::Category(k), Some(c)) => Some(if k == c { 1.0 } else { 0.0 }),
        (TrueValue::Set(items), Some(c)) => Some(if items.iter().any(|i| i == c) {
            1.0
        } else {
            0.0
        }),
        _ => None,
    }
}

/// Checks a round against the catalogue, the protocol and the node's privacy policy; returns the
/// definitions of the metrics it asks for, in the round's order.
pub fn check_round<'c>(
    params: &pb::RoundParams,
    policy: &PrivacyPolicy,
    catalogue: &'c Catalogue,
    spent_this_year: f64,
    now: i64,
) -> Result<Vec<&'c MetricDef>, NodeError> {
    let bad = |reason: String| NodeError::BadRound {
        round: params.round_id.clone(),
        reason,
    };
    if params.mode != pb::RoundMode::Direct as i32 {
        return Err(bad(format!(
            "mode {} is not supported by this node (only direct)",
            params.mode
        )));
    }
    if params.catalogue_hash != catalogue.hash() {
        return Err(bad(format!(
            "metric catalogue {} differs from this node's {} (update sovbench-node or ask the consortium)",
            short_hex(&params.catalogue_hash),
            short_hex(&catalogue.hash())
        )));
    }
    if now >= params.closes_at {
        return Err(bad(format!(
            "closed at {}",
            sovbench_core::time::format_utc(params.closes_at)
        )));
    }
    if now < params.opens_at {
        return Err(bad(format!(
            "opens only at {}",
            sovbench_core::time::format_utc(params.opens_at)
        )));
    }
    if params.metrics.is_empty() {
        return Err(bad("asks for no metrics".into()));
    }
    let mut defs = Vec::with_capacity(params.metrics.len());
    for spec in &params.metrics {
        let def = catalogue
            .metric(&spec.id)
            .ok_or_else(|| bad(format!("unknown metric {}", spec.id)))?;
        if !def.matches(spec) {
            return Err(bad(format!(
                "metric {} is described differently from the catalogue",
                spec.id
            )));
        }
        if defs.iter().any(|d: &&MetricDef| d.id == def.id) {
            return Err(bad(format!("metric {} is asked for twice", spec.id)));
        }
        defs.push(def);
    }
    let eps = params.epsilon_per_release;
    if !(eps.is_finite() && eps > 0.0) {
        return Err(bad(format!(
            "epsilon per release {eps} is not a positive number"
        )));
    }
    let count = match params.releases_per_node as usize {
        0 => defs.len(),
        m => m.min(defs.len()),
    };
    let round_eps = eps * count as f64;
    let policy_err = |parameter: &'static str, value: String, limit: String| NodeError::Policy {
        round: params.round_id.clone(),
        parameter,
        value,
        limit,
    };
    if round_eps > policy.max_epsilon_per_round + 1e-12 {
        return Err(policy_err(
            "epsilon per round",
            format!("{round_eps} ({count} releases x {eps})"),
            format!(
                "at most {} (privacy.max_epsilon_per_round)",
                policy.max_epsilon_per_round
            ),
        ));
    }
    if params.min_cohort < policy.min_cohort {
        return Err(policy_err(
            "minimum cohort size k",
            params.min_cohort.to_string(),
            format!("at least {} (privacy.min_cohort)", policy.min_cohort),
        ));
    }
    if spent_this_year + round_eps > policy.max_epsilon_per_year + 1e-12 {
        return Err(policy_err(
            "epsilon this year",
            format!(
                "{} ({spent_this_year} spent + {round_eps} for this round)",
                spent_this_year + round_eps
            ),
            format!(
                "at most {} (privacy.max_epsilon_per_year)",
                policy.max_epsilon_per_year
            ),
        ));
    }
    Ok(defs)
}

fn short_hex(b: &[u8]) -> String {
    hex::encode(&b[..b.len().min(6)])
}

/// Decodes a stored signed message's payload without verifying (for display of own records).
pub fn decode_payload(msg: &pb::SignedMessage) -> Option<pb::payload::Body> {
    pb::Payload::decode(msg.payload.as_slice()).ok()?.body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(eps: f64, m: u32, k: u32) -> pb::RoundParams {
        let c = Catalogue::current();
        pb::RoundParams {
            round_id: "2026-q4".into(),
            mode: pb::RoundMode::Direct as i32,
            metrics: c.default_round_metrics().iter().map(|d| d.spec()).collect(),
            epsilon_per_release: eps,
            releases_per_node: m,
            min_cohort: k,
            opens_at: 0,
            closes_at: 2_000_000_000,
            catalogue_hash: c.hash().to_vec(),
            consortium: "test".into(),
        }
    }

    #[test]
    fn policy_refusals_name_parameter_round_value_and_limit() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        assert_eq!(
            check_round(&round(1.0, 1, 10), &p, &c, 0.0, 1)
                .unwrap()
                .len(),
            5
        );
        let e = check_round(&round(1.0, 0, 10), &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("epsilon per round")
                && e.contains("5 (5 releases x 1)")
                && e.contains("at most 2"),
            "{e}"
        );
        let e = check_round(&round(1.0, 1, 5), &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("minimum cohort size k is 5") && e.contains("at least 10"),
            "{e}"
        );
        let e = check_round(&round(2.0, 1, 10), &p, &c, 3.0, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("epsilon this year"), "{e}");
    }

    #[test]
    fn foreign_catalogue_closed_rounds_and_odd_metrics_are_refused() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        let mut r = round(1.0, 1, 10);
        r.catalogue_hash = vec![0; 32];
        assert!(check_round(&r, &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string()
            .contains("catalogue"));
        let r = round(1.0, 1, 10);
        assert!(check_round(&r, &p, &c, 0.0, 2_000_000_000)
            .unwrap_err()
            .to_string()
            .contains("closed"));
        let mut r = round(1.0, 1, 10);
        r.metrics[0].upper = 7;
        assert!(check_round(&r, &p, &c, 0.0, 1).is_err());
        let mut r = round(1.0, 1, 10);
        r.metrics.push(r.metrics[0].clone());
        assert!(check_round(&r, &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn facts_cover_every_metric_of_the_catalogue() {
        let a = Assessment::from_scores([1, 2, 3, 4, 5]).unwrap();
        let systems =
            crate::inventory::io::parse_csv(include_str!("../../docs/samples/inventar.csv"))
                .unwrap();
        let facts = Facts {
            assessment: Some(a),
            inventory: crate::inventory::summarise(&systems, 20_000),
            paths: Vec::new(),
        };
        for m in &Catalogue::current().metrics {
            assert!(
                facts.true_value(&m.id).is_some(),
                "{} has no true value",
                m.id
            );
        }
        assert!(Facts::default()
            .true_value("inventory.non_eu_share")
            .is_none());
    }

    #[test]
    fn true_values_cover_every_selftest_metric() {
        let a = Assessment::from_scores([1, 2, 3, 4, 5]).unwrap();
        assert_eq!(
            true_value(&a, "selftest.datenhoheit"),
            Some(TrueValue::Int(1))
        );
        assert_eq!(
            true_value(&a, "selftest.governance_exit"),
            Some(TrueValue::Int(5))
        );
        assert_eq!(
            true_value(&a, SELFTEST_BAND),
            Some(TrueValue::Category("hybrid".into()))
        );
        assert_eq!(true_value(&a, SELFTEST_EXIT), Some(TrueValue::Bool(true)));
        assert_eq!(true_value(&a, "inventory.x"), None);
        for m in Catalogue::current()
            .metrics
            .iter()
            .filter(|m| m.id.starts_with("selftest."))
        {
            assert!(
                true_value(&a, &m.id).is_some(),
                "{} has no true value",
                m.id
            );
        }
        assert_eq!(own_cell_value(&a, SELFTEST_TOTAL), Some(15.0));
        assert_eq!(own_cell_value(&a, "selftest.band=hybrid"), Some(1.0));
        assert_eq!(
            own_cell_value(&a, "selftest.band=souveraen_auf_kurs"),
            Some(0.0)
        );
        assert_eq!(own_cell_value(&a, SELFTEST_EXIT), Some(1.0));
    }
}
