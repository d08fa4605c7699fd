//! Operator commands while `serve` runs as a real process (issue 12): the command line finds
//! the server through `serve.addr` and goes through the signed admin API, so enrol, round open
//! (with the sizing preview), round list and status work without stopping it; gRPC health
//! answers SERVING; the metrics scrape counts submissions; SIGTERM ends it cleanly.

use sovbench_core::envelope::{b64, Identity};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::harness::{cli, cli_ok, enrol, init, submit, Serving};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_work_beside_a_serving_process() {
    let (tmp, dir) = init();
    // A second operator with a key of its own, listed in operators.toml before serve starts.
    let op_key = tmp.path().join("betrieb.key");
    let op = Identity::create_file(&op_key).expect("operator key");
    std::fs::write(
        dir.join("operators.toml"),
        format!(
            "[[operator]]\nname = \"Betrieb LRZ\"\nkey = \"{}\"\n",
            b64(op.public_key())
        ),
    )
    .expect("operators.toml");
    let srv = Serving::start(&dir);
    assert!(srv.url.starts_with("http://127.0.0.1:"), "{}", srv.url);
    let op_key = op_key.to_str().expect("path");
    let out = cli_ok(&dir, &["--operator-key", op_key, "status"]);
    assert!(out.contains("No round is open."), "{out}");
    // A key that is not listed is refused, and the error names the key file.
    let stranger_key = tmp.path().join("fremd.key");
    Identity::create_file(&stranger_key).expect("key");
    let stranger_key = stranger_key.to_str().expect("path");
    let out = cli(&dir, &["--operator-key", stranger_key, "round", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an operator key") && err.contains("fremd.key"),
        "{err}"
    );
    // --admin names the server explicitly.
    let out = cli_ok(&dir, &["--admin", &srv.url, "round", "list"]);
    assert_eq!(out, "");
    let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap().0).collect();
    for (i, id) in ids.iter().enumerate() {
        let out = enrol(&dir, id, &format!("Gemeinde {i}"), 8_000);
        assert!(out.starts_with("Enrolled: Gemeinde"), "{out}");
    }
    // Re-enrolling with other attributes is refused without --update, and names the flag.
    let key0 = b64(ids[0].public_key());
    let moved = [
        "enrol",
        "--key",
        &key0,
        "--name",
        "Gemeinde 0",
        "--kind",
        "stadt",
        "--state",
        "DE-SH",
        "--population",
        "30000",
    ];
    let out = cli(&dir, &moved);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--update"), "{err}");
    let mut update = moved.to_vec();
    update.push("--update");
    let out = cli_ok(&dir, &update);
    assert!(out.starts_with("Changed:"), "{out}");
    let out = cli_ok(&dir, &["enrol", "--list"]);
    assert!(out.contains("stadt"), "{out}");

    // The sizing preview for a tiny consortium at epsilon 3 warns twice and opens nothing.
    let out = cli_ok(
        &dir,
        &["round", "open", "r1", "--epsilon", "3", "--dry-run"],
    );
    assert!(out.contains("Preview per cohort"), "{out}");
    assert!(out.contains("epsilon per round 3 > 2"), "{out}");
    assert!(out.contains("expected to be empty"), "{out}");
    assert_eq!(
        cli_ok(&dir, &["round", "list"]),
        "",
        "a dry run opens nothing"
    );

    let out = cli_ok(
        &dir,
        &[
            "round",
            "open",
            "r1",
            "--epsilon",
            "1",
            "--releases-per-node",
            "1",
            "--min-cohort",
            "2",
            "--closes-in",
            "1h",
        ],
    );
    assert!(out.contains("Round opened: r1"), "{out}");
    let list = cli_ok(&dir, &["round", "list"]);
    assert!(list.starts_with("r1") && list.contains(" open "), "{list}");

    submit(&srv.url, &ids[1]).await.expect("accepted");
    let status = cli_ok(&dir, &["status"]);
    assert!(status.contains("Open round r1"), "{status}");
    assert!(
        status.contains("Enrolments: 3 active, 0 revoked"),
        "{status}"
    );
    let st: serde_json::Value =
        serde_json::from_str(&cli_ok(&dir, &["--json", "status"])).expect("json");
    let part = |cohort: &str| {
        st["participation"]
            .as_array()
            .expect("participation")
            .iter()
            .find(|p| p["cohort"] == cohort)
            .map(|p| (p["submitted"].as_u64(), p["enrolled"].as_u64()))
    };
    assert_eq!(part("all"), Some((Some(1), Some(3))), "{st}");
    assert_eq!(part("kind=gemeinde"), Some((Some(1), Some(2))), "{st}");
    assert_eq!(part("kind=stadt"), Some((Some(0), Some(1))), "{st}");

    // Revoked through the command line while serving: the key's next submission is refused.
    let out = cli_ok(&dir, &["enrol", "--revoke", &b64(ids[2].public_key())]);
    assert!(out.starts_with("Revoked:"), "{out}");
    let refused = submit(&srv.url, &ids[2]).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // One log line per accepted or refused submission, without values; one per admin command.
    let accepted = srv.log_lines_at_least("submission accepted", 1);
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert!(accepted[0].contains("\"round\":\"r1\""), "{}", accepted[0]);
    assert!(!accepted[0].contains("value"), "{}", accepted[0]);
    assert_eq!(srv.log_lines_at_least("submission refused", 1).len(), 1);
    assert!(srv.log_lines_at_least("admin command done", 10).len() >= 10);

    // SIGTERM: exit 0, serve.addr removed, and the command line opens the store itself.
    let status = srv.stop();
    assert_eq!(status.code(), Some(0));
    assert!(!dir.join("serve.addr").exists());
    let list = cli_ok(&dir, &["round", "list"]);
    assert!(
        list.contains("r1") && list.contains("1 submissions"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_of_a_serving_process() {
    let (_tmp, dir) = init();
    let srv = Serving::start(&dir);

    let channel = tonic::transport::Endpoint::from_shared(srv.url.clone())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut health = HealthClient::new(channel);
    for service in ["", "sovbench.v1.Aggregator", "sovbench.v1.Admin"] {
        let r = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|s| panic!("health of {service:?}: {s:?}"))
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let (head, body) = srv.http_get_head("/metrics");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    // A browser must not guess HTML in the text.
    assert!(
        head.contains("\r\nX-Content-Type-Options: nosniff"),
        "{head}"
    );
    assert!(
        body.contains("# TYPE sovbench_submissions_total counter"),
        "{body}"
    );
    assert!(
        body.contains("sovbench_submissions_total{status=\"accepted\"} 0"),
        "{body}"
    );
    assert!(body.contains("sovbench_rounds{state=\"open\"} 0"), "{body}");

    let member = Identity::generate().unwrap().0;
    enrol(&dir, &member, "Gemeinde", 8_000);
    cli_ok(
        &dir,
        &[
            "round",
            "open",
            "m1",
            "--releases-per-node",
            "1",
            "--min-cohort",
            "2",
        ],
    );
    submit(&srv.url, &member).await.expect("accepted");
    let stranger = Identity::generate().unwrap().0;
    let refused = submit(&srv.url, &stranger).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    let (_, body) = srv.http_get("/metrics");
    for expected in [
        "sovbench_submissions_total{status=\"accepted\"} 1",
        "sovbench_submissions_total{status=\"unauthenticated\"} 1",
        "sovbench_submission_commit_seconds_count 1",
        "sovbench_submission_commit_seconds_bucket{le=\"+Inf\"} 1",
        "sovbench_rounds{state=\"open\"} 1",
        "sovbench_enrolments{state=\"active\"} 1",
        "sovbench_peer_offers 0",
    ] {
        assert!(body.contains(expected), "{expected} missing in\n{body}");
    }
    let (head, _) = srv.http_get_head("/other");
    assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
    assert!(
        head.contains("\r\nX-Content-Type-Options: nosniff"),
        "{head}"
    );
    assert_eq!(srv.stop().code(), Some(0));
}
