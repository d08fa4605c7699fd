use std::process::Command;

/// `sovbench-bench hosted` with five administrations, three people and the secure round: every
/// phase runs and reports what it measured.
#[test]
fn the_hosted_bench_runs_at_a_tiny_scale() {
    let out = Command::new(env!("CARGO_BIN_EXE_sovbench-bench"))
        .args([
            "--json",
            "hosted",
            "--tenants",
            "5",
            "--users",
            "3",
            "--requests",
            "5",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(t["tenants"], 5);
    assert_eq!(t["users"], 3);
    assert_eq!(t["login"]["count"], 3);
    assert_eq!(t["pages"]["count"], 15);
    for page in ["/", "/selftest", "/inventory", "/privacy", "/rounds"] {
        assert!(
            t["per_page"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x[0] == page && x[1]["count"] == 3)),
            "{page}: {}",
            t["per_page"]
        );
    }
    assert!(
        t["rest"]["rss_mib"].as_f64().is_some_and(|m| m > 1.0),
        "{t}"
    );
    assert_eq!(t["secure"]["delivered"], 5, "{t}");
}
