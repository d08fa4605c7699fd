//! Log-in, sessions, roles and CSRF of the workplace.

use sovbench_node::people::Role;
use sovbench_node::web::ROUTES;

use super::{Workplace, PASSWORD};

#[tokio::test]
async fn every_page_needs_a_session_and_every_form_a_csrf_token() {
    let w = Workplace::start().await;
    let mut anon = w.browser();
    for (method, path) in ROUTES {
        // Log-in pages are public by nature (the identity provider's too).
        if path.starts_with("/login") || path.starts_with("/oidc/") || path.starts_with("/static") {
            continue;
        }
        let a = match *method {
            "GET" => anon.get(path).await,
            _ => anon.post_raw(path, &[]).await,
        };
        assert_eq!(
            a.status, 303,
            "{method} {path} without a session: {}",
            a.body
        );
        assert!(
            a.header("location")
                .unwrap_or_default()
                .starts_with("/login"),
            "{method} {path}"
        );
    }
    let mut approver = w.login(Role::Approver).await;
    approver.get("/").await.expect(200);
    for (method, path) in ROUTES
        .iter()
        .filter(|(m, p)| *m == "POST" && !p.starts_with("/login"))
    {
        let missing = approver.post_raw(path, &[]).await;
        assert_eq!(
            missing.status, 403,
            "{method} {path} without a token: {}",
            missing.body
        );
        let wrong = approver.post_raw(path, &[("csrf", "00ff")]).await;
        assert_eq!(wrong.status, 403, "{method} {path} with a wrong token");
    }
    // The session survived the refused forms.
    approver.get("/").await.expect(200);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_too_many_block_the_name() {
    let w = Workplace::start().await;
    let mut b = w.browser();
    b.get("/login").await;
    let a = b
        .post(
            "/login",
            &[("name", "editor"), ("password", "falsch-falsch-falsch")],
        )
        .await;
    a.expect(401).contains("stimmt nicht");
    for _ in 0..5 {
        b.post(
            "/login",
            &[("name", "editor"), ("password", "falsch-falsch-falsch")],
        )
        .await;
    }
    let blocked = b
        .post("/login", &[("name", "editor"), ("password", PASSWORD)])
        .await;
    blocked.expect(401).contains("Zu viele");
    // Another name from the same address still works.
    let mut other = w.browser();
    other.login("reader", PASSWORD).await;
}

#[tokio::test]
async fn the_login_form_needs_its_token() {
    let w = Workplace::start().await;
    let mut b = w.browser();
    b.get("/login").await;
    let a = b
        .post_raw("/login", &[("name", "editor"), ("password", PASSWORD)])
        .await;
    a.expect(403);
}

#[tokio::test]
async fn a_reader_cannot_fill_in_and_a_dpo_reads_only_privacy() {
    let w = Workplace::start().await;
    let mut reader = w.login(Role::Reader).await;
    reader.get("/selftest").await.expect(200);
    let scores: Vec<(&str, &str)> = sovbench_core::selftest::Dimension::ALL
        .iter()
        .map(|d| (d.key(), "3"))
        .collect();
    reader.post("/selftest", &scores).await.expect(403);
    let mut dpo = w.login(Role::Dpo).await;
    dpo.get("/selftest").await.expect(403);
}

#[tokio::test]
async fn a_session_ends_with_log_out_and_is_useless_on_another_node() {
    let a = Workplace::start().await;
    let b = Workplace::start().await;
    let mut editor = a.login(Role::Editor).await;
    editor.get("/").await.expect(200);
    // The same cookies against the other node: its cookie has another name, and even under
    // that name the token is unknown there.
    let mut thief = b.browser();
    thief.cookies = editor.cookies.clone();
    assert_eq!(thief.get("/").await.status, 303);
    let token = editor.cookies.values().next().cloned().unwrap_or_default();
    thief
        .cookies
        .insert(b.site.cookie_name().to_string(), token);
    assert_eq!(thief.get("/").await.status, 303);
    editor.get("/").await;
    editor.post("/logout", &[]).await.expect(303);
    assert_eq!(editor.get("/").await.status, 303);
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_no_outside_resource() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Approver).await;
    let a = b.get("/").await;
    let csp = a.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    for bad in ["http://", "https://", "<script"] {
        assert!(!a.body.contains(bad), "{bad} in the start page");
    }
}
