//! The peers page against a real aggregator (served in this test process), with two
//! workplaces of two nodes making contact with double opt-in; and the people page.

use std::sync::Arc;

use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::Aggregator;
use sovbench_core::envelope::b64;
use sovbench_node::inventory::Category;
use sovbench_node::migration::{MigrationPath, Stage, StageChange};
use sovbench_node::people::Role;
use tokio::sync::oneshot;

use super::{Answer, Browser, Workplace, PASSWORD};

const BBB: &str = "path.videokonferenzen.bigbluebutton";

/// An aggregator served on 127.0.0.1:0 until dropped.
struct Agg {
    agg: Arc<Aggregator>,
    url: String,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl Agg {
    async fn start() -> Agg {
        let dir = tempfile::tempdir().expect("tempdir");
        let agg =
            Arc::new(Aggregator::init(&dir.path().join("agg"), "Test-Verbund").expect("init"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let a = agg.clone();
        let opts = ServeOptions {
            auto_close_every: None,
            ..ServeOptions::default()
        };
        tokio::spawn(async move {
            let _ = serve(a, listener, opts, async {
                let _ = stopped.await;
            })
            .await;
        });
        Agg {
            agg,
            url,
            _stop: stop,
            _dir: dir,
        }
    }

    fn key(&self) -> String {
        b64(self.agg.public_key())
    }

    /// A workplace of a node enrolled here, following BigBlueButton at `stage`.
    async fn workplace(&self, stage: Stage) -> Workplace {
        let w = Workplace::start_with(Some(self.url.clone()), Some(self.key())).await;
        let node = w.site.node().await.expect("node");
        let p = node.profile().expect("profile");
        self.agg
            .enrol(node.public_key(), &p.name, p.cohort(), p.size)
            .expect("enrol");
        set_path(&node, stage);
        drop(node);
        w
    }
}

fn set_path(node: &sovbench_node::Node, stage: Stage) {
    node.store()
        .put_migration(&MigrationPath {
            id: "video-bbb".into(),
            category: Category::Videokonferenzen,
            from_product: "Microsoft Teams".into(),
            to_product: "BigBlueButton".into(),
            stage,
            history: vec![StageChange {
                stage,
                on: 20_000,
                reason: None,
            }],
            workplaces: 120,
            systems: Vec::new(),
            notes: "interne Notiz".into(),
        })
        .expect("migration");
}

/// The value of the first hidden field `name` in a page.
fn field(body: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let i = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in: {body}"))
        + needle.len();
    body[i..i + body[i..].find('"').expect("end")].to_string()
}

async fn offer(b: &mut Browser, who: &str) -> Answer {
    b.get("/peers")
        .await
        .expect(200)
        .contains("Auffindbar werden");
    let email = format!("kontakt-{who}@verwaltung.example");
    let name = format!("Digitallotse {who}");
    b.post(
        "/peers/offer",
        &[
            ("path", BBB),
            ("organisation", "Verwaltung"),
            ("name", &name),
            ("email", &email),
            ("phone", ""),
            ("note", "Schulungsunterlagen teilen wir gern."),
            ("sharing", "ask"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workplaces_make_contact_with_double_opt_in() {
    let agg = Agg::start().await;
    let wa = agg.workplace(Stage::Geplant).await;
    let wb = agg.workplace(Stage::Rollout).await;
    let mut a = wa.login(Role::Approver).await;
    let mut b = wb.login(Role::Approver).await;

    // A form with a missing contact comes back with the problem at the field, nothing sent.
    a.get("/peers").await.expect(200);
    let bad = a
        .post(
            "/peers/offer",
            &[
                ("path", BBB),
                ("name", ""),
                ("email", "kein-at"),
                ("sharing", "ask"),
            ],
        )
        .await;
    bad.expect(422)
        .contains("Bitte eine Kontaktperson")
        .contains("ist keine E-Mail-Adresse")
        .contains("aria-invalid=\"true\"");

    offer(&mut a, "a").await.expect(303);
    a.get("/peers").await.expect(200).contains("Angeboten:");
    offer(&mut b, "b").await.expect(303);

    // A sees B with the explained score and asks for contact.
    let page = a.get("/peers").await;
    page.expect(200)
        .contains("derselbe Pfad")
        .contains("Punkte: gleicher Pfad +10")
        .contains("Kontakt anfragen");
    let pseudonym = field(&page.body, "pseudonym");
    a.post(
        "/peers/contact",
        &[("path", BBB), ("pseudonym", &pseudonym)],
    )
    .await
    .expect(303);
    a.get("/peers").await.expect(200).contains("angefragt");

    // B sees the request without A's card; a reader and an editor of B may not answer it.
    let page = b.get("/peers").await;
    page.expect(200).contains("Eingehende Anfragen");
    assert!(!page.body.contains("kontakt-a@"), "A's card before the yes");
    let request = field(&page.body, "request_id");
    for role in [Role::Reader, Role::Editor] {
        let mut other = wb.login(role).await;
        other.get("/peers").await.expect(200);
        other
            .post(
                "/peers/answer",
                &[("request_id", &request), ("answer", "accept")],
            )
            .await
            .expect(403);
        other
            .post(
                "/peers/offer",
                &[
                    ("path", BBB),
                    ("name", "X"),
                    ("email", "x@y"),
                    ("sharing", "ask"),
                ],
            )
            .await
            .expect(403);
    }
    b.get("/peers").await;
    b.post(
        "/peers/answer",
        &[("request_id", &request), ("answer", "accept")],
    )
    .await
    .expect(303);
    b.get("/peers").await.expect(200).contains("Angenommen:");

    // A's page completes the exchange: B's card arrives, A's goes out.
    a.get("/peers")
        .await
        .expect(200)
        .contains("Erhaltene Kontaktkarten")
        .contains("kontakt-b@verwaltung.example");
    b.get("/peers")
        .await
        .expect(200)
        .contains("kontakt-a@verwaltung.example");

    // A stage change of an offered path waits for confirmation, as `peers confirm` does.
    {
        let node = wa.site.node().await.expect("node");
        set_path(&node, Stage::Pilot);
    }
    a.get("/peers")
        .await
        .expect(200)
        .contains("Stufenänderung wartet auf Bestätigung");
    a.post("/peers/confirm", &[("path", BBB)]).await.expect(303);
    let page = a.get("/peers").await;
    page.expect(200).contains("Stufenänderung gesendet");
    assert!(
        !page.body.contains("wartet auf Bestätigung"),
        "{}",
        page.body
    );

    // Every step is in the log of changes with who made it.
    let log = a.get("/people").await;
    log.expect(200)
        .contains("peer matching: offered path.videokonferenzen.bigbluebutton")
        .contains("contact with");
    b.get("/people")
        .await
        .expect(200)
        .contains("accepted, contact card handed over");

    // Withdrawing: the offer form is back.
    a.post("/peers/withdraw", &[("path", BBB)])
        .await
        .expect(303);
    a.get("/peers")
        .await
        .expect(200)
        .contains("Zurückgezogen:")
        .contains("Auffindbar werden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_aggregator_or_with_one_unreachable_the_page_says_so() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Approver).await;
    b.get("/peers")
        .await
        .expect(200)
        .contains("Kein Aggregator eingerichtet");

    let agg = Agg::start().await;
    let w = Workplace::start_with(Some("http://127.0.0.1:9".into()), Some(agg.key())).await;
    {
        let node = w.site.node().await.expect("node");
        set_path(&node, Stage::Pilot);
    }
    let mut b = w.login(Role::Approver).await;
    offer(&mut b, "a")
        .await
        .expect(503)
        .contains("nicht erreichbar")
        .contains("Digitallotse a");
}

fn password_of(a: &Answer) -> String {
    let needle = "id=\"new-password\">";
    let i = a.body.find(needle).expect("password shown") + needle.len();
    a.body[i..i + a.body[i..].find('<').expect("end")].to_string()
}

#[tokio::test]
async fn an_approver_manages_people_and_the_log_shows_who_did_what() {
    let w = Workplace::start().await;
    let mut admin = w.login(Role::Approver).await;
    admin
        .get("/people")
        .await
        .expect(200)
        .contains(Role::Editor.explain(sovbench_core::i18n::Lang::De));

    // Add an editor: the password is shown once and works.
    let added = admin
        .post("/people/add", &[("name", "neu.person"), ("role", "editor")])
        .await;
    added.expect(200).contains("Person angelegt: neu.person");
    let pw = password_of(&added);
    let mut neu = w.browser();
    neu.login("neu.person", &pw).await;
    neu.get("/").await.expect(200).contains("Bearbeitung");
    let list = admin.get("/people").await;
    list.expect(200).contains("neu.person");
    assert!(!list.body.contains(&pw), "the password is shown only once");
    // A name taken is refused at the field.
    admin
        .post("/people/add", &[("name", "neu.person"), ("role", "reader")])
        .await
        .expect(422)
        .contains("gibt es bereits")
        .contains("aria-invalid=\"true\"");

    // The last approver stays.
    admin
        .post("/people/remove", &[("name", "approver")])
        .await
        .expect(422)
        .contains("letzte Konto mit der Rolle approver");

    // A new password ends the old sessions; the old password no longer works.
    let mut editor = w.login(Role::Editor).await;
    editor.get("/").await.expect(200);
    let reset = admin.post("/people/password", &[("name", "editor")]).await;
    reset
        .expect(200)
        .contains("Neues Passwort gesetzt für editor");
    let pw2 = password_of(&reset);
    assert_eq!(editor.get("/").await.status, 303, "old session ended");
    let mut old = w.browser();
    old.get("/login").await;
    old.post("/login", &[("name", "editor"), ("password", PASSWORD)])
        .await
        .expect(401);
    let mut again = w.browser();
    again.login("editor", &pw2).await;

    // Remove the new person: confirmed, and the log shows who did what.
    admin.get("/people").await;
    admin
        .post("/people/remove", &[("name", "neu.person")])
        .await
        .expect(303);
    let log = admin.get("/people").await;
    log.expect(200)
        .contains("Person entfernt: neu.person")
        .contains("Protokoll der Änderungen")
        .contains("account neu.person added")
        .contains("password of editor reset")
        .contains("account neu.person removed")
        .contains("<td>approver</td>");
    assert_eq!(neu.get("/").await.status, 303, "a removed person is out");

    // Only approvers.
    for role in [Role::Editor, Role::Reader, Role::Dpo] {
        let name = if role == Role::Editor {
            "editor"
        } else {
            role.key()
        };
        let pass = if role == Role::Editor {
            pw2.as_str()
        } else {
            PASSWORD
        };
        let mut b = w.browser();
        b.login(name, pass).await;
        b.get("/people").await.expect(403);
        b.get("/").await;
        b.post("/people/add", &[("name", "x"), ("role", "approver")])
            .await
            .expect(403);
    }
}
