//! Changing the stored criteria matrix: weights set, own criteria added or removed, or back to
//! the default matrix. [`apply`] checks and applies the changes; [`edit`] does so on the stored
//! matrix and keeps the result.

use super::{default_criteria, CriteriaError, Criterion, ProcurementError, BUILTIN};
use crate::node::Node;

/// Changes of the matrix as given by the user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CriteriaEdit {
    /// Weights to set: `KEY=WEIGHT`.
    pub set: Vec<String>,
    /// Own criteria to add: `KEY=WEIGHT:LABEL` (the label defaults to the key).
    pub add: Vec<String>,
    /// Own criteria to remove, by key.
    pub remove: Vec<String>,
    /// Start from the default matrix.
    pub reset: bool,
}

fn weight(flag: &'static str, arg: &str, text: &str) -> Result<f64, CriteriaError> {
    text.trim().parse().map_err(|_| CriteriaError::NotANumber {
        flag,
        arg: arg.to_string(),
    })
}

/// Applies `edit` to `criteria` (`reset` is the caller's: it decides what `criteria` is).
pub fn apply(
    mut criteria: Vec<Criterion>,
    edit: &CriteriaEdit,
) -> Result<Vec<Criterion>, CriteriaError> {
    for s in &edit.set {
        let (k, w) = s.split_once('=').ok_or_else(|| CriteriaError::Form {
            flag: "set",
            arg: s.clone(),
            form: "KEY=WEIGHT",
        })?;
        let w = weight("set", s, w)?;
        if !(w >= 0.0 && w.is_finite()) {
            return Err(CriteriaError::Negative(s.clone()));
        }
        let cr = criteria
            .iter_mut()
            .find(|x| x.key == k.trim())
            .ok_or_else(|| CriteriaError::NoSuchCriterion(k.to_string()))?;
        cr.weight = w;
    }
    for a in &edit.add {
        let (k, rest) = a.split_once('=').ok_or_else(|| CriteriaError::Form {
            flag: "add",
            arg: a.clone(),
            form: "KEY=WEIGHT:LABEL",
        })?;
        let (w, label) = rest.split_once(':').unwrap_or((rest, k));
        let w = weight("add", a, w)?;
        if criteria.iter().any(|x| x.key == k.trim()) {
            return Err(CriteriaError::Exists(k.to_string()));
        }
        criteria.push(Criterion {
            key: k.trim().into(),
            label: label.trim().into(),
            weight: w.max(0.0),
        });
    }
    for k in &edit.remove {
        if BUILTIN.contains(&k.as_str()) {
            return Err(CriteriaError::BuiltIn(k.clone()));
        }
        criteria.retain(|x| x.key != *k);
    }
    Ok(criteria)
}

/// Applies `edit` to the stored matrix (or the default one, with `reset`) and stores the result.
pub fn edit(node: &Node, edit: &CriteriaEdit) -> Result<Vec<Criterion>, ProcurementError> {
    let current = if edit.reset {
        default_criteria()
    } else {
        node.store().criteria()?
    };
    let changed = apply(current, edit)?;
    node.store().put_criteria(&changed)?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::testing::node;
    use sovbench_core::i18n::Lang;

    #[test]
    fn weights_are_set_and_own_criteria_added_but_built_ins_stay() {
        let edit_of = |set: &[&str], add: &[&str], remove: &[&str]| CriteriaEdit {
            set: set.iter().map(|s| s.to_string()).collect(),
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
            reset: false,
        };
        let c = apply(default_criteria(), &edit_of(&["api=5"], &["eigen=3"], &[])).unwrap();
        assert_eq!(
            c.iter().find(|x| x.key == "api").map(|x| x.weight),
            Some(5.0)
        );
        let own = c.iter().find(|x| x.key == "eigen").unwrap();
        assert_eq!((own.label.as_str(), own.weight), ("eigen", 3.0));
        let c = apply(c, &edit_of(&[], &[], &["eigen"])).unwrap();
        assert_eq!(c, {
            let mut d = default_criteria();
            d[4].weight = 5.0;
            d
        });
        for (e, text) in [
            (edit_of(&["api"], &[], &[]), "--set \"api\": use KEY=WEIGHT"),
            (
                edit_of(&["api=viel"], &[], &[]),
                "--set \"api=viel\": weight is not a number",
            ),
            (
                edit_of(&["api=-1"], &[], &[]),
                "--set \"api=-1\": weight must be zero or positive",
            ),
            (
                edit_of(&["farbe=1"], &[], &[]),
                "--set: no criterion \"farbe\"",
            ),
            (
                edit_of(&[], &["api=1"], &[]),
                "--add: criterion \"api\" exists already",
            ),
            (
                edit_of(&[], &["x"], &[]),
                "--add \"x\": use KEY=WEIGHT:LABEL",
            ),
        ] {
            assert_eq!(apply(default_criteria(), &e).unwrap_err().to_string(), text);
        }
    }

    #[test]
    fn the_sample_candidates_score_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        let c = edit(
            &n,
            &CriteriaEdit {
                set: vec!["api=5".into()],
                add: vec!["barrierefreiheit=10:Barrierefreiheit".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(n.store().criteria().unwrap(), c);
        assert_eq!(c.len(), 6);
        let e = edit(
            &n,
            &CriteriaEdit {
                remove: vec!["api".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("built-in"));
        assert_eq!(n.store().criteria().unwrap().len(), 6, "nothing stored");
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/samples/kandidaten.toml");
        let cands = super::super::read_candidates(&file).unwrap();
        let scored = super::super::score(&cands, &c, Lang::De);
        for ext in ["csv", "ods"] {
            let out = dir.path().join(format!("bewertung.{ext}"));
            super::super::export(&out, &scored, &c, Lang::De).unwrap();
            assert!(std::fs::metadata(&out).unwrap().len() > 100);
        }
        let csv = std::fs::read_to_string(dir.path().join("bewertung.csv")).unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("1,Open-Xchange im Landesrechenzentrum"),
            "{csv}"
        );
        let e = super::super::read_candidates(&dir.path().join("fehlt.toml")).unwrap_err();
        assert!(e.to_string().starts_with("reading "), "{e}");
        let reset = edit(
            &n,
            &CriteriaEdit {
                reset: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(reset, default_criteria());
    }
}
