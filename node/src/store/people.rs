//! The store's trees for the people of the workplace:
//!
//! | tree | key | value |
//! |---|---|---|
//! | `accounts` | account name (UTF-8) | [`Account`] as JSON |
//! | `sessions` | SHA-256 of the session token | [`Session`] as JSON |
//! | `audit` | Unix microseconds, big-endian `u64`, then a sequence byte | [`AuditEntry`] as JSON |

use sovbench_core::kv::{all_json, get_json, put_json, Db, Tree};

use super::{storage, Store};
use crate::error::NodeError;
use crate::people::{Account, AuditEntry, Session};

/// The trees of [`crate::people`].
#[derive(Clone)]
pub(super) struct PeopleTrees {
    accounts: Tree,
    sessions: Tree,
    audit: Tree,
}

impl PeopleTrees {
    pub(super) fn open(db: &Db) -> Result<PeopleTrees, NodeError> {
        let t = |name: &str| db.open_tree(name).map_err(storage);
        Ok(PeopleTrees {
            accounts: t("accounts")?,
            sessions: t("sessions")?,
            audit: t("audit")?,
        })
    }
}

impl Store {
    /// An account.
    pub fn account(&self, name: &str) -> Result<Option<Account>, NodeError> {
        Ok(get_json(&self.people.accounts, name.as_bytes())?)
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, NodeError> {
        Ok(all_json(&self.people.accounts)?)
    }

    /// Stores an account (durably).
    pub fn put_account(&self, a: &Account) -> Result<(), NodeError> {
        put_json(&self.people.accounts, a.name.as_bytes(), a)?;
        self.commit()
    }

    /// Removes an account (durably).
    pub fn remove_account(&self, name: &str) -> Result<(), NodeError> {
        self.people
            .accounts
            .remove(name.as_bytes())
            .map_err(storage)?;
        self.commit()
    }

    /// A session by the SHA-256 of its token.
    pub fn session(&self, key: &[u8]) -> Result<Option<Session>, NodeError> {
        Ok(get_json(&self.people.sessions, key)?)
    }

    /// Stores a session (durably).
    pub fn put_session(&self, key: &[u8], s: &Session) -> Result<(), NodeError> {
        put_json(&self.people.sessions, key, s)?;
        self.commit()
    }

    /// Removes a session (durably).
    pub fn remove_session(&self, key: &[u8]) -> Result<(), NodeError> {
        self.people.sessions.remove(key).map_err(storage)?;
        self.commit()
    }

    /// Removes every session of an account (durably).
    pub fn remove_sessions_of(&self, account: &str) -> Result<(), NodeError> {
        for item in self.people.sessions.iter() {
            let (k, v) = item.map_err(storage)?;
            let s: Session = serde_json::from_slice(&v)?;
            if s.account == account {
                self.people.sessions.remove(k).map_err(storage)?;
            }
        }
        self.commit()
    }

    /// Removes sessions that ended before `now`; returns how many.
    pub fn purge_sessions(&self, now: i64) -> Result<usize, NodeError> {
        let mut n = 0;
        for item in self.people.sessions.iter() {
            let (k, v) = item.map_err(storage)?;
            let s: Session = serde_json::from_slice(&v)?;
            if s.expired(now) {
                self.people.sessions.remove(k).map_err(storage)?;
                n += 1;
            }
        }
        if n > 0 {
            self.commit()?;
        }
        Ok(n)
    }

    /// Appends to the log of changes (durably).
    pub fn append_audit(&self, e: &AuditEntry) -> Result<(), NodeError> {
        let base = u64::try_from(e.at).unwrap_or(0).saturating_mul(1_000_000);
        let mut key = [0u8; 9];
        key[..8].copy_from_slice(&base.to_be_bytes());
        for seq in 0..=u8::MAX {
            key[8] = seq;
            if !self.people.audit.contains_key(key).map_err(storage)? {
                break;
            }
        }
        put_json(&self.people.audit, &key, e)?;
        self.commit()
    }

    /// The latest `limit` entries of the log of changes, newest first.
    pub fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, NodeError> {
        let mut out = Vec::new();
        for item in self.people.audit.iter().rev().take(limit) {
            let (_, v) = item.map_err(storage)?;
            out.push(serde_json::from_slice(&v)?);
        }
        Ok(out)
    }
}
