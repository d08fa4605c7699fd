//! People on a node: local accounts with Argon2id password hashes, their [`Role`]s, the sessions
//! of the browser workplace and the log of who changed what ([`AuditEntry`]).
//!
//! Nothing here knows HTTP: the workplace ([`crate::web`]) turns a cookie into a [`Session`]
//! and asks [`Role::may`] before it acts. A hosted node (many administrations behind one
//! process) or a log-in through an identity provider produce the same [`Session`], so the pages
//! do not change with them.
//!
//! Session tokens are 32 random bytes; the store keeps only their SHA-256, so that a copy of the
//! store does not let anyone take over a session.

pub mod idp;
mod password;
mod session;

use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};
use sovbench_core::i18n::Lang;

use crate::error::NodeError;
use crate::node::Node;

pub use password::{check_password_rules, hash_password, verify_password, MIN_PASSWORD_CHARS};
pub use session::{
    end_session, session, set_flash, start_external_session, start_session, take_flash, Session,
    IDLE_SECS, MAX_SECS,
};

/// Longest account name.
pub const MAX_NAME_CHARS: usize = 64;

/// What a person may do on the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Fills in: self-test, inventory, procurement, migration paths.
    Editor,
    /// Everything an editor does, and sends submissions, consents to peer matching, confirms
    /// stage changes and manages the node's people.
    Approver,
    /// Reads.
    Reader,
    /// The data protection officer: reads the privacy pages and the report.
    Dpo,
}

/// What a request wants to do; [`Role::may`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the administration's pages (self-test, inventory, paths, rounds, comparison, peers).
    Read,
    /// Read the privacy budget, the ledger and the data protection officer's report.
    ReadPrivacy,
    /// Fill in or change the administration's own records.
    Fill,
    /// Release values to a round, consent to peer matching, confirm stage changes, answer
    /// contact requests.
    Approve,
    /// Add or remove people.
    ManagePeople,
}

impl Role {
    /// Every role, in the order the pages list them.
    pub const ALL: [Role; 4] = [Role::Editor, Role::Approver, Role::Reader, Role::Dpo];

    /// Whether this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        match action {
            Action::Read => self != Role::Dpo,
            Action::ReadPrivacy => true,
            Action::Fill => matches!(self, Role::Editor | Role::Approver),
            Action::Approve | Action::ManagePeople => self == Role::Approver,
        }
    }

    /// The key used in forms, files and the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Approver => "approver",
            Role::Reader => "reader",
            Role::Dpo => "dpo",
        }
    }

    /// The role's name.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Editor => lang.pick("Bearbeitung", "Editor"),
            Role::Approver => lang.pick("Freigabe", "Approver"),
            Role::Reader => lang.pick("Lesen", "Reader"),
            Role::Dpo => lang.pick("Datenschutzbeauftragte/r", "Data protection officer"),
        }
    }

    /// What the role may do, in one sentence.
    pub fn explain(self, lang: Lang) -> &'static str {
        match self {
            Role::Editor => lang.pick(
                "füllt Selbsttest, Inventar, Beschaffung und Migrationspfade aus",
                "fills in the self-test, inventory, procurement and migration paths",
            ),
            Role::Approver => lang.pick(
                "wie Bearbeitung, dazu: Daten an eine Runde senden, dem Peer-Matching zustimmen, \
                 Stufenwechsel bestätigen, Personen verwalten",
                "as editor, and: send data to a round, consent to peer matching, confirm stage \
                 changes, manage people",
            ),
            Role::Reader => lang.pick("liest", "reads"),
            Role::Dpo => lang.pick(
                "liest die Datenschutzseiten und den Bericht",
                "reads the privacy pages and the report",
            ),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = PeopleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "editor" | "bearbeitung" => Ok(Role::Editor),
            "approver" | "freigabe" => Ok(Role::Approver),
            "reader" | "lesen" => Ok(Role::Reader),
            "dpo" | "datenschutz" => Ok(Role::Dpo),
            other => Err(PeopleError::UnknownRole(other.to_string())),
        }
    }
}

/// A local account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Log-in name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id hash in PHC string form.
    pub hash: String,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Who created it (an account name, or `init`/`command line`).
    pub created_by: String,
}

/// One line of the log of changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, Unix seconds.
    pub at: i64,
    /// Who (account name).
    pub person: String,
    /// What, in the language of the person who did it.
    pub action: String,
}

/// Why an account operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PeopleError {
    /// No such role.
    #[error("unknown role {0:?}: use editor, approver, reader or dpo")]
    UnknownRole(String),
    /// The name is empty, too long or has characters other than letters, digits, `.`, `-`,
    /// `_` and `@`.
    #[error("account name {0:?} is not usable: 1 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadName(String),
    /// The password is too short.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// The account exists.
    #[error("an account {0:?} exists already")]
    Exists(String),
    /// No such account.
    #[error("no account {0:?}")]
    Unknown(String),
    /// The last approver cannot be removed.
    #[error("{0:?} is the last account with the role approver; add another approver first")]
    LastApprover(String),
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
}

