//! The `sovbench-node` binary without an aggregator: every command that works offline succeeds,
//! prints JSON under `--json` (parsed here), and the commands that need the aggregator fail with
//! exit code 1 and a message that says what is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples")
}

pub(crate) fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovbench-node"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("SOVBENCH_LANG")
        .output()
        .expect("run sovbench-node")
}

/// Runs a command with `--json`; it must succeed and print one JSON document.
pub(crate) fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(data, &all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout:?}"))
}

#[test]
fn every_offline_command_prints_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("amt");
    let s = samples();
    let file = |name: &str| s.join(name).display().to_string();
    let out = |name: &str| tmp.path().join(name).display().to_string();
    let init = json(
        &d,
        &[
            "init",
            "--name",
            "Stadt Beispiel",
            "--kind",
            "stadt",
            "--state",
            "DE-NW",
            "--population",
            "45000",
        ],
    );
    assert_eq!(init["profile"]["name"], "Stadt Beispiel");
    assert_eq!(init["cohorts"][0], "all");
    let a = json(&d, &["assess", "--file", &file("selbsttest.toml")]);
    assert_eq!(a["total"], 11);
    assert_eq!(json(&d, &["assess", "--history"])[0]["scores"][0], 2);
    assert_eq!(json(&d, &["status"])["budget"]["spent"], 0.0);
    let report = out("datenschutz.md");
    let p = json(&d, &["privacy", "--report", &report]);
    assert_eq!(p["budget"]["rounds"], 0);
    assert_eq!(p["budget"]["window_days"], 365);
    assert_eq!(p["years"].as_array().map(Vec::len), Some(0));
    assert!(std::fs::read_to_string(&report)
        .expect("report")
        .contains("Datenschutzbericht"));
    let imported = json(&d, &["inventory", "import", &file("inventar.csv")]);
    assert_eq!(imported["imported"], 60);
    assert_eq!(
        json(&d, &["inventory", "list"]).as_array().map(Vec::len),
        Some(60)
    );
    let added = json(
        &d,
        &[
            "inventory",
            "add",
            "Video",
            "--category",
            "videokonferenzen",
            "--jurisdiction",
            "us",
            "--hosting",
            "eu_cloud",
            "--licence",
            "proprietaer",
            "--api",
            "ja",
            "--exit-clause",
            "nein",
            "--relevance",
            "hoch",
            "--users",
            "300",
        ],
    );
    assert_eq!(added["system"]["name"], "Video");
    assert!(added["risk"]["score"].is_number());
    json(&d, &["inventory", "edit", "Video", "--exit-clause", "ja"]);
    json(&d, &["inventory", "show", "Video"]);
    let exit = json(
        &d,
        &[
            "inventory",
            "exit",
            "Video",
            "--alternatives",
            "BigBlueButton",
            "--months",
            "6",
        ],
    );
    assert_eq!(exit["system"]["exit"]["switch_months"], 6);
    assert!(json(&d, &["inventory", "risks"]).is_array());
    assert!(json(&d, &["inventory", "alternatives", "--category", "crm"]).is_array());
    let exported = json(&d, &["inventory", "export", &out("inventar.ods")]);
    assert_eq!(exported["exported"], 61);
    assert_eq!(
        json(&d, &["inventory", "remove", "Video"])["removed"],
        "Video"
    );
    let m = json(
        &d,
        &[
            "migration",
            "add",
            "--category",
            "videokonferenzen",
            "--from",
            "Teams",
            "--to",
            "BigBlueButton",
            "--date",
            "2026-01-15",
        ],
    );
    let id = m["id"].as_str().expect("id").to_string();
    assert_eq!(
        json(&d, &["migration", "advance", &id, "--to", "pilot"])["stage"],
        "pilot"
    );
    assert_eq!(
        json(&d, &["migration", "rollback", &id])["stage"],
        "zurueckgerollt"
    );
    assert_eq!(
        json(&d, &["migration", "list"]).as_array().map(Vec::len),
        Some(1)
    );
    json(&d, &["migration", "show", &id]);
    let r = json(&d, &["readiness"]);
    assert_eq!(r["result"]["systems"], 60);
    assert!(r["changes"].is_null());
    assert!(!json(&d, &["readiness"])["changes"].is_null());
    let c = json(&d, &["procurement", "criteria", "--set", "api=5"]);
    assert_eq!(c.as_array().map(Vec::len), Some(5));
    let scored = json(&d, &["procurement", "score", &file("kandidaten.toml")]);
    assert_eq!(scored[0]["rank"], 1);
    let html = out("bericht.html");
    assert_eq!(
        json(&d, &["report", "--output", &html])["report"],
        html.as_str()
    );
    assert_eq!(json(&d, &["peers"])["paths"], serde_json::json!([]));
    assert_eq!(
        json(&d, &["peers", "offers"])["offers"],
        serde_json::json!([])
    );
}

#[test]
fn text_output_and_exit_codes_without_an_aggregator() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("amt");
    let out = run(&d, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sovbench-node init"));
    let out = run(
        &d,
        &[
            "--lang",
            "en",
            "init",
            "--name",
            "Amt",
            "--kind",
            "gemeinde",
            "--state",
            "DE-SH",
            "--population",
            "4000",
        ],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Node created in"));
    let out = run(&d, &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Datenschutzbudget der letzten 365 Tage")
            && text.contains("ε 0.000 / 4.000 verbraucht in 0 Runden"),
        "{text}"
    );
    for cmd in ["submit", "compare"] {
        let out = run(&d, &[cmd]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("aggregator_url is not set"), "{cmd}: {err}");
    }
    let out = run(&d, &["readiness"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the inventory is empty"));
}

#[test]
fn the_committee_is_pinned_at_init_or_later_and_a_bad_fingerprint_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("amt");
    let fp = "5a".repeat(32);
    json(
        &d,
        &[
            "init",
            "--name",
            "Stadt Beispiel",
            "--kind",
            "stadt",
            "--state",
            "DE-NW",
            "--population",
            "45000",
            "--committee-fingerprint",
            &fp,
        ],
    );
    assert_eq!(json(&d, &["status"])["committee_fingerprint"], fp.as_str());
    let other = "a5".repeat(32);
    let set = json(&d, &["config", "committee", &other]);
    assert_eq!(set["committee_fingerprint"], other.as_str());
    assert_eq!(set["previous"], fp.as_str());
    assert_eq!(
        json(&d, &["status"])["committee_fingerprint"],
        other.as_str()
    );
    let out = run(&d, &["config", "committee", "abc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));
    assert_eq!(
        json(&d, &["status"])["committee_fingerprint"],
        other.as_str()
    );
}
