//! Who may use the admin API, and the checks every operator request passes: size, the Ed25519
//! signature over the exact received bytes (only then is the payload decoded), the kind of
//! message, that the signer is an operator, the replay window and a nonce not used before.
//!
//! Operators are the aggregator's own key (`aggregator.key`, readable only by the service
//! account) and the keys listed in `operators.toml` of the data directory:
//!
//! ```toml
//! [[operator]]
//! name = "Betrieb Landesrechenzentrum"
//! key = "base64 of the raw Ed25519 public key"
//! ```
//!
//! Nonces are kept in memory for the replay window; a request issued before the server started
//! is refused, so a request signed before a restart cannot be replayed after it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

use serde::Deserialize;
use sovbench_core::envelope::{self, fingerprint};
use sovbench_core::pb;
use sovbench_core::peers as core_peers;

use crate::admission::{open_checked, wrong_kind};
use crate::error::AggError;

/// File name of the extra operator keys inside the data directory.
pub const OPERATORS_FILE: &str = "operators.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorsFile {
    #[serde(default)]
    operator: Vec<OperatorEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorEntry {
    name: String,
    key: String,
}

/// The keys allowed to use the admin API, with their names (for the log).
#[derive(Debug, Clone, Default)]
pub struct Operators {
    keys: HashMap<Vec<u8>, String>,
}

