//! What a real `serve` process warns about as it starts (issue 19): an expired TLS certificate
//! (also in the metrics and in `status`) and a data directory that other accounts could read
//! (made private).

use std::path::Path;

use crate::harness::{cli, init, Serving};

/// A self-signed certificate for localhost that expired on 1 January 2021: (cert, key) files.
fn expired_certificate(dir: &Path) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("params");
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).expect("certificate");
    let (c, k) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&c, cert.pem()).expect("write cert");
    std::fs::write(&k, key.serialize_pem()).expect("write key");
    (
        c.to_str().expect("path").to_string(),
        k.to_str().expect("path").to_string(),
    )
}

#[test]
fn an_expired_certificate_is_warned_about_and_exposed_in_the_metrics() {
    let (tmp, dir) = init();
    let (cert, key) = expired_certificate(tmp.path());
    let srv = Serving::start_with(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(srv.url.starts_with("https://"), "{}", srv.url);
    // A warning naming the file and the expiry date, in English and German.
    let warned = srv.log_lines_with("WARN", "EXPIRED at 2021-01-01");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("server.pem"), "{}", warned[0]);
    assert!(
        warned[0].contains("ABGELAUFEN am 2021-01-01"),
        "{}",
        warned[0]
    );
    // The metrics say so.
    let (_, body) = srv.http_get("/metrics");
    assert!(
        body.contains("\nsovbench_tls_certificate_expired 1\n"),
        "{body}"
    );
    let seconds: i64 = body
        .lines()
        .find_map(|l| l.strip_prefix("sovbench_tls_certificate_expiry_seconds "))
        .expect("expiry gauge")
        .parse()
        .expect("a number");
    assert!(seconds < -365 * 86_400, "{seconds}");
    // And `status` on the command line, through the admin API on the local socket admin.sock
    // (no TLS there, so neither the self-signed issuer nor the expiry stops it).
    let out = cli(&dir, &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("TLS certificate") && text.contains("EXPIRED at 2021-01-01"),
        "{text}"
    );
    assert_eq!(srv.stop().code(), Some(0));
    assert!(!dir.join("admin.sock").exists(), "removed on a clean exit");
}

#[cfg(unix)]
#[test]
fn a_data_directory_others_can_read_is_warned_about_and_made_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let (_tmp, dir) = init();
    assert_eq!(mode(&dir), 0o700, "init makes it private");
    assert_eq!(mode(&dir.join("aggregator.key")), 0o600);
    // An operator (or a restore from a backup) loosens it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(dir.join("store/db"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let srv = Serving::start(&dir);
    // One warning per entry, each naming it, its old mode and what it is now, in both languages.
    let dir_line = srv.log_lines_with("WARN", "\"message\":\"the data directory was accessible");
    assert_eq!(dir_line.len(), 1, "{dir_line:?}");
    assert!(
        dir_line[0].contains("(mode 0755); now 0700")
            && dir_line[0].contains("Datenverzeichnis war"),
        "{}",
        dir_line[0]
    );
    let file_line = srv.log_lines_with("WARN", "store/db");
    assert_eq!(file_line.len(), 1, "{file_line:?}");
    assert!(
        file_line[0].contains("(mode 0644); now 0600")
            && file_line[0].contains("für andere Konten zugänglich"),
        "{}",
        file_line[0]
    );
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("store/db")), 0o600);
    // SIGTERM within milliseconds of "serving" (it was lost before the handlers were registered
    // up front).
    assert_eq!(srv.stop().code(), Some(0));
}
