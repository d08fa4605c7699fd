//! Migration paths: from which product to which, how far, with which systems and workplaces; the
//! stage history is kept. The stage of a path whose target is in the published path catalogue is
//! what the `path.*` metrics release, privatised.
//!
//! This module holds the record and its rules and imports nothing from the rest of the node (the
//! store keeps these records); [`edit`] records and moves paths in the store.

pub mod edit;

use serde::{Deserialize, Serialize};
use sovbench_core::i18n::Lang;

use crate::inventory::Category;

pub use sovbench_core::vocab::Stage;

/// A stage change a path does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// The path is at that stage already.
    #[error("path {id} is already at stage {}", .stage.key())]
    Already {
        /// Path id.
        id: String,
        /// Its stage.
        stage: Stage,
    },
    /// Only a pilot or a rollout can be rolled back.
    #[error("path {id} is {}; only a pilot or a rollout can be rolled back", .stage.key())]
    NothingToRollBack {
        /// Path id.
        id: String,
        /// Its stage.
        stage: Stage,
    },
    /// A completed or rolled-back path ends.
    #[error("path {id} is {}; record a new path to start again", .stage.key())]
    Ended {
        /// Path id.
        id: String,
        /// Its stage.
        stage: Stage,
    },
    /// Nothing follows the path's stage.
    #[error("path {id} is {}; nothing follows", .stage.key())]
    NothingFollows {
        /// Path id.
        id: String,
        /// Its stage.
        stage: Stage,
    },
}

/// One change of stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageChange {
    /// New stage.
    pub stage: Stage,
    /// Date (days since 1970-01-01).
    pub on: i64,
    /// Why (given in the workplace; none for changes recorded without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A migration path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationPath {
    /// Short id (from category and target product).
    pub id: String,
    /// Category.
    pub category: Category,
    /// From product.
    pub from_product: String,
    /// To product.
    pub to_product: String,
    /// Current stage.
    pub stage: Stage,
    /// Every stage change, oldest first.
    pub history: Vec<StageChange>,
    /// Affected workplaces.
    pub workplaces: u32,
    /// Inventory systems it concerns.
    pub systems: Vec<String>,
    /// Local notes (never leave the node).
    pub notes: String,
}

impl MigrationPath {
    /// The path item of the published catalogue this path follows, if its target is listed.
    pub fn catalogue_item(&self) -> Option<sovbench_core::paths::PathItem> {
        sovbench_core::paths::find_path(self.category, &self.to_product)
    }

    /// Moves to `stage` on `on`; refuses to leave a final stage or to stand still.
    pub fn change(&mut self, stage: Stage, on: i64) -> Result<(), StageError> {
        let id = self.id.clone();
        if stage == self.stage {
            return Err(StageError::Already { id, stage });
        }
        if stage == Stage::Zurueckgerollt && !matches!(self.stage, Stage::Pilot | Stage::Rollout) {
            return Err(StageError::NothingToRollBack {
                id,
                stage: self.stage,
            });
        }
        if matches!(self.stage, Stage::Abgeschlossen | Stage::Zurueckgerollt) {
            return Err(StageError::Ended {
                id,
                stage: self.stage,
            });
        }
        self.stage = stage;
        self.history.push(StageChange {
            stage,
            on,
            reason: None,
        });
        Ok(())
    }

    /// Moves to `to`, or to the next stage, on `on`.
    pub fn advance(&mut self, to: Option<Stage>, on: i64) -> Result<(), StageError> {
        let next = match to {
            Some(t) => t,
            None => self
                .stage
                .next()
                .ok_or_else(|| StageError::NothingFollows {
                    id: self.id.clone(),
                    stage: self.stage,
                })?,
        };
        self.change(next, on)
    }

    /// Date of the current stage.
    pub fn since(&self) -> Option<i64> {
        self.history.last().map(|c| c.on)
    }

