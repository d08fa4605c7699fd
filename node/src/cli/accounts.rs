//! `sovbench-node accounts`: the people who may use the browser workplace, for the IT that sets
//! it up (and for a forgotten password). The workplace's approvers manage people on its page
//! "Personen" as well.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;
use sovbench_core::i18n::Lang;

use super::{json_line, json_pretty, Out};
use crate::node::Node;
use crate::people::{self, Role};

/// Who made a change from the command line (in the log of changes).
pub(super) const BY_CLI: &str = "Kommandozeile/command line";

#[derive(Debug, Subcommand)]
pub enum AccountsAction {
    /// Add a person. Without --password-file a password is generated and printed once.
    Add {
        /// Log-in name (letters, digits, '.', '-', '_', '@').
        name: String,
        /// Role: editor (fills in), approver (sends, consents, manages people), reader, dpo.
        #[arg(long, default_value = "editor")]
        role: String,
        /// Read the password from the first line of this file (at least 12 characters).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// List the accounts with their roles.
    List,
    /// Remove a person (the last approver stays); ends their sessions.
    Remove {
        /// Log-in name.
        name: String,
    },
    /// Set a new password (generated unless --password-file); ends the person's sessions.
    Password {
        /// Log-in name.
        name: String,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Serialize)]
struct AccountJson<'a> {
    name: &'a str,
    role: &'a str,
    created_at: i64,
    created_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
}

/// Runs an `accounts` action.
pub(super) fn run(node: &Node, action: AccountsAction, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    match action {
        AccountsAction::Add {
            name,
            role,
            password_file,
        } => {
            let role: Role = role.parse().map_err(crate::NodeError::from)?;
            add(node, &name, role, password_file.as_deref(), BY_CLI, out)
        }
        AccountsAction::List => {
            let accounts = node.store().accounts()?;
            if out.json {
                let rows: Vec<_> = accounts
                    .iter()
                    .map(|a| AccountJson {
                        name: &a.name,
                        role: a.role.key(),
                        created_at: a.created_at,
                        created_by: &a.created_by,
                        password: None,
                    })
                    .collect();
                return json_pretty(&rows);
            }
            if accounts.is_empty() {
                println!("{}", lang.pick("Keine Konten.", "No accounts."));
            }
            for a in accounts {
                println!("{:<24} {:<9} {}", a.name, a.role.key(), a.role.label(lang));
            }
            Ok(())
        }
        AccountsAction::Remove { name } => {
            people::remove_account(node, &name, BY_CLI)?;
            println!(
                "{} {name}",
                lang.pick("Konto entfernt:", "Account removed:")
            );
            Ok(())
        }
        AccountsAction::Password {
            name,
            password_file,
        } => {
            let (password, generated) = password_of(password_file.as_deref())?;
            people::set_password(node, &name, &password, BY_CLI)?;
            if out.json {
                return json_line(&serde_json::json!({
                    "name": name,
                    "password": generated.then_some(password.as_str()),
                }));
            }
            println!(
                "{} {name}",
                lang.pick("Neues Passwort gesetzt für", "New password set for")
            );
            if generated {
                print_password(&password, lang);
            }
            Ok(())
        }
    }
}

/// Adds an account and prints it (with the password if generated).
pub(super) fn add(
    node: &Node,
    name: &str,
    role: Role,
    password_file: Option<&Path>,
    by: &str,
    out: Out,
) -> anyhow::Result<()> {
    let (a, generated) = create(node, name, role, password_file, by)?;
    let password = generated.clone().unwrap_or_default();
    let generated = generated.is_some();
    if out.json {
        return json_line(&AccountJson {
            name: &a.name,
            role: a.role.key(),
            created_at: a.created_at,
            created_by: &a.created_by,
            password: generated.then_some(password.as_str()),
        });
    }
    let lang = out.lang;
    println!(
        "{} {} ({}: {})",
        lang.pick("Konto angelegt:", "Account added:"),
        a.name,
        lang.pick("Rolle", "role"),
        a.role.label(lang)
    );
    if generated {
        print_password(&password, lang);
    }
    Ok(())
}

/// Adds an account; returns it and the password if it was generated.
pub(super) fn create(
    node: &Node,
    name: &str,
    role: Role,
    password_file: Option<&Path>,
    by: &str,
) -> anyhow::Result<(people::Account, Option<String>)> {
    let (password, generated) = password_of(password_file)?;
    let a = people::add_account(node, name, role, &password, by)?;
    Ok((a, generated.then_some(password)))
}

/// Prints a generated password.
pub(super) fn print_password(password: &str, lang: Lang) {
    println!(
        "{}: {password}",
        lang.pick(
            "Passwort (wird nur jetzt angezeigt; sicher weitergeben)",
            "Password (shown only now; hand it over safely)"
        )
    );
}

/// The password from the file's first line, or a generated one (`true`).
fn password_of(file: Option<&Path>) -> anyhow::Result<(String, bool)> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let line = text.lines().next().unwrap_or_default().to_string();
            people::check_password_rules(&line).map_err(crate::NodeError::from)?;
            Ok((line, false))
        }
        None => Ok((generate()?, true)),
    }
}

/// A generated password ([`people::generate_password`]).
pub(super) fn generate() -> anyhow::Result<String> {
    Ok(people::generate_password()?)
}
