//! The node itself: creating it (`init`) and opening it, and the handles every operation works
//! with: its data directory, configuration, store, identity (used only to sign, through the
//! crate-internal `Node::seal`), clock and link to the aggregator. The operations live in their
//! concept's module (`selftest`, `round`, `compare`, `peers`, ...) and use only this API.

use std::path::{Path, PathBuf};

use sovbench_core::clock::{SharedClock, SystemClock};
use sovbench_core::cohort::{parse_state, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;

use crate::config::{NodeConfig, PrivacyPolicy, CONFIG_FILE};
use crate::error::NodeError;
use crate::link::Link;
use crate::model::Profile;
use crate::store::Store;

/// File name of the node's Ed25519 key (PKCS#8, mode 0600) inside the data directory.
pub const KEY_FILE: &str = "node.key";
/// Folder of the sled store inside the data directory.
pub const STORE_DIR: &str = "store";
/// What the node owns in its data directory: set to 0700/0600 at every start
/// ([`sovbench_core::private::secure_data_dir`]).
const OWNED: [&str; 3] = [KEY_FILE, CONFIG_FILE, STORE_DIR];

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
    /// Mode secure: the trustee committee's fingerprint (64 hex digits) to pin, if known.
    pub committee_fingerprint: Option<String>,
}

/// An opened node: its store, identity, configuration, clock and link to the aggregator.
#[derive(Debug)]
pub struct Node {
    dir: PathBuf,
    store: Store,
    identity: Identity,
    config: NodeConfig,
    clock: SharedClock,
    link: Link,
}

impl Node {
    /// Creates a node in `dir`: identity (0600), store, profile, configuration.
    /// Refuses if a node exists there already.
    pub fn init(dir: &Path, opts: InitOptions) -> Result<Node, NodeError> {
        Node::init_with_clock(dir, opts, SystemClock::shared())
    }

    /// [`Node::init`] with a given clock (tests pass a `TestClock`).
    pub fn init_with_clock(
        dir: &Path,
        opts: InitOptions,
        clock: SharedClock,
    ) -> Result<Node, NodeError> {
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
            committee_fingerprint: opts
                .committee_fingerprint
                .map(|f| f.trim().to_ascii_lowercase()),
            ..NodeConfig::default()
        };
        if let Some(p) = opts.policy {
            config.privacy = p;
        }
        config.validate()?;
        if dir.join(KEY_FILE).exists() || dir.join(STORE_DIR).exists() {
            return Err(NodeError::AlreadyInitialised(dir.display().to_string()));
        }
        sovbench_core::private::create_dir(dir).map_err(|source| NodeError::Io {
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
            created_at: clock.now(),
        };
        store.put_profile(&profile)?;
        Ok(Node::assemble(dir, store, identity, config, clock))
    }

    /// Opens the node in `dir`.
    pub fn open(dir: &Path) -> Result<Node, NodeError> {
        Node::open_with_clock(dir, SystemClock::shared())
    }

    /// [`Node::open`] with a given clock (tests pass a `TestClock`).
    pub fn open_with_clock(dir: &Path, clock: SharedClock) -> Result<Node, NodeError> {
        Node::open_in(dir, clock, None)
    }

    /// [`Node::open_with_clock`] with a link that is already connected (the daemon connects
    /// before it opens the store). A link to another address than `aggregator_url` in
    /// `node.toml` is not used.
    pub fn open_with_link(dir: &Path, clock: SharedClock, link: Link) -> Result<Node, NodeError> {
        Node::open_in(dir, clock, Some(link))
    }

    /// Closes the node (its store) and keeps its link to the aggregator.
    pub fn into_link(self) -> Link {
        self.link
    }

