//! Changing the inventory: the fields of a system as the user gives them ([`SystemFields`],
//! validated and applied by [`apply`]), adding, editing and removing systems, exit scenarios
//! ([`set_exit`]), the all-or-nothing import and the export, and the administration's own
//! alternatives. Every problem names the flag or file it comes from.

use std::path::{Path, PathBuf};

use sovbench_core::i18n::Lang;

use super::alternatives::{self, Alternative};
use super::io::{self, IoError};
use super::{
    Category, ExitScenario, ExitStatus, Hosting, Jurisdiction, Licence, RecordError, Relevance,
    System,
};
use crate::error::NodeError;
use crate::node::Node;

/// Fields of a system as given by the user; `add` requires those [`missing`] names, `edit`
/// changes those given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemFields {
    /// Category key, label or synonym.
    pub category: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
    /// Vendor's jurisdiction.
    pub jurisdiction: Option<String>,
    /// Hosting.
    pub hosting: Option<String>,
    /// Licence.
    pub licence: Option<String>,
    /// Open standards and export formats.
    pub formats: Option<Vec<String>>,
    /// API available: ja / nein.
    pub api: Option<String>,
    /// Contract end (YYYY-MM-DD); "-" clears it.
    pub contract_end: Option<String>,
    /// Notice period in months.
    pub notice_months: Option<u32>,
    /// Exit clause in the contract: ja / nein.
    pub exit_clause: Option<String>,
    /// Relevance.
    pub relevance: Option<String>,
    /// Number of users.
    pub users: Option<u32>,
}

/// An exit scenario as given by the user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExitEdit {
    /// Alternatives considered.
    pub alternatives: Option<Vec<String>>,
    /// Estimated switch duration in months (needed for a new scenario).
    pub months: Option<u32>,
    /// Data export formats to use.
    pub formats: Option<Vec<String>>,
    /// Migration cost per workplace in EUR (a new scenario: 6,000).
    pub cost_per_workplace: Option<u32>,
    /// Status key: entwurf, abgestimmt, getestet (a new scenario: entwurf).
    pub status: Option<String>,
}

/// A value outside its closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{field} {value:?} is not allowed; use one of: {allowed}")]
pub struct NotAllowed {
    /// The flag.
    pub field: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted keys.
    pub allowed: String,
}

/// Parses `value` of the flag `field` with `parse`; the error lists the accepted keys.
pub fn choice<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    allowed: fn() -> String,
) -> Result<T, NotAllowed> {
    parse(value).ok_or_else(|| NotAllowed {
        field,
        value: value.to_string(),
        allowed: allowed(),
    })
}

