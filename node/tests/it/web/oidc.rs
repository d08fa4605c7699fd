//! Log-in through the identity provider, as far as it goes without one (the whole flow against a
//! real provider: tests/oidc/run.sh): the button, the refusals, the provider out of reach.

use sovbench_node::{InitOptions, Node};

use super::Workplace;

/// A workplace whose `[oidc]` names a provider at `issuer`.
async fn with_provider(issuer: &str) -> Workplace {
    Workplace::serve(node_with_provider(issuer)).await
}

/// A node whose `[oidc]` names a provider at `issuer`, with its secret file.
fn node_with_provider(issuer: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = Node::init(
        dir.path(),
        InitOptions {
            name: "Gemeinde Prüfstadt".into(),
            kind: "gemeinde".into(),
            state: "DE-BY".into(),
            size: 4_200,
            aggregator_url: None,
            aggregator_key: None,
            policy: None,
            committee_fingerprint: None,
        },
    )
    .expect("init");
    drop(node);
    let secret = dir.path().join("oidc-secret");
    std::fs::write(&secret, "geheim\n").expect("secret");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("mode");
    let toml = dir.path().join("node.toml");
    let mut text = std::fs::read_to_string(&toml).expect("node.toml");
    text.push_str(&format!(
        "\n[oidc]\nissuer = \"{issuer}\"\nname = \"Test-IdP\"\nclient_id = \"sovbench\"\n\
         client_secret_file = \"oidc-secret\"\n\
         redirect_url = \"http://127.0.0.1:9/oidc/callback\"\n\
         [oidc.roles]\n\"sovbench-editor\" = \"editor\"\n"
    ));
    std::fs::write(&toml, text).expect("node.toml");
    dir
}

#[tokio::test]
async fn without_a_provider_there_is_no_button_and_no_route() {
    let w = Workplace::start().await;
    let mut b = w.browser();
    let page = b.get("/login").await;
    page.expect(200);
    assert!(!page.body.contains("oidc-login"), "{}", page.body);
    b.get("/oidc/login").await.expect(404);
    b.get("/oidc/callback?state=x&code=y").await.expect(404);
}

#[tokio::test]
async fn the_button_the_refused_answers_and_a_provider_out_of_reach() {
    // Port 1 of the loopback interface: nothing listens, the connection is refused at once.
    let w = with_provider("http://127.0.0.1:1/realms/test").await;
    let mut b = w.browser();
    b.get("/login?next=/selftest")
        .await
        .expect(200)
        .contains("Anmelden über Test-IdP")
        .contains("/oidc/login?next=%2Fselftest");
    b.get("/oidc/login?next=/selftest")
        .await
        .expect(502)
        .contains("Test-IdP");
    // An answer without a pending log-in, or with a state other than the browser's cookie.
    b.get("/oidc/callback?state=abc&code=def")
        .await
        .expect(400)
        .contains("abgelaufen");
    b.cookies.insert("sovbench_oidc".into(), "abc".into());
    b.get("/oidc/callback?state=abd&code=def").await.expect(400);
    b.get("/oidc/callback?state=abc&code=def").await.expect(400);
    assert_eq!(w.site.oidc().map(|o| o.pending_count()), Some(0));
    // No session came of it.
    assert_eq!(b.get("/").await.status, 303);
}

#[test]
fn a_secret_file_others_may_read_stops_the_workplace() {
    let dir = node_with_provider("http://127.0.0.1:1");
    use std::os::unix::fs::PermissionsExt as _;
    let secret = dir.path().join("oidc-secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("mode");
    let clock = sovbench_core::clock::SystemClock::shared();
    let err = sovbench_node::web::Site::new(dir.path(), clock, false).expect_err("refused");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("mode");
    let clock = sovbench_core::clock::SystemClock::shared();
    assert!(sovbench_node::web::Site::new(dir.path(), clock, false).is_ok());
}
