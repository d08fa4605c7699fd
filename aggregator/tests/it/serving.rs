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

/// A CA and a server certificate for `names` signed by it, written to `dir`: (CA file,
/// certificate file, key file).
fn tls_files(dir: &std::path::Path, names: &[&str]) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Verbund-CA Nord");
    let ca_cert = ca.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("key");
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let leaf = CertificateParams::new(names)
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("leaf");
    let path = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("path").to_string()
    };
    (
        path("ca.pem", ca_cert.pem()),
        path("server.pem", leaf.pem()),
        path("server.key", key.serialize_pem()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_reach_a_tls_server_with_nothing_but_the_data_directory() {
    // The server's certificate names only a DNS name, as in the README: `serve.addr` says
    // https://127.0.0.1:…, which that certificate cannot match. On the serving host the command
    // line goes through the local socket admin.sock instead, with no address, CA or flag.
    let (tmp, dir) = init();
    let (ca, cert, key) = tls_files(tmp.path(), &["agg.verbund-nord.example"]);
    let srv = Serving::start_with(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(srv.url.starts_with("https://127.0.0.1:"), "{}", srv.url);
    let socket = dir.join("admin.sock");
    // Bound when the gRPC server starts, just after the "serving" line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&socket)
        .expect("admin.sock")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "admin.sock mode {mode:o}");
    let mut slowest = std::time::Duration::ZERO;
    for i in 0..5 {
        let id = Identity::generate().expect("key").0;
        let started = std::time::Instant::now();
        let out = enrol(&dir, &id, &format!("Gemeinde {i}"), 8_000);
        slowest = slowest.max(started.elapsed());
        assert!(out.starts_with("Enrolled: Gemeinde"), "{out}");
    }
    let started = std::time::Instant::now();
    let out = cli_ok(&dir, &["status"]);
    slowest = slowest.max(started.elapsed());
    assert!(out.contains("5"), "{out}");
    // The target is 200 ms with a release build (docs/BENCHMARKS.md); a debug build under a
    // loaded CI machine gets room, but not the 2 s of waiting for the store's lock that every
    // command took before.
    assert!(
        slowest < std::time::Duration::from_millis(1_500),
        "slowest operator command took {slowest:?}"
    );
    eprintln!("slowest operator command through admin.sock: {slowest:?}");

    // From another host: --admin names the server, --admin-ca the CA, --aggregator-key the key
    // the request is bound to (the operator key file is all that host has). The certificate's
    // name must match the address, so a server certificate for localhost here.
    let out = cli(&dir, &["--admin", &srv.url, "round", "list"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an address the certificate does not name"
    );
    drop(srv);
    let (ca, cert, key) = {
        let _ = ca;
        tls_files(tmp.path(), &["localhost"])
    };
    let srv = Serving::start_with(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    let port = srv.url.rsplit(':').next().expect("port").to_string();
    let remote = format!("https://localhost:{port}");
    let agg_key = cli_ok(&dir, &["--json", "key"]);
    let agg_key: serde_json::Value = serde_json::from_str(&agg_key).expect("key JSON");
    let agg_key = agg_key["public_key"]
        .as_str()
        .expect("public_key")
        .to_string();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    let key_file = dir.join("aggregator.key");
    let key_file = key_file.to_str().expect("path");
    let out = cli_ok(
        &elsewhere,
        &[
            "--admin",
            &remote,
            "--admin-ca",
            &ca,
            "--operator-key",
            key_file,
            "--aggregator-key",
            &agg_key,
            "status",
        ],
    );
    assert!(out.contains("5"), "{out}");
    // Without --admin-ca the system's CAs do not know the consortium's CA.
    let out = cli(
        &elsewhere,
        &[
            "--admin",
            &remote,
            "--operator-key",
            key_file,
            "--aggregator-key",
            &agg_key,
            "status",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // A request bound to another aggregator's key is refused by this one.
    let other = b64(Identity::generate().expect("key").0.public_key());
    let out = cli(
        &elsewhere,
        &[
            "--admin",
            &remote,
            "--admin-ca",
            &ca,
            "--operator-key",
            key_file,
            "--aggregator-key",
            &other,
            "status",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("meant for aggregator"), "{err}");
    assert!(srv.stop().success());
    assert!(
        !dir.join("admin.sock").exists(),
        "admin.sock removed on a clean stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_under_a_1024_descriptor_limit_do_not_stop_commits() {
    // Before: no connection limit, no idle timeout; 1,135 connections that sent only the HTTP/2
    // preface took every descriptor, and every group commit failed with "Too many open files".
    let (_tmp, dir) = init();
    let ids: Vec<Identity> = (0..40).map(|_| Identity::generate().unwrap().0).collect();
    for (i, id) in ids.iter().enumerate() {
        enrol(&dir, id, &format!("Gemeinde {i}"), 8_000);
    }
    cli_ok(
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
            "10",
            "--closes-in",
            "1h",
        ],
    );
    let srv = Serving::start_limited(&dir, 1_024, &[]);
    let addr = srv.url.trim_start_matches("http://").to_string();
    // 2,000 connections that send the HTTP/2 preface and then nothing.
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        use std::io::Write as _;
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            idle.push(s);
        }
    }
    assert!(idle.len() >= 1_500, "{} connections", idle.len());
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    // Every honest submission is committed and acknowledged.
    for id in &ids {
        crate::harness::submit(&srv.url, id)
            .await
            .expect("submission acknowledged beside 2,000 idle connections");
    }
    let lines = srv.log_lines_at_least("submission accepted", ids.len());
    assert_eq!(lines.len(), ids.len());
    assert!(srv
        .log_lines("group commit failed; nobody of the group is acknowledged")
        .is_empty());
    let limit = srv.log_lines("connection limits");
    assert!(limit.iter().any(|l| l.contains("\"max\":896")), "{limit:?}");
    drop(idle);
    let out = cli_ok(&dir, &["status"]);
    assert!(out.contains("40"), "{out}");
    assert!(srv.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_unauthenticated_8_mib_trustee_messages_stay_under_300_mib() {
    // Before: every junk request was read in full before its signature could be refused; 200
    // clients took the server to 1.76 GB. Now at most 4 trustee requests are read at once, and
    // a waiting one holds at most a connection's HTTP/2 window.
    let (_tmp, dir) = init();
    let srv = Serving::start(&dir);
    let before = srv.memory_kib("VmRSS");
    let junk = Identity::generate().expect("key").0;
    let mut msg = junk.seal(sovbench_core::pb::payload::Body::TrusteeQuery(
        Default::default(),
    ));
    msg.payload = vec![7u8; sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES - 4 * 1024];
    let msg = std::sync::Arc::new(msg);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (url, msg) = (srv.url.clone(), msg.clone());
        tasks.spawn(async move {
            let channel = tonic::transport::Endpoint::from_shared(url)
                .expect("url")
                .connect()
                .await
                .expect("connect");
            let mut c = sovbench_core::pb::trustee_desk_client::TrusteeDeskClient::new(channel)
                .max_encoding_message_size(16 * 1024 * 1024);
            c.post_noise((*msg).clone()).await.map(|_| ())
        });
    }
    let mut refused = 0;
    while let Some(r) = tasks.join_next().await {
        if let Err(status) = r.expect("task") {
            assert_ne!(status.code(), Code::Ok);
            refused += 1;
        }
    }
    assert_eq!(refused, 200, "every junk message is refused");
    let peak = srv.memory_kib("VmHWM");
    eprintln!(
        "aggregator memory: {} MiB at rest, peak {} MiB under 200 × 8 MiB",
        before / 1024,
        peak / 1024
    );
    assert!(
        peak < 300 * 1024,
        "peak resident memory {} MiB",
        peak / 1024
    );
    assert!(srv.stop().success());
}