    fn open_in(dir: &Path, clock: SharedClock, link: Option<Link>) -> Result<Node, NodeError> {
        if !dir.join(KEY_FILE).exists() || !dir.join(CONFIG_FILE).exists() {
            return Err(NodeError::NotInitialised(dir.display().to_string()));
        }
        // Scores, population and inventory are plaintext: warn about what others could read,
        // then make it private.
        sovbench_core::private::secure_data_dir(dir, &OWNED).map_err(|source| NodeError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let identity = Identity::load_file(&dir.join(KEY_FILE))?;
        let config = NodeConfig::load(dir)?;
        let store = Store::open(&dir.join(STORE_DIR))?;
        if store.profile()?.is_none() {
            return Err(NodeError::NotInitialised(dir.display().to_string()));
        }
        let mut node = Node::assemble(dir, store, identity, config, clock);
        // A link made for another address (node.toml changed meanwhile) is not used.
        if let Some(link) = link.filter(|l| l.configured() == node.config.aggregator_url.as_deref())
        {
            node.link = link;
        }
        Ok(node)
    }

    /// The link to the aggregator that `node.toml` (`config`, in `dir`) describes; nothing is
    /// connected yet. The daemon connects it before it opens the store.
    pub fn link_for(dir: &Path, config: &NodeConfig) -> Link {
        Link::from_config(dir, config)
    }

    fn assemble(
        dir: &Path,
        store: Store,
        identity: Identity,
        config: NodeConfig,
        clock: SharedClock,
    ) -> Node {
        let link = Node::link_for(dir, &config);
        Node {
            dir: dir.to_path_buf(),
            store,
            identity,
            config,
            clock,
            link,
        }
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

    /// Verifies a message from the aggregator: signed by the `aggregator_key` of `node.toml`, over
    /// the exact received bytes, before anything is decoded. A message signed by another key is
    /// refused naming both keys and the setting to check.
    pub fn open_from_aggregator(
        &self,
        msg: &pb::SignedMessage,
    ) -> Result<envelope::Verified, NodeError> {
        let key = self.config().aggregator_key()?;
        if msg.signer != key {
            return Err(NodeError::WrongAggregatorKey {
                expected: envelope::fingerprint(&key),
                got: envelope::fingerprint(&msg.signer),
            });
        }
        Ok(envelope::open_from(msg, &key)?)
    }

    /// Signs a payload with the node's key, as it is sent.
    pub(crate) fn seal(&self, body: pb::payload::Body) -> pb::SignedMessage {
        self.identity.seal(body)
    }

    /// The node's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The current time, Unix seconds (UTC), by the node's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Today, days since 1970-01-01 (UTC), by the node's clock.
    pub fn today(&self) -> i64 {
        self.now().div_euclid(86_400)
    }

    /// The gRPC link to the configured aggregator (one channel, connected on first use).
    pub fn link(&self) -> &Link {
        &self.link
    }
}

/// Helpers for the node's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A node for "Stadt Beispiel" in `dir`, without an aggregator.
    pub(crate) fn node(dir: &Path) -> Node {
        Node::init(
            dir,
            InitOptions {
                name: "Stadt Beispiel".into(),
                kind: "stadt".into(),
                state: "DE-NW".into(),
                size: 45_000,
                aggregator_url: None,
                aggregator_key: None,
                policy: None,
                committee_fingerprint: None,
            },
        )
        .expect("init node")
    }

    /// The sample inventory in `docs/samples`.
    pub(crate) fn sample_inventory() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/inventar.csv")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_signed_by_another_key_names_both_keys_and_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let (pinned, _) = Identity::generate().unwrap();
        let (other, _) = Identity::generate().unwrap();
        let node = Node::init(
            dir.path(),
            InitOptions {
                name: "Stadt Beispiel".into(),
                kind: "stadt".into(),
                state: "DE-NW".into(),
                size: 45_000,
                aggregator_url: Some("http://127.0.0.1:1".into()),
                aggregator_key: Some(envelope::b64(pinned.public_key())),
                policy: None,
                committee_fingerprint: None,
            },
        )
        .unwrap();
        let body = || pb::payload::Body::Receipt(Default::default());
        assert!(node.open_from_aggregator(&pinned.seal(body())).is_ok());
        let err = node.open_from_aggregator(&other.seal(body())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&envelope::fingerprint(pinned.public_key()))
                && text.contains(&envelope::fingerprint(other.public_key()))
                && text.contains("node.toml"),
            "{text}"
        );
        // A message from the pinned key with a broken signature is still a signature error.
        let mut forged = pinned.seal(body());
        forged.signature[0] ^= 1;
        assert!(matches!(
            node.open_from_aggregator(&forged),
            Err(NodeError::Envelope(_))
        ));
    }
}
