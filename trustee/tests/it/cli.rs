use std::process::Command;

/// The binary, without language or data directory from the environment.
pub fn trustee() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sovbench-trustee"));
    c.env_remove("SOVBENCH_LANG")
        .env_remove("SOVBENCH_TRUSTEE_DATA");
    c
}

fn aggregator_key() -> String {
    let (id, _) = sovbench_core::envelope::Identity::generate().expect("key");
    sovbench_core::envelope::b64(id.public_key())
}

#[test]
fn help_explains_the_role_and_usage_errors_exit_with_2() {
    let out = trustee()
        .args(["--lang", "en", "--help"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("share of the trustee committee's key"),
        "{text}"
    );
    assert!(text.contains("not been independently audited"), "{text}");
    assert!(text.contains("Exit codes"), "{text}");
    // German by default.
    let out = trustee().arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Treuhändergremium"), "{text}");
    let out = trustee().arg("frobnicate").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = trustee()
        .args(["init", "--dir", "/nonexistent"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --aggregator is a usage error"
    );
}

#[test]
fn init_prints_the_key_and_status_shows_it_in_german_and_english() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    let d = dir.to_str().expect("utf-8");
    let key = aggregator_key();
    let out = trustee()
        .args([
            "init",
            "--dir",
            d,
            "--aggregator",
            "http://127.0.0.1:7700",
            "--aggregator-key",
            &key,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("Öffentlicher Schlüssel"), "{text}");
    let public = text.lines().nth(2).expect("key line").to_string();
    assert_eq!(
        sovbench_core::envelope::unb64(&public)
            .expect("base64")
            .len(),
        32
    );

    let out = trustee()
        .args(["status", "--dir", d])
        .output()
        .expect("run");
    let de = String::from_utf8_lossy(&out.stdout);
    assert!(de.contains(&public) && de.contains("noch keines"), "{de}");
    let out = trustee()
        .args(["status", "--dir", d, "--lang", "en", "--json"])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["public_key"], public.as_str());
    assert!(json["committee"].is_null());

    // A second init is refused with exit code 1 and a German message.
    let out = trustee()
        .args([
            "init",
            "--dir",
            d,
            "--aggregator",
            "http://127.0.0.1:7700",
            "--aggregator-key",
            &key,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bereits ein Treuhänder"), "{err}");
    // serve without a committee: English with --lang en.
    let out = trustee()
        .args(["serve", "--dir", d, "--lang", "en"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no committee yet"), "{err}");
}

/// `config aggregator-ca FILE` (old behaviour: no command, a hand edit of trustee.toml): a file
/// without a PEM certificate is refused in German naming the setting and the command, and the
/// German help of the new command and its argument is there.
#[test]
fn config_aggregator_ca_refuses_a_non_pem_file_and_sets_a_pem_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("t");
    let key = aggregator_key();
    let out = trustee()
        .arg("--dir")
        .arg(&d)
        .args([
            "--json",
            "init",
            "--aggregator",
            "https://agg.example:7443",
            "--aggregator-key",
            &key,
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let init: serde_json::Value = serde_json::from_slice(&out.stdout).expect("init --json");
    assert!(init["public_key"].is_string() && init["key_fingerprint"].is_string());
    let not_pem = tmp.path().join("ca.txt");
    std::fs::write(&not_pem, "kein Zertifikat").expect("write");
    let out = trustee()
        .arg("--dir")
        .arg(&d)
        .args(["config", "aggregator-ca"])
        .arg(&not_pem)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("aggregator_ca in trustee.toml")
            && err.contains("keine passende PEM-Datei")
            && err.contains("sovbench-trustee config aggregator-ca"),
        "{err}"
    );
    let pem = tmp.path().join("ca.pem");
    std::fs::write(
        &pem,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let out = trustee()
        .arg("--dir")
        .arg(&d)
        .args(["config", "aggregator-ca"])
        .arg(&pem)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gesetzt (aggregator_ca in trustee.toml)"),
        "{text}"
    );
    assert!(text.contains(pem.to_str().expect("utf-8")), "{text}");
    let toml = std::fs::read_to_string(d.join("trustee.toml")).expect("toml");
    assert!(toml.contains(pem.to_str().expect("utf-8")), "{toml}");
    let help = trustee()
        .args(["config", "aggregator-ca", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Das CA-Zertifikat (PEM)"), "{help}");
}