impl Operators {
    /// The aggregator's own key and the keys of `operators.toml` in `dir` (if it exists).
    pub fn load(dir: &Path, own_key: &[u8]) -> Result<Operators, AggError> {
        let mut ops = Operators::default();
        ops.insert_own(own_key);
        let path = dir.join(OPERATORS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ops),
            Err(source) => {
                return Err(AggError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let bad = |detail: String| AggError::BadOperators {
            path: path.display().to_string(),
            detail,
        };
        let file: OperatorsFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for op in file.operator {
            let key = envelope::unb64(op.key.trim())
                .map_err(|_| bad(format!("operator {:?}: key is not base64", op.name)))?;
            if key.len() != envelope::PUBLIC_KEY_LEN {
                return Err(bad(format!(
                    "operator {:?}: key has {} bytes, expected {}",
                    op.name,
                    key.len(),
                    envelope::PUBLIC_KEY_LEN
                )));
            }
            envelope::check_public_key(&key)
                .map_err(|e| bad(format!("operator {:?}: {e}", op.name)))?;
            ops.keys.insert(key, op.name);
        }
        Ok(ops)
    }

    /// Adds the aggregator's own key.
    pub fn insert_own(&mut self, key: &[u8]) {
        self.keys.insert(key.to_vec(), "aggregator.key".into());
    }

    /// The name of an operator key (None: not an operator).
    pub fn name(&self, key: &[u8]) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }

    /// Number of operator keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no operator key (never after [`Operators::load`]).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// An admitted operator request.
#[derive(Debug)]
pub struct Admitted {
    /// Raw public key of the operator.
    pub signer: Vec<u8>,
    /// The operator's name from `operators.toml` (or `aggregator.key`).
    pub operator: String,
    /// The request.
    pub request: pb::AdminRequest,
    /// SHA-256 of the exact payload bytes.
    pub payload_hash: [u8; 32],
}

/// An operator key and a nonce it used.
type NonceKey = (Vec<u8>, Vec<u8>);

/// The nonces seen in the replay window: a set to look them up and a queue in arrival order to
/// forget them. Forgetting takes only the expired ones from the front of the queue, so a request
/// costs the same however many requests came in the window (a sweep over all of them made every
/// enrolment slower than the last in a bulk enrolment; issue 19, item 5).
#[derive(Debug, Default)]
struct Nonces {
    seen: HashSet<NonceKey>,
    by_arrival: VecDeque<(i64, NonceKey)>,
}

impl Nonces {
    /// Forgets the nonces that arrived before `before`. A request is fresh for at most
    /// ±[`core_peers::FRESHNESS_SECS`] around its arrival, so a nonce kept for twice that after
    /// its arrival outlives every copy that could still be admitted.
    fn forget_before(&mut self, before: i64) {
        while let Some((at, _)) = self.by_arrival.front() {
            if *at >= before {
                break;
            }
            if let Some((_, key)) = self.by_arrival.pop_front() {
                self.seen.remove(&key);
            }
        }
    }

    /// Claims a nonce arriving at `now`: false if it was seen before.
    fn claim(&mut self, key: NonceKey, now: i64) -> bool {
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.by_arrival.push_back((now, key));
        true
    }

    fn len(&self) -> usize {
        self.seen.len()
    }
}

/// The admission of operator requests: operator keys and the nonces seen in the replay window.
#[derive(Debug)]
pub struct Gate {
    operators: Operators,
    started_at: i64,
    own_key: Vec<u8>,
    nonces: Mutex<Nonces>,
}

impl Gate {
    /// A gate for `operators`, for the aggregator with the raw public key `own_key`, started at
    /// `started_at` (Unix seconds).
    pub fn new(operators: Operators, started_at: i64, own_key: &[u8]) -> Gate {
        Gate {
            operators,
            started_at,
            own_key: own_key.to_vec(),
            nonces: Mutex::new(Nonces::default()),
        }
    }

    /// Nonces remembered (those of the last `2 × FRESHNESS_SECS` seconds).
    pub fn remembered(&self) -> usize {
        self.nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Checks, in this order: size, signature over the exact bytes, kind, operator key, meant
    /// for this aggregator, freshness, not issued before the start, nonce not used before.
    pub fn admit(&self, msg: &pb::SignedMessage, now: i64) -> Result<Admitted, AggError> {
        let verified = open_checked(msg)?;
        let request = match verified.body {
            pb::payload::Body::AdminRequest(r) => r,
            other => return Err(wrong_kind("operator request", &other)),
        };
        let operator = self
            .operators
            .name(&verified.signer)
            .ok_or_else(|| AggError::NotOperator(fingerprint(&verified.signer)))?
            .to_string();
        if request.aggregator_key != self.own_key {
            return Err(AggError::WrongAggregator {
                meant: if request.aggregator_key.is_empty() {
                    "(none)".into()
                } else {
                    fingerprint(&request.aggregator_key)
                },
                this: fingerprint(&self.own_key),
            });
        }
        core_peers::check_freshness(request.issued_at, &request.nonce, now)?;
        if request.issued_at < self.started_at {
            return Err(AggError::IssuedBeforeStart(
                request.issued_at,
                self.started_at,
            ));
        }
        let mut nonces = self
            .nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nonces.forget_before(now - 2 * core_peers::FRESHNESS_SECS);
        let key = (verified.signer.clone(), request.nonce.clone());
        if !nonces.claim(key, now) {
            return Err(AggError::Replay(fingerprint(&verified.signer)));
        }
        Ok(Admitted {
            signer: verified.signer,
            operator,
            request,
            payload_hash: verified.payload_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::envelope::Identity;

    /// The aggregator every test request is meant for.
    const AGGREGATOR: [u8; 32] = [5; 32];

    fn request(id: &Identity, issued_at: i64, nonce: Vec<u8>) -> pb::SignedMessage {
        request_for(id, issued_at, nonce, &AGGREGATOR)
    }

    fn request_for(
        id: &Identity,
        issued_at: i64,
        nonce: Vec<u8>,
        aggregator: &[u8],
    ) -> pb::SignedMessage {
        id.seal(pb::payload::Body::AdminRequest(pb::AdminRequest {
            command: Some(pb::admin_request::Command::Status(pb::AdminQuery {})),
            issued_at,
            nonce,
            aggregator_key: aggregator.to_vec(),
            ..Default::default()
        }))
    }

    #[test]
    fn operators_toml_adds_keys_and_refuses_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (own, _) = Identity::generate().unwrap();
        let (other, _) = Identity::generate().unwrap();
        let ops = Operators::load(dir.path(), own.public_key()).unwrap();
        assert_eq!(ops.len(), 1);
        assert!(ops.name(other.public_key()).is_none());
        std::fs::write(
            dir.path().join(OPERATORS_FILE),
            format!(
                "[[operator]]\nname = \"LRZ\"\nkey = \"{}\"\n",
                envelope::b64(other.public_key())
            ),
        )
        .unwrap();
        let ops = Operators::load(dir.path(), own.public_key()).unwrap();
        assert_eq!(ops.name(other.public_key()), Some("LRZ"));
        std::fs::write(
            dir.path().join(OPERATORS_FILE),
            "[[operator]]\nname = \"X\"\nkey = \"AAAA\"\n",
        )
        .unwrap();
        assert!(matches!(
            Operators::load(dir.path(), own.public_key()),
            Err(AggError::BadOperators { .. })
        ));
        std::fs::write(dir.path().join(OPERATORS_FILE), "operater = 1\n").unwrap();
        assert!(Operators::load(dir.path(), own.public_key()).is_err());
    }

    #[test]
    fn strangers_stale_early_and_replayed_requests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (own, _) = Identity::generate().unwrap();
        let (stranger, _) = Identity::generate().unwrap();
        let gate = Gate::new(
            Operators::load(dir.path(), own.public_key()).unwrap(),
            1_000,
            &AGGREGATOR,
        );
        let nonce = || core_peers::fresh_nonce().unwrap();
        let ok = request(&own, 1_010, nonce());
        assert_eq!(gate.admit(&ok, 1_010).unwrap().operator, "aggregator.key");
        assert!(matches!(gate.admit(&ok, 1_011), Err(AggError::Replay(_))));
        assert!(matches!(
            gate.admit(&request(&stranger, 1_010, nonce()), 1_010),
            Err(AggError::NotOperator(_))
        ));
        assert!(matches!(
            gate.admit(&request(&own, 1_010, nonce()), 2_000),
            Err(AggError::Peer(_))
        ));
        assert!(matches!(
            gate.admit(&request(&own, 999, nonce()), 1_010),
            Err(AggError::IssuedBeforeStart(..))
        ));
        let mut forged = request(&own, 1_010, nonce());
        forged.payload.push(0);
        assert!(matches!(
            gate.admit(&forged, 1_010),
            Err(AggError::Envelope(_))
        ));
        // Signed by an operator, but for another aggregator (or for none).
        for other in [&[6u8; 32][..], &[]] {
            assert!(matches!(
                gate.admit(&request_for(&own, 1_010, nonce(), other), 1_010),
                Err(AggError::WrongAggregator { .. })
            ));
        }
        let wrong = own.seal(pb::payload::Body::PeerRequestsQuery(Default::default()));
        assert!(matches!(
            gate.admit(&wrong, 1_010),
            Err(AggError::WrongKind { .. })
        ));
    }

    /// A nonce is refused again for as long as a copy of its request could be fresh, and
    /// forgotten after that; forgetting takes only the expired ones (from the front of the
    /// arrival queue), so thousands of requests in the window cost no sweep each.
    #[test]
    fn nonces_are_remembered_through_the_window_and_then_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let (own, _) = Identity::generate().unwrap();
        let gate = Gate::new(
            Operators::load(dir.path(), own.public_key()).unwrap(),
            0,
            &AGGREGATOR,
        );
        let window = core_peers::FRESHNESS_SECS;
        let first = request(&own, 1_000, core_peers::fresh_nonce().unwrap());
        gate.admit(&first, 1_000).unwrap();
        for i in 0..2_000 {
            let now = 1_000 + i / 10;
            gate.admit(&request(&own, now, core_peers::fresh_nonce().unwrap()), now)
                .unwrap();
        }
        assert_eq!(gate.remembered(), 2_001);
        // The last moment a copy of `first` is fresh: still refused as a replay.
        assert!(matches!(
            gate.admit(&first, 1_000 + window),
            Err(AggError::Replay(_))
        ));
        // Twice the window after the last arrival: all forgotten but the request just admitted.
        let later = 1_000 + 199 + 2 * window + 1;
        gate.admit(
            &request(&own, later, core_peers::fresh_nonce().unwrap()),
            later,
        )
        .unwrap();
        assert_eq!(gate.remembered(), 1);
    }
}
