//! The pages of the workplace, as a person uses them.

use sovbench_node::people::Role;

use super::Workplace;

#[tokio::test]
async fn the_self_test_asks_again_and_keeps_what_was_given() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    b.get("/selftest").await.expect(200).contains("Datenhoheit");
    let a = b
        .post(
            "/selftest",
            &[
                ("datenhoheit", "2"),
                ("technologische_unabhaengigkeit", "6"),
                ("it_kompetenz", "zwei"),
                ("offene_standards", "4"),
            ],
        )
        .await;
    a.expect(422).contains("„6“").contains("„zwei“");
    // What was valid stays chosen.
    assert!(
        a.body
            .contains(r#"id="datenhoheit-2" name="datenhoheit" value="2" checked"#),
        "{}",
        a.body
    );
    let scores = [
        ("datenhoheit", "2"),
        ("technologische_unabhaengigkeit", "2"),
        ("it_kompetenz", "3"),
        ("offene_standards", "4"),
        ("governance_exit", "1"),
    ];
    b.post("/selftest", &scores).await.expect(303);
    let page = b.get("/selftest").await;
    page.expect(200)
        .contains("Selbsttest gespeichert. Summe 12")
        .contains("<svg");
    // The confirmation is shown once; the history stays, in English too.
    let again = b.get("/selftest?lang=en").await;
    assert!(!again.body.contains("gespeichert"));
    again.contains("Every saved self-test");
}
