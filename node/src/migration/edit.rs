//! Recording and moving migration paths in the store: a new path's category, stage, products,
//! systems (which must be in the inventory) and date are checked here before anything is stored;
//! the stage rules are [`MigrationPath::change`]'s.

use super::{new_id, MigrationPath, Stage, StageChange, StageError};
use crate::error::NodeError;
use crate::inventory::edit::{choice, non_empty, NotAllowed};
use crate::inventory::Category;
use crate::node::Node;

/// A new path as given by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPath {
    /// Category key, label or synonym.
    pub category: String,
    /// Product migrated from.
    pub from: String,
    /// Product migrated to.
    pub to: String,
    /// Initial stage.
    pub stage: String,
    /// Affected workplaces.
    pub workplaces: u32,
    /// Inventory systems it concerns.
    pub systems: Vec<String>,
    /// Local notes (never leave the node).
    pub notes: String,
    /// Date of the stage (YYYY-MM-DD), today if none.
    pub date: Option<String>,
}

/// Why a migration path was not recorded or moved; nothing is stored.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// A value outside its closed set.
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    /// Systems that are not in the inventory.
    #[error("--systems: not in the inventory: {}", .0.join(", "))]
    UnknownSystems(Vec<String>),
    /// A product name is empty.
    #[error("--from and --to must name products")]
    NoProducts,
    /// Not a date.
    #[error("--date {0:?}: use YYYY-MM-DD")]
    NotADate(String),
    /// No path with that id.
    #[error("no migration path {0:?}")]
    NoSuchPath(String),
    /// The stage change is not allowed.
    #[error(transparent)]
    Stage(#[from] StageError),
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// The date given, or today by the node's clock (days since 1970-01-01).
fn date_or_today(node: &Node, date: Option<&str>) -> Result<i64, MigrationError> {
    match date {
        Some(d) => {
            sovbench_core::time::parse_date(d).ok_or_else(|| MigrationError::NotADate(d.into()))
        }
        None => Ok(node.today()),
    }
}

/// Records a new path with an id made from its category and target.
pub fn add(node: &Node, new: NewPath) -> Result<MigrationPath, MigrationError> {
    let store = node.store();
    let category = choice("category", &new.category, Category::parse, Category::keys)?;
    let stage = choice("stage", &new.stage, Stage::parse, Stage::keys)?;
    let systems = non_empty(new.systems);
    let mut unknown = Vec::new();
    for name in &systems {
        if store.system(name)?.is_none() {
            unknown.push(name.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(MigrationError::UnknownSystems(unknown));
    }
    if new.to.trim().is_empty() || new.from.trim().is_empty() {
        return Err(MigrationError::NoProducts);
    }
    let on = date_or_today(node, new.date.as_deref())?;
    let id = new_id(category, &new.to, &|id| {
        store.migration(id).ok().flatten().is_some()
    });
    let p = MigrationPath {
        id,
        category,
        from_product: new.from.trim().into(),
        to_product: new.to.trim().into(),
        stage,
        history: vec![StageChange {
            stage,
            on,
            reason: None,
        }],
        workplaces: new.workplaces,
        systems,
        notes: new.notes,
    };
    store.put_migration(&p)?;
    Ok(p)
}

/// One path, or an error naming it.
pub fn get(node: &Node, id: &str) -> Result<MigrationPath, MigrationError> {
    node.store()
        .migration(id)?
        .ok_or_else(|| MigrationError::NoSuchPath(id.to_string()))
}

/// Moves a path to its next stage, or to `to`, on `date` (default today).
pub fn advance(
    node: &Node,
    id: &str,
    to: Option<&str>,
    date: Option<&str>,
) -> Result<MigrationPath, MigrationError> {
    advance_because(node, id, to, date, None)
}

/// [`advance`], keeping `reason` (why) in the stage history.
pub fn advance_because(
    node: &Node,
    id: &str,
    to: Option<&str>,
    date: Option<&str>,
    reason: Option<&str>,
) -> Result<MigrationPath, MigrationError> {
    let mut p = get(node, id)?;
    let to = to
        .map(|t| choice("to", t, Stage::parse, Stage::keys))
        .transpose()?;
    p.advance(to, date_or_today(node, date)?)?;
    keep_reason(&mut p, reason);
    node.store().put_migration(&p)?;
    Ok(p)
}

/// Records that a path was rolled back on `date` (default today).
pub fn rollback(
    node: &Node,
    id: &str,
    date: Option<&str>,
) -> Result<MigrationPath, MigrationError> {
    rollback_because(node, id, date, None)
}

/// [`rollback`], keeping `reason` (why) in the stage history.
pub fn rollback_because(
    node: &Node,
    id: &str,
    date: Option<&str>,
    reason: Option<&str>,
) -> Result<MigrationPath, MigrationError> {
    let mut p = get(node, id)?;
    p.change(Stage::Zurueckgerollt, date_or_today(node, date)?)?;
    keep_reason(&mut p, reason);
    node.store().put_migration(&p)?;
    Ok(p)
}

/// Keeps `reason` (trimmed, if not empty) with the newest stage change.
fn keep_reason(p: &mut MigrationPath, reason: Option<&str>) {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let (Some(r), Some(last)) = (reason, p.history.last_mut()) {
        last.reason = Some(r.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::node::testing::{node, sample_inventory};
    use sovbench_core::catalogue::TrueValue;

    #[test]
    fn migration_paths_are_recorded_advanced_and_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        crate::inventory::edit::import(&n, &sample_inventory(), Default::default()).unwrap();
        let new = |systems: Vec<String>| NewPath {
            category: "videokonferenzen".into(),
            from: "Microsoft Teams".into(),
            to: "BigBlueButton".into(),
            stage: "erwogen".into(),
            workplaces: 500,
            systems,
            notes: "Ausschreibung mit Nachbarkreis".into(),
            date: Some("2026-01-15".into()),
        };
        let e = add(&n, new(vec!["Gibt es nicht".into()])).unwrap_err();
        assert!(e.to_string().contains("not in the inventory"), "{e}");
        assert!(n.store().migrations().unwrap().is_empty());
        let p = add(&n, new(vec!["Videokonferenzen".into()])).unwrap();
        assert_eq!(p.systems, vec!["Videokonferenzen".to_string()]);
        assert_eq!(
            p.history[0].on,
            sovbench_core::time::parse_date("2026-01-15").unwrap()
        );
        add(&n, new(vec![])).unwrap();
        let ids: Vec<String> = n
            .store()
            .migrations()
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "videokonferenzen-bigbluebutton",
                "videokonferenzen-bigbluebutton-2"
            ]
        );
        let p = advance(&n, &ids[0], None, Some("2026-03-01")).unwrap();
        assert_eq!(p.stage, Stage::Geplant);
        let p = advance(&n, &ids[0], Some("pilot"), Some("2026-05-01")).unwrap();
        assert_eq!(p.stage, Stage::Pilot);
        rollback(&n, &ids[0], Some("2026-09-01")).unwrap();
        let p = n.store().migration(&ids[0]).unwrap().unwrap();
        assert_eq!(p.history.len(), 4);
        assert_eq!(p.stage, Stage::Zurueckgerollt);
        assert!(advance(&n, &ids[0], None, None).is_err());
        let e = advance(&n, &ids[1], None, Some("15.1.")).unwrap_err();
        assert_eq!(e.to_string(), "--date \"15.1.\": use YYYY-MM-DD");
        let e = advance(&n, "gibt-es-nicht", None, None).unwrap_err();
        assert_eq!(e.to_string(), "no migration path \"gibt-es-nicht\"");
        // The most recently changed path to the target is what the node reports.
        let f = Facts::of(&n).unwrap();
        assert_eq!(
            f.true_value("path.videokonferenzen.bigbluebutton"),
            Some(TrueValue::Category("zurueckgerollt".into()))
        );
        assert_eq!(
            f.true_value("path.email_kalender.tuta"),
            Some(TrueValue::Category("keiner".into()))
        );
    }
}
