//! Rounds, comparison and privacy pages against a real aggregator served in this test process:
//! the open round with its mode and cost, who may send, sending (recorded in the ledger, then
//! delivered with a receipt), the privacy page and its report, and the comparison before and
//! after the aggregator publishes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::envelope::b64;
use sovbench_core::selftest::Assessment;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::model::DeliveryState;
use sovbench_node::people::{self, Role};
use sovbench_node::{round, selftest, InitOptions, Node};

use super::{Answer, Workplace, PASSWORD};

/// An aggregator served on 127.0.0.1:0 until dropped.
struct Agg {
    agg: Arc<Aggregator>,
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
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
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let a = agg.clone();
        tokio::spawn(async move {
            let opts = ServeOptions {
                auto_close_every: None,
                ..ServeOptions::default()
            };
            serve(a, listener, opts, async {
                let _ = stopped.await;
            })
            .await
            .expect("server");
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

    /// A round in mode direct of the five self-test dimensions: 2 of them released at ε 1 each
    /// (ε 2 per node, half of the test policy's 4 for 365 days), k = 2.
    fn open_round(&self, id: &str) {
        self.agg
            .open_round(RoundSpec {
                round_id: id.into(),
                metrics: Vec::new(),
                epsilon_per_release: 1.0,
                releases_per_node: 2,
                min_cohort: 2,
                closes_at: self.agg.now() + 3_600,
                secure: None,
            })
            .expect("open round");
    }

    fn enrol(&self, node: &Node) {
        let p = node.profile().expect("profile");
        self.agg
            .enrol(node.public_key(), &p.name, p.cohort(), p.size)
            .expect("enrol");
    }
}

/// A node of the aggregator with a small cohort minimum, a budget of ε 4 per 365 days and a
/// self-test, enrolled.
fn node(dir: &Path, agg: &Agg, name: &str) -> Node {
    let node = Node::init(
        dir,
        InitOptions {
            name: name.into(),
            kind: "gemeinde".into(),
            state: "DE-BY".into(),
            size: 4_200,
            aggregator_url: Some(agg.url.clone()),
            aggregator_key: Some(agg.key()),
            policy: Some(PrivacyPolicy {
                max_epsilon_per_round: 2.0,
                max_epsilon_per_year: 4.0,
                min_cohort: 2,
                max_epsilon_lifetime: None,
                ..PrivacyPolicy::default()
            }),
            committee_fingerprint: None,
        },
    )
    .expect("init");
    selftest::record(
        &node,
        Assessment::from_scores([3, 2, 4, 3, 2]).expect("scores"),
    )
    .expect("self-test");
    agg.enrol(&node);
    node
}

/// The workplace of such a node, with one account per role.
async fn workplace(agg: &Agg) -> Workplace {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = node(dir.path(), agg, "Gemeinde Prüfstadt");
    for role in Role::ALL {
        people::add_account(&n, role.key(), role, PASSWORD, "test").expect("account");
    }
    drop(n);
    Workplace::serve(dir).await
}

fn lacks(a: &Answer, text: &str) {
    assert!(!a.body.contains(text), "{text:?} in: {}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_sends_after_seeing_mode_and_cost_and_the_dpo_reads_the_ledger() {
    let agg = Agg::start().await;
    let w = workplace(&agg).await;
    agg.open_round("2026-r1");

    // Whoever may read sees the round, its mode and its cost, but only the approver a form.
    for role in [Role::Reader, Role::Editor] {
        let mut b = w.login(role).await;
        let a = b.get("/rounds").await;
        a.expect(200)
            .contains("2026-r1")
            .contains("direkt (lokal verrauscht)")
            .contains("mit OpenDP verrauscht")
            .contains("die Hälfte")
            .contains("Grenze ε 4,00")
            .contains("Senden darf nur die Rolle Freigabe");
        lacks(&a, "action=\"/rounds/send");
        // A forged form with the person's own valid token is still refused for the role.
        b.post("/rounds/send", &[("round", "2026-r1"), ("confirm", "yes")])
            .await
            .expect(403);
        b.post("/rounds/deliver", &[]).await.expect(403);
    }
    let mut b = w.login(Role::Approver).await;
    let a = b.get("/rounds?lang=en").await;
    a.expect(200)
        .contains("half")
        .contains("of your privacy budget for 365 days")
        .contains("Only the noisy values leave it")
        // No publication is known yet: the node says it cannot foresee one, before sending.
        .contains("cannot be foreseen")
        .contains("Please note before sending")
        .contains("action=\"/rounds/send");
    // Without the confirmation nothing is sent.
    b.post("/rounds/send", &[("round", "2026-r1")])
        .await
        .expect(422)
        .contains("please confirm")
        .contains("aria-describedby=\"send-problem\"");
    // A round other than the open one is refused, and nothing recorded.
    b.post("/rounds/send", &[("round", "2026-r0"), ("confirm", "yes")])
        .await
        .expect(409)
        .contains("2026-r1");
    // Back to German: the confirmation is in the language of the form.
    b.get("/rounds?lang=de").await.expect(200);
    b.post("/rounds/send", &[("round", "2026-r1"), ("confirm", "yes")])
        .await
        .expect(303);
    let a = b.get("/rounds").await;
    a.expect(200)
        .contains("Werte aufgezeichnet, gesendet und vom Aggregator quittiert")
        .contains("zugestellt, Quittung erhalten")
        .contains("bereits teilgenommen")
        .contains("Der Postausgang ist leer")
        .contains("Diese Runde hat ε 2,00 verbraucht");
    lacks(&a, "action=\"/rounds/send");
    b.get("/")
        .await
        .expect(200)
        .contains("Teilgenommen an Runde");
    // A second send of the same round releases nothing new.
    b.post("/rounds/send", &[("round", "2026-r1"), ("confirm", "yes")])
        .await
        .expect(303);
    b.get("/rounds")
        .await
        .contains("bereits teilgenommen an Runde 2026-r1");

    // The data protection officer sees the release and downloads the report, but not rounds.
    let mut dpo = w.login(Role::Dpo).await;
    dpo.get("/rounds").await.expect(403);
    dpo.get("/privacy")
        .await
        .expect(200)
        .contains("2026-r1")
        .contains("zugestellt, Quittung erhalten")
        .contains("ε 2,00")
        .contains("Verfügbar")
        .contains("<caption>Jede Freigabe dieses Knotens");
    let r = dpo.get("/privacy/report.md").await;
    r.expect(200).contains("2026-r1");
    assert!(
        r.header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment"),
        "{:?}",
        r.headers
    );

    // What the page said is what is stored: one ledger entry, delivered, with a receipt, and
    // the aggregator holds the submission.
    assert!(agg
        .agg
        .submission_stored("2026-r1", &node_key(&w).await)
        .expect("stored"));
    let n = open_when_idle(w.path()).await;
    let ledger = n.store().ledger().expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].state, DeliveryState::Delivered);
    assert!((ledger[0].epsilon - 2.0).abs() < 1e-9);
    assert!(n.store().receipt("2026-r1").expect("receipt").is_some());
    assert!(n.store().outbox().expect("outbox").is_empty());
}

/// The node's public key (the store is opened once the workplace lets go of it).
async fn node_key(w: &Workplace) -> Vec<u8> {
    open_when_idle(w.path()).await.public_key().to_vec()
}

/// Opens the node once the workplace has closed its store (two seconds after the last request).
async fn open_when_idle(dir: &Path) -> Node {
    for _ in 0..50 {
        match Node::open(dir) {
            Ok(n) => return n,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("the workplace did not let go of the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comparison_says_nothing_is_published_then_shows_the_charts() {
    let agg = Agg::start().await;
    let w = workplace(&agg).await;
    let others = tempfile::tempdir().expect("tempdir");
    let nodes: Vec<Node> = (0..2)
        .map(|i| {
            node(
                &others.path().join(format!("n{i}")),
                &agg,
                &format!("Gemeinde {i}"),
            )
        })
        .collect();
    agg.open_round("2026-r1");

    let mut b = w.login(Role::Approver).await;
    b.get("/comparison")
        .await
        .expect(200)
        .contains("Noch nichts veröffentlicht");
    b.post("/comparison/fetch", &[]).await.expect(303);
    b.get("/comparison")
        .await
        .contains("Der Aggregator hat noch keine Veröffentlichung");

    b.post("/rounds/send", &[("round", "2026-r1"), ("confirm", "yes")])
        .await
        .expect(303);
    for n in &nodes {
        let r = round::submit(n).await.expect("submit");
        assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);
    }
    agg.agg.close_round("2026-r1").await.expect("close");
    agg.agg.publish("2026-r1").expect("publish");

    // A reader may fetch too (it changes nothing but the kept publication).
    let mut reader = w.login(Role::Reader).await;
    reader.get("/comparison").await.expect(200);
    reader.post("/comparison/fetch", &[]).await.expect(303);
    let a = reader.get("/comparison").await;
    a.expect(200)
        .contains("Veröffentlichung der Runde 2026-r1 abgerufen und geprüft")
        .contains("<svg")
        .contains("alle Verwaltungen")
        .contains("<th scope=\"col\">Einordnung</th>")
        .contains("3 Teilnehmende");
    // With one publication there is no history yet; the start page knows the round.
    lacks(&a, "Verlauf über die Runden");
    b.get("/").await.contains("Teilgenommen an Runde");
    let h = reader.get("/comparison/report.html").await;
    h.expect(200)
        .contains("<!DOCTYPE html>")
        .contains("2026-r1");
    assert!(h
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    let o = reader.get("/comparison/report.ods").await;
    o.expect(200);
    assert!(o.body.starts_with("PK"), "not a zip: {:?}", o.headers);
    assert_eq!(
        o.header("content-type"),
        Some("application/vnd.oasis.opendocument.spreadsheet")
    );
}

#[tokio::test]
async fn without_an_aggregator_or_when_it_is_unreachable_the_page_says_so() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Approver).await;
    b.get("/rounds")
        .await
        .expect(200)
        .contains("kein Aggregator eingerichtet")
        .contains("noch an keiner Runde teilgenommen");
    b.get("/privacy")
        .await
        .expect(200)
        .contains("Noch keine Freigabe");

    let agg = Agg::start().await;
    let key = agg.key();
    drop(agg);
    // Port 9 (discard) on the loopback interface: nothing listens there.
    let w = Workplace::start_with(Some("http://127.0.0.1:9".into()), Some(key)).await;
    let mut b = w.login(Role::Approver).await;
    let a = b.get("/rounds").await;
    a.expect(200)
        .contains("konnte nicht abgerufen werden")
        .contains("127.0.0.1:9");
    lacks(&a, "action=\"/rounds/send");
}