/// Why an inventory change was refused; nothing is stored.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// A value outside its closed set.
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    /// Not a yes / no answer.
    #[error("--{field} {value:?}: use ja or nein")]
    NotYesNo {
        /// The flag.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// Not a date.
    #[error("--contract-end {0:?}: use YYYY-MM-DD")]
    NotADate(String),
    /// `add` without all required fields.
    #[error("inventory add needs {}", .0.join(", "))]
    Missing(Vec<&'static str>),
    /// `add` of a name that exists.
    #[error("a system named {0:?} exists already; use `inventory edit`")]
    Exists(String),
    /// No system of that name.
    #[error("no system named {0:?}")]
    NoSuchSystem(String),
    /// An import (without `--replace`) names systems that exist.
    #[error("{} system(s) exist already, nothing imported: {} (use --replace to replace the whole inventory)", .0.len(), .0.join(", "))]
    Clashes(Vec<String>),
    /// `--replace` with a file that holds no systems would delete the whole inventory.
    #[error("{} holds no systems; --replace would delete all {existing} systems of the inventory (add --allow-empty to empty it on purpose)", .path.display())]
    EmptyReplace {
        /// The file.
        path: PathBuf,
        /// Systems in the inventory now.
        existing: usize,
    },
    /// An imported file has errors.
    #[error("{}: {source}", .path.display())]
    Import {
        /// The file.
        path: PathBuf,
        /// Its errors, with line and column.
        source: IoError,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    File(IoError),
    /// The record is not consistent in itself.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// The required fields `f` lacks, as flags.
pub fn missing(f: &SystemFields) -> Vec<&'static str> {
    [
        (f.category.is_none(), "--category"),
        (f.jurisdiction.is_none(), "--jurisdiction"),
        (f.hosting.is_none(), "--hosting"),
        (f.licence.is_none(), "--licence"),
        (f.api.is_none(), "--api"),
        (f.exit_clause.is_none(), "--exit-clause"),
        (f.relevance.is_none(), "--relevance"),
        (f.users.is_none(), "--users"),
    ]
    .into_iter()
    .filter_map(|(absent, flag)| absent.then_some(flag))
    .collect()
}

fn yes_no(field: &'static str, v: &str) -> Result<bool, EditError> {
    io::parse_bool(v).ok_or_else(|| EditError::NotYesNo {
        field,
        value: v.to_string(),
    })
}

/// The items trimmed, empty ones dropped (lists given with `,`).
pub fn non_empty(items: Vec<String>) -> Vec<String> {
    items
        .into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Applies the fields given to `s` and checks the result.
pub fn apply(s: &mut System, f: SystemFields) -> Result<(), EditError> {
    if let Some(v) = f.category {
        s.category = choice("category", &v, Category::parse, Category::keys)?;
    }
    if let Some(v) = f.product {
        s.product = v;
    }
    if let Some(v) = f.vendor {
        s.vendor = v;
    }
    if let Some(v) = f.jurisdiction {
        s.jurisdiction = choice("jurisdiction", &v, Jurisdiction::parse, Jurisdiction::keys)?;
    }
    if let Some(v) = f.hosting {
        s.hosting = choice("hosting", &v, Hosting::parse, Hosting::keys)?;
    }
    if let Some(v) = f.licence {
        s.licence = choice("licence", &v, Licence::parse, Licence::keys)?;
    }
    if let Some(v) = f.formats {
        s.formats = non_empty(v);
    }
    if let Some(v) = f.api {
        s.api = yes_no("api", &v)?;
    }
    if let Some(v) = f.contract_end {
        s.contract_end = if v.trim() == "-" {
            None
        } else {
            Some(sovbench_core::time::parse_date(&v).ok_or(EditError::NotADate(v))?)
        };
    }
    if let Some(v) = f.notice_months {
        s.notice_months = Some(v);
    }
    if let Some(v) = f.exit_clause {
        s.exit_clause = yes_no("exit-clause", &v)?;
    }
    if let Some(v) = f.relevance {
        s.relevance = choice("relevance", &v, Relevance::parse, Relevance::keys)?;
    }
    if let Some(v) = f.users {
        s.users = v;
    }
    Ok(s.validate()?)
}

/// Adds a system; every required field must be given.
pub fn add(node: &Node, name: &str, fields: SystemFields) -> Result<System, EditError> {
    let store = node.store();
    if store.system(name)?.is_some() {
        return Err(EditError::Exists(name.to_string()));
    }
    let m = missing(&fields);
    if !m.is_empty() {
        return Err(EditError::Missing(m));
    }
    let mut s = System {
        name: name.trim().to_string(),
        category: Category::Sonstiges,
        product: String::new(),
        vendor: String::new(),
        jurisdiction: Jurisdiction::EuEea,
        hosting: Hosting::OwnDataCentre,
        licence: Licence::Proprietary,
        formats: Vec::new(),
        api: false,
        contract_end: None,
        notice_months: None,
        exit_clause: false,
        relevance: Relevance::Mittel,
        users: 0,
        exit: None,
    };
    apply(&mut s, fields)?;
    store.put_system(&s)?;
    Ok(s)
}

/// One system, or an error naming it.
pub fn get(node: &Node, name: &str) -> Result<System, EditError> {
    node.store()
        .system(name)?
        .ok_or_else(|| EditError::NoSuchSystem(name.to_string()))
}

/// Changes the fields given of a system.
pub fn edit(node: &Node, name: &str, fields: SystemFields) -> Result<System, EditError> {
    let mut s = get(node, name)?;
    apply(&mut s, fields)?;
    node.store().put_system(&s)?;
    Ok(s)
}

/// Removes a system.
pub fn remove(node: &Node, name: &str) -> Result<(), EditError> {
    if node.store().remove_system(name)? {
        Ok(())
    } else {
        Err(EditError::NoSuchSystem(name.to_string()))
    }
}

/// Defines the exit scenario of a system, or changes the fields given of the one it has (the
/// others stay as they are). A new scenario needs the switch duration.
pub fn set_exit(node: &Node, name: &str, exit: ExitEdit) -> Result<System, EditError> {
    let mut s = get(node, name)?;
    let non_empty = |v: Vec<String>| -> Vec<String> {
        v.into_iter().filter(|a| !a.trim().is_empty()).collect()
    };
    let mut x = match s.exit.take() {
        Some(x) => x,
        None => ExitScenario {
            alternatives: Vec::new(),
            switch_months: exit.months.ok_or(EditError::Missing(vec!["--months"]))?,
            export_formats: Vec::new(),
            cost_per_workplace: super::DEFAULT_COST_PER_WORKPLACE,
            status: ExitStatus::Entwurf,
        },
    };
    if let Some(a) = exit.alternatives {
        x.alternatives = non_empty(a);
    }
    if let Some(m) = exit.months {
        x.switch_months = m;
    }
    if let Some(f) = exit.formats {
        x.export_formats = non_empty(f);
    }
    if let Some(c) = exit.cost_per_workplace {
        x.cost_per_workplace = c;
    }
    if let Some(status) = &exit.status {
        x.status = choice("status", status, ExitStatus::parse, ExitStatus::keys)?;
    }
    s.exit = Some(x);
    s.validate()?;
    node.store().put_system(&s)?;
    Ok(s)
}

/// How an import treats the inventory there is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportMode {
    /// Replace the whole inventory instead of adding to it.
    pub replace: bool,
    /// Allow a replacing import of a file without systems (it empties the inventory).
    pub allow_empty: bool,
}

/// Imports systems from a file (CSV, JSON or ODS by extension): every row or, if any row has an
/// error or (without `replace`) a name exists already, nothing. A replacing import of a file
/// without systems is refused unless `allow_empty`. Returns the number imported.
pub fn import(node: &Node, path: &Path, mode: ImportMode) -> Result<usize, EditError> {
    let systems = io::read_file(path).map_err(|e| match e {
        IoError::Invalid(_) => EditError::Import {
            path: path.to_path_buf(),
            source: e,
        },
        other => EditError::File(other),
    })?;
    import_systems(node, path, systems, mode)
}

/// Stores systems read from `source` (a file, or an upload's name) as [`import`] does: all, or
/// nothing if (without `replace`) a name exists already, or if a replacing import without
/// systems would empty the inventory unasked. Returns the number imported.
pub fn import_systems(
    node: &Node,
    source: &Path,
    systems: Vec<System>,
    mode: ImportMode,
) -> Result<usize, EditError> {
    let replace = mode.replace;
    let store = node.store();
    if replace && systems.is_empty() && !mode.allow_empty {
        let existing = store.systems()?.len();
        if existing > 0 {
            return Err(EditError::EmptyReplace {
                path: source.to_path_buf(),
                existing,
            });
        }
    }
    if !replace {
        let mut clashes = Vec::new();
        for s in &systems {
            if store.system(&s.name)?.is_some() {
                clashes.push(s.name.clone());
            }
        }
        if !clashes.is_empty() {
            return Err(EditError::Clashes(clashes));
        }
    }
    store.put_systems(&systems, replace)?;
    Ok(systems.len())
}

/// Exports the inventory to a file (CSV, JSON or ODS by extension, column names in `lang`);
/// returns the number of systems written.
pub fn export(node: &Node, path: &Path, lang: Lang) -> Result<usize, EditError> {
    let systems = node.store().systems()?;
    io::write_file(path, &systems, lang).map_err(EditError::File)?;
    Ok(systems.len())
}

/// The catalogue of alternatives with the administration's own, for one category or all; with
/// `add`, first adds an own alternative to `category`.
pub fn list_alternatives(
    node: &Node,
    category: Option<&str>,
    add: Option<String>,
) -> Result<Vec<Alternative>, EditError> {
    let cat = category
        .map(|c| choice("category", c, Category::parse, Category::keys))
        .transpose()?;
    if let (Some(product), Some(category)) = (add, cat) {
        node.store().add_alternative(&Alternative {
            category,
            product,
            source: "user".into(),
        })?;
    }
    let own = node.store().alternatives()?;
    Ok(match cat {
        Some(c) => alternatives::for_category(c, &own),
        None => alternatives::builtin().into_iter().chain(own).collect(),
    })
}

#[cfg(test)]
mod tests;
