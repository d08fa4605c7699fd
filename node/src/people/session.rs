//! Sessions of the workplace: started for a local account or for a person an identity provider
//! vouched for, looked up (and touched) by their token, the confirmation shown once, ended.
//! The store keeps only the SHA-256 of a token.

use ring::digest;
use serde::{Deserialize, Serialize};

use super::{log, random_hex, Account, Role};
use crate::error::NodeError;
use crate::node::Node;

/// A session ends this long after its last request.
pub const IDLE_SECS: i64 = 60 * 60;
/// A session ends this long after log-in, whatever happens.
pub const MAX_SECS: i64 = 10 * 60 * 60;
/// `last_seen` is written at most this often (each write is a durable commit).
const TOUCH_SECS: i64 = 60;
/// A log-in session of the workplace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The account.
    pub account: String,
    /// Its role at log-in.
    pub role: Role,
    /// The token every form of this session carries (hex).
    pub csrf: String,
    /// Logged in, Unix seconds.
    pub created_at: i64,
    /// Last request, Unix seconds (written at most once a minute).
    pub last_seen: i64,
    /// The confirmation to show on the next page (Post/Redirect/Get).
    #[serde(default)]
    pub flash: Option<String>,
    /// Who vouched for the person: `None` for a local account (checked against the store at
    /// every request), or the identity provider's issuer for a log-in through OpenID Connect
    /// (the role comes from the provider's claims at log-in; no local account exists).
    #[serde(default)]
    pub issuer: Option<String>,
}

impl Session {
    /// Whether the session has ended at `now`.
    pub fn expired(&self, now: i64) -> bool {
        now - self.last_seen > IDLE_SECS || now - self.created_at > MAX_SECS
    }
}

/// Starts a session for `account`; returns the token for the cookie.
pub fn start_session(node: &Node, account: &Account) -> Result<(String, Session), NodeError> {
    new_session(node, &account.name, account.role, None)
}

/// Starts a session for a person an identity provider (`issuer`) vouched for, with the role its
/// claims map to; returns the token for the cookie. Logged.
pub fn start_external_session(
    node: &Node,
    person: &str,
    role: Role,
    issuer: &str,
) -> Result<(String, Session), NodeError> {
    let started = new_session(node, person, role, Some(issuer.to_string()))?;
    log(
        node,
        person,
        &format!(
            "angemeldet über {issuer} (Rolle {r}) / logged in through {issuer} (role {r})",
            r = role.key()
        ),
    )?;
    Ok(started)
}

fn new_session(
    node: &Node,
    person: &str,
    role: Role,
    issuer: Option<String>,
) -> Result<(String, Session), NodeError> {
    let token = random_hex()?;
    let now = node.now();
    let session = Session {
        account: person.to_string(),
        role,
        csrf: random_hex()?,
        created_at: now,
        last_seen: now,
        flash: None,
        issuer,
    };
    node.store().put_session(&token_key(&token), &session)?;
    Ok((token, session))
}

/// The live session of `token`, touched; an expired one is removed. The role is the account's
/// current one: a changed or removed account takes effect at the next request.
pub fn session(node: &Node, token: &str) -> Result<Option<Session>, NodeError> {
    let key = token_key(token);
    let Some(mut s) = node.store().session(&key)? else {
        return Ok(None);
    };
    let now = node.now();
    if s.issuer.is_some() {
        if s.expired(now) {
            node.store().remove_session(&key)?;
            return Ok(None);
        }
        if now - s.last_seen >= TOUCH_SECS {
            s.last_seen = now;
            node.store().put_session(&key, &s)?;
        }
        return Ok(Some(s));
    }
    let account = node.store().account(&s.account)?;
    match account {
        Some(a) if !s.expired(now) => {
            if now - s.last_seen >= TOUCH_SECS || a.role != s.role {
                s.last_seen = now;
                s.role = a.role;
                node.store().put_session(&key, &s)?;
            }
            Ok(Some(s))
        }
        _ => {
            node.store().remove_session(&key)?;
            Ok(None)
        }
    }
}

/// Stores the confirmation the next page of this session shows.
pub fn set_flash(node: &Node, token: &str, text: &str) -> Result<(), NodeError> {
    let key = token_key(token);
    if let Some(mut s) = node.store().session(&key)? {
        s.flash = Some(text.to_string());
        node.store().put_session(&key, &s)?;
    }
    Ok(())
}

/// Takes the confirmation of this session (shown once).
pub fn take_flash(node: &Node, token: &str) -> Result<Option<String>, NodeError> {
    let key = token_key(token);
    match node.store().session(&key)? {
        Some(mut s) if s.flash.is_some() => {
            let flash = s.flash.take();
            node.store().put_session(&key, &s)?;
            Ok(flash)
        }
        _ => Ok(None),
    }
}

/// Ends a session.
pub fn end_session(node: &Node, token: &str) -> Result<(), NodeError> {
    node.store().remove_session(&token_key(token))
}

/// The store key of a session token: its SHA-256.
fn token_key(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}
