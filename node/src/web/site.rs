//! The [`Site`]: the node a workplace serves, its store held open between requests, and the
//! limiter of failed log-ins.
//!
//! The store is opened for a request and kept open while requests follow each other; two
//! seconds after the last one it is closed, so that the command line (`sovbench-node status`,
//! `report`, ...) and the daemon's cycle can use it, as they do while `serve` runs without a
//! workplace. Requests of one node are served one after another.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use sovbench_core::clock::SharedClock;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::error::NodeError;
use crate::node::Node;
use crate::web::error::WebError;
use crate::web::oidc::Oidc;

/// The store is closed this long after the last request.
const IDLE_CLOSE: Duration = Duration::from_secs(2);
/// How long a request waits for a store held by another process.
const OPEN_WAIT: Duration = Duration::from_secs(8);
/// Failed log-ins of one name or one address within [`FAIL_WINDOW_SECS`] before log-in is
/// refused for the rest of the window.
pub const MAX_FAILS: u32 = 5;
/// The window of [`MAX_FAILS`].
pub const FAIL_WINDOW_SECS: i64 = 15 * 60;

/// One node's workplace (with the client of its identity provider, when `node.toml` has an
/// `[oidc]` section).
pub struct Site {
    dir: PathBuf,
    clock: SharedClock,
    held: Arc<Mutex<Held>>,
    cookie: String,
    secure_cookies: bool,
    fails: StdMutex<HashMap<String, (u32, i64)>>,
    oidc: Option<Oidc>,
}

struct Held {
    node: Option<Node>,
    last: Instant,
}

/// The node of a request, held until the answer is written.
pub type NodeGuard<'a> = MappedMutexGuard<'a, Node>;

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").field("dir", &self.dir).finish()
    }
}

impl Site {
    /// The workplace of the node in `dir`. `secure_cookies`: cookies only over HTTPS (off only
    /// for a workplace on the loopback interface). The node is opened once to check it and
    /// to name the session cookie after its key.
    pub fn new(dir: &Path, clock: SharedClock, secure_cookies: bool) -> Result<Site, NodeError> {
        let node = Node::open_with_clock(dir, clock.clone())?;
        let fingerprint = sovbench_core::envelope::fingerprint(node.public_key());
        let short: String = fingerprint
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(12)
            .collect();
        let oidc = match &node.config().oidc {
            Some(cfg) => Some(Oidc::new(cfg.clone(), cfg.secret(dir)?)?),
            None => None,
        };
        Ok(Site {
            dir: dir.to_path_buf(),
            clock,
            held: Arc::new(Mutex::new(Held {
                node: Some(node),
                last: Instant::now(),
            })),
            cookie: format!("sovbench_{short}"),
            secure_cookies,
            fails: StdMutex::new(HashMap::new()),
            oidc,
        })
    }

    /// The node's data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The name of the session cookie (differs per node, so that two nodes on one host do not
    /// overwrite each other's cookie).
    pub fn cookie_name(&self) -> &str {
        &self.cookie
    }

    /// The `Set-Cookie` value of a session cookie with `token` (an empty token: the cookie
    /// removed): `HttpOnly`, `SameSite=Strict`, `Secure` unless on loopback, valid only under
    /// this administration's paths.
    pub fn session_cookie(&self, token: &str) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let age = if token.is_empty() {
            0
        } else {
            crate::people::MAX_SECS
        };
        format!(
            "{}={token}; Path={}; HttpOnly; SameSite=Strict; Max-Age={age}{secure}",
            self.cookie,
            crate::web::ctx::href("/")
        )
    }

    /// The client of the identity provider, if `[oidc]` is configured in `node.toml`.
    pub fn oidc(&self) -> Option<&Oidc> {
        self.oidc.as_ref()
    }

    /// Whether cookies carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// The node, opened if it is closed; waits for another process that holds the store.
    pub async fn node(&self) -> Result<NodeGuard<'_>, WebError> {
        let mut held = self.held.lock().await;
        held.last = Instant::now();
        if held.node.is_none() {
            held.node = Some(self.open_waiting().await?);
        }
        MutexGuard::try_map(held, |h| h.node.as_mut())
            .map_err(|_| WebError::Node(NodeError::Locked(self.dir.display().to_string())))
    }

    async fn open_waiting(&self) -> Result<Node, NodeError> {
        let start = Instant::now();
        loop {
            match Node::open_with_clock(&self.dir, self.clock.clone()) {
                Err(NodeError::Locked(_)) if start.elapsed() < OPEN_WAIT => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => return other,
            }
        }
    }

    /// Closes the store after [`IDLE_CLOSE`] without requests (a background task for the
    /// lifetime of the site).
    pub fn start_idle_closer(self: &Arc<Self>) {
        let held = Arc::downgrade(&self.held);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let Some(held) = held.upgrade() else { return };
                let closed = match held.try_lock() {
                    Ok(mut h) if h.node.is_some() && h.last.elapsed() >= IDLE_CLOSE => {
                        h.node.take()
                    }
                    _ => None,
                };
                drop(closed);
            }
        });
    }

    /// Whether log-in is refused at `now` for the name or the address of `keys`: after
    /// [`MAX_FAILS`] failures of one name, or four times as many from one address (a proxy in
    /// front of the workplace sends everyone's log-ins from one address).
    pub fn login_blocked(&self, keys: &[String], now: i64) -> bool {
        let Ok(fails) = self.fails.lock() else {
            return true;
        };
        keys.iter().any(|k| {
            let limit = if k.starts_with("ip:") {
                MAX_FAILS * 4
            } else {
                MAX_FAILS
            };
            fails
                .get(k)
                .is_some_and(|(n, since)| *n >= limit && now - since < FAIL_WINDOW_SECS)
        })
    }

    /// Counts a failed log-in for `keys`.
    pub fn login_failed(&self, keys: &[String], now: i64) {
        if let Ok(mut fails) = self.fails.lock() {
            fails.retain(|_, (_, since)| now - *since < FAIL_WINDOW_SECS);
            for k in keys {
                let e = fails.entry(k.clone()).or_insert((0, now));
                e.0 += 1;
            }
        }
    }

    /// Forgets the failures of `keys` after a successful log-in.
    pub fn login_succeeded(&self, keys: &[String]) {
        if let Ok(mut fails) = self.fails.lock() {
            for k in keys {
                fails.remove(k);
            }
        }
    }

    /// The current time by the node's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