impl PeopleError {
    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::De => match self {
                PeopleError::UnknownRole(r) => {
                    format!("unbekannte Rolle {r:?}: editor, approver, reader oder dpo verwenden")
                }
                PeopleError::BadName(n) => format!(
                    "der Kontoname {n:?} ist nicht verwendbar: 1 bis 64 Buchstaben, Ziffern, \
                     '.', '-', '_' oder '@'"
                ),
                PeopleError::WeakPassword => {
                    format!("das Passwort muss mindestens {MIN_PASSWORD_CHARS} Zeichen haben")
                }
                PeopleError::Exists(n) => format!("ein Konto {n:?} gibt es bereits"),
                PeopleError::Unknown(n) => format!("kein Konto {n:?}"),
                PeopleError::LastApprover(n) => format!(
                    "{n:?} ist das letzte Konto mit der Rolle approver (Freigabe); zuerst ein \
                     weiteres anlegen"
                ),
                PeopleError::Hash(e) => format!("Passwort-Hash: {e}"),
            },
        }
    }
}

/// Checks an account name.
pub fn check_name(name: &str) -> Result<(), PeopleError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(PeopleError::BadName(name.to_string()))
    }
}

/// Adds an account; `by` is who adds it (logged).
pub fn add_account(
    node: &Node,
    name: &str,
    role: Role,
    password: &str,
    by: &str,
) -> Result<Account, NodeError> {
    let name = name.trim();
    check_name(name)?;
    check_password_rules(password)?;
    if node.store().account(name)?.is_some() {
        return Err(PeopleError::Exists(name.to_string()).into());
    }
    let account = Account {
        name: name.to_string(),
        role,
        hash: hash_password(password)?,
        created_at: node.now(),
        created_by: by.to_string(),
    };
    node.store().put_account(&account)?;
    log(
        node,
        by,
        &format!(
            "Konto {name} angelegt (Rolle {}) / account {name} added",
            role.key()
        ),
    )?;
    Ok(account)
}

/// Sets a new password (and ends the account's sessions).
pub fn set_password(node: &Node, name: &str, password: &str, by: &str) -> Result<(), NodeError> {
    check_password_rules(password)?;
    let mut account = node
        .store()
        .account(name)?
        .ok_or_else(|| PeopleError::Unknown(name.to_string()))?;
    account.hash = hash_password(password)?;
    node.store().put_account(&account)?;
    node.store().remove_sessions_of(name)?;
    log(
        node,
        by,
        &format!("Passwort von {name} neu gesetzt / password of {name} reset"),
    )
}

/// Removes an account and its sessions; the last approver stays.
pub fn remove_account(node: &Node, name: &str, by: &str) -> Result<(), NodeError> {
    let accounts = node.store().accounts()?;
    let Some(account) = accounts.iter().find(|a| a.name == name) else {
        return Err(PeopleError::Unknown(name.to_string()).into());
    };
    if account.role == Role::Approver
        && accounts.iter().filter(|a| a.role == Role::Approver).count() == 1
    {
        return Err(PeopleError::LastApprover(name.to_string()).into());
    }
    node.store().remove_account(name)?;
    node.store().remove_sessions_of(name)?;
    log(
        node,
        by,
        &format!("Konto {name} entfernt / account {name} removed"),
    )
}

/// Checks a log-in. The same answer (`None`) for an unknown name and a wrong password, and the
/// same work: an unknown name is checked against a dummy hash.
pub fn authenticate(node: &Node, name: &str, password: &str) -> Result<Option<Account>, NodeError> {
    match node.store().account(name.trim())? {
        Some(a) if verify_password(&a.hash, password) => Ok(Some(a)),
        Some(_) => Ok(None),
        None => {
            password::burn(password);
            Ok(None)
        }
    }
}

/// Appends to the log of changes, and to the process log.
pub fn log(node: &Node, person: &str, action: &str) -> Result<(), NodeError> {
    tracing::info!(person, action, "change");
    node.store().append_audit(&AuditEntry {
        at: node.now(),
        person: person.to_string(),
        action: action.to_string(),
    })
}

/// 32 random bytes, hex.
pub fn random_hex() -> Result<String, NodeError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| NodeError::Storage("no random numbers from the system".into()))?;
    Ok(hex::encode(bytes))
}

/// A password for a new person or a reset (shown once, by the workplace or the command line):
/// four groups of five characters from an alphabet without look-alikes (about 98 bits).
pub fn generate_password() -> Result<String, NodeError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479";
    let mut bytes = [0u8; 20];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| NodeError::Storage("no random numbers from the system".into()))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
