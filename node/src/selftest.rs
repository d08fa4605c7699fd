//! The sovereignty self-test on the node: recording one ([`record`]) with the node's clock, its
//! history ([`history`]), and reading the answers from a TOML or JSON file
//! ([`read_assessment_file`]; every problem names the dimension). The dimensions, statements and
//! bands are in [`sovbench_core::selftest`].

use std::path::{Path, PathBuf};

use sovbench_core::selftest::{Assessment, AssessmentError};

use crate::error::NodeError;
use crate::model::AssessmentRecord;
use crate::node::Node;

/// A self-test file that cannot be used; nothing is stored.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentFileError {
    /// The file could not be read.
    #[error("reading {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not what its extension says.
    #[error("{} is not {expected}: {reason}", .path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// "a JSON object" or "valid TOML".
        expected: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// An answer is not a whole number.
    #[error("{}: dimension {key} must be a whole number from 1 to 5", .path.display())]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The dimension's key as written.
        key: String,
    },
    /// The answers are not a valid self-test.
    #[error("{}: {source}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: AssessmentError,
    },
}

/// Records a self-test (validated already by [`Assessment`]) at the node's current time.
pub fn record(node: &Node, a: Assessment) -> Result<AssessmentRecord, NodeError> {
    let micros = u64::try_from(node.now())
        .unwrap_or(0)
        .saturating_mul(1_000_000);
    let rec = AssessmentRecord {
        recorded_at_micros: micros,
        scores: a.scores(),
    };
    node.store().add_assessment(&rec)?;
    Ok(rec)
}

/// Every stored self-test with its validated answers, oldest first.
pub fn history(node: &Node) -> Result<Vec<(AssessmentRecord, Assessment)>, NodeError> {
    Ok(node
        .store()
        .assessments()?
        .into_iter()
        .filter_map(|r| r.assessment().map(|a| (r, a)))
        .collect())
}

/// Reads a self-test from a TOML or JSON file (by extension) with the keys `datenhoheit`,
/// `technologische_unabhaengigkeit`, `it_kompetenz`, `offene_standards`, `governance_exit`.
pub fn read_assessment_file(path: &Path) -> Result<Assessment, AssessmentFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| AssessmentFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let syntax = |expected: &'static str, reason: String| AssessmentFileError::Syntax {
        path: path.to_path_buf(),
        expected,
        reason,
    };
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let pairs: Vec<(String, Option<i64>)> = if is_json {
        let v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| syntax("a JSON object", e.to_string()))?;
        v.into_iter().map(|(k, v)| (k, v.as_i64())).collect()
    } else {
        let v: toml::Table =
            toml::from_str(&text).map_err(|e| syntax("valid TOML", e.to_string()))?;
        v.into_iter().map(|(k, v)| (k, v.as_integer())).collect()
    };
    let mut answers = Vec::new();
    for (k, v) in &pairs {
        match v {
            Some(n) => answers.push((k.as_str(), *n)),
            None => {
                return Err(AssessmentFileError::NotANumber {
                    path: path.to_path_buf(),
                    key: k.clone(),
                })
            }
        }
    }
    Assessment::from_answers(answers).map_err(|source| AssessmentFileError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::clock::TestClock;

    #[test]
    fn sample_assessment_file_in_docs_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/selbsttest.toml");
        let a = read_assessment_file(&path).unwrap();
        assert_eq!(a.scores(), [2, 2, 3, 3, 1]);
        assert_eq!(a.total(), 11);
    }

    #[test]
    fn broken_assessment_files_name_the_dimension_and_store_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("a.toml");
        std::fs::write(&toml_path, "datenhoheit = 2\ntechnologische_unabhaengigkeit = 7\nit_kompetenz = 1\noffene_standards = 1\ngovernance_exit = 1\n").unwrap();
        let e = read_assessment_file(&toml_path).unwrap_err().to_string();
        assert!(
            e.contains("technologische_unabhaengigkeit") && e.contains("got 7"),
            "{e}"
        );
        let json_path = dir.path().join("a.json");
        std::fs::write(&json_path, r#"{"datenhoheit": 2, "it_kompetenz": "viel"}"#).unwrap();
        let e = read_assessment_file(&json_path).unwrap_err().to_string();
        assert!(e.contains("it_kompetenz"), "{e}");
        std::fs::write(&json_path, r#"{"datenhoheit": 2}"#).unwrap();
        let e = read_assessment_file(&json_path).unwrap_err().to_string();
        assert!(e.contains("has no answer"), "{e}");
        let e = read_assessment_file(&dir.path().join("fehlt.toml")).unwrap_err();
        assert!(e.to_string().starts_with("reading "), "{e}");
    }

    #[test]
    fn recorded_self_tests_carry_the_node_clock_and_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let n = crate::node::testing::node(dir.path());
        let (handle, clock) = TestClock::shared(1_790_000_000);
        drop(n);
        let n = Node::open_with_clock(dir.path(), clock).unwrap();
        let a = Assessment::from_scores([1, 2, 3, 4, 5]).unwrap();
        let b = Assessment::from_scores([5, 4, 3, 2, 1]).unwrap();
        assert_eq!(record(&n, a).unwrap().recorded_at(), 1_790_000_000);
        // Same second: both kept, in the order recorded.
        record(&n, b).unwrap();
        handle.advance(60);
        record(&n, a).unwrap();
        let h = history(&n).unwrap();
        let got: Vec<(i64, [u8; 5])> = h
            .iter()
            .map(|(r, a)| (r.recorded_at(), a.scores()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1_790_000_000, [1, 2, 3, 4, 5]),
                (1_790_000_000, [5, 4, 3, 2, 1]),
                (1_790_000_060, [1, 2, 3, 4, 5])
            ]
        );
    }
}