    /// One line for lists.
    pub fn line(&self, lang: Lang) -> String {
        format!(
            "{:<40} {:<28} {} → {}  [{}{}]  {} {}",
            self.id,
            self.category.label(lang),
            self.from_product,
            self.to_product,
            self.stage.label(lang),
            self.since()
                .map(|d| format!(
                    " {} {}",
                    lang.pick("seit", "since"),
                    sovbench_core::time::format_days(d)
                ))
                .unwrap_or_default(),
            self.workplaces,
            lang.pick("Arbeitsplätze", "workplaces")
        )
    }
}

/// A new id for a path: `category-target`, with a number appended while taken.
pub fn new_id(category: Category, to: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let base = format!("{}-{}", category.key(), sovbench_core::paths::slug(to));
    let mut id = base.clone();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The stage a node reports for a catalogue path: its most recently changed path with that
/// target, or none.
pub fn stage_on(paths: &[MigrationPath], item_id: &str) -> Option<Stage> {
    paths
        .iter()
        .filter(|p| p.catalogue_item().is_some_and(|i| i.id == item_id))
        .max_by_key(|p| p.since().unwrap_or(i64::MIN))
        .map(|p| p.stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> MigrationPath {
        MigrationPath {
            id: "videokonferenzen-bigbluebutton".into(),
            category: Category::Videokonferenzen,
            from_product: "Microsoft Teams".into(),
            to_product: "BigBlueButton".into(),
            stage: Stage::Erwogen,
            history: vec![StageChange {
                stage: Stage::Erwogen,
                on: 100,
                reason: None,
            }],
            workplaces: 500,
            systems: vec!["Videokonferenzen".into()],
            notes: String::new(),
        }
    }

    #[test]
    fn stages_advance_and_end() {
        let mut p = path();
        let mut day = 100;
        while let Some(n) = p.stage.next() {
            day += 30;
            p.change(n, day).unwrap();
        }
        assert_eq!(p.stage, Stage::Abgeschlossen);
        assert_eq!(p.history.len(), 5);
        assert_eq!(
            p.change(Stage::Zurueckgerollt, day + 1)
                .unwrap_err()
                .to_string(),
            "path videokonferenzen-bigbluebutton is abgeschlossen; only a pilot or a rollout can be rolled back"
        );
        let mut q = path();
        q.change(Stage::Pilot, 120).unwrap();
        q.change(Stage::Zurueckgerollt, 200).unwrap();
        assert!(matches!(
            q.change(Stage::Rollout, 210),
            Err(StageError::Ended { .. })
        ));
        assert!(matches!(
            path().change(Stage::Erwogen, 1),
            Err(StageError::Already { .. })
        ));
        assert!(
            path().change(Stage::Zurueckgerollt, 1).is_err(),
            "nothing to roll back yet"
        );
        let mut r = path();
        r.advance(None, 2).unwrap();
        assert_eq!(r.stage, Stage::Geplant);
        r.advance(Some(Stage::Rollout), 3).unwrap();
        r.advance(None, 4).unwrap();
        assert_eq!(
            r.advance(None, 5).unwrap_err().to_string(),
            "path videokonferenzen-bigbluebutton is abgeschlossen; nothing follows"
        );
    }

    #[test]
    fn catalogue_items_and_ids() {
        let p = path();
        assert_eq!(
            p.catalogue_item().unwrap().id,
            "path.videokonferenzen.bigbluebutton"
        );
        assert_eq!(
            stage_on(
                std::slice::from_ref(&p),
                "path.videokonferenzen.bigbluebutton"
            ),
            Some(Stage::Erwogen)
        );
        assert_eq!(stage_on(&[p], "path.videokonferenzen.alfaview"), None);
        let id = new_id(Category::Videokonferenzen, "BigBlueButton", &|s| {
            s == "videokonferenzen-bigbluebutton"
        });
        assert_eq!(id, "videokonferenzen-bigbluebutton-2");
    }
}
