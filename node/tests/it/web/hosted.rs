//! A hosted node: two administrations behind one process. Every route of the workplace (the list
//! the router is built from) is called under one administration's path with the other's
//! session, and refused; the pages' links, redirects and cookies stay under the
//! administration's prefix; a removed administration is gone at once.

use std::collections::HashMap;
use std::sync::Arc;

use sovbench_core::clock::SystemClock;
use sovbench_node::hosting::Hosting;
use sovbench_node::people::{self, Role};
use sovbench_node::web::hosted::{serve_hosted, Hosted};
use sovbench_node::web::routes;
use sovbench_node::InitOptions;

use super::{Browser, PASSWORD};

struct Host {
    addr: std::net::SocketAddr,
    hosted: Arc<Hosted>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Host {
    async fn start(ids: &[&str]) -> Host {
        let dir = tempfile::tempdir().expect("tempdir");
        let hosting = Hosting::init(dir.path(), "KDN Prüfland").expect("hosting");
        for id in ids {
            let node = hosting
                .add(
                    id,
                    InitOptions {
                        name: format!("Gemeinde {id}"),
                        kind: "gemeinde".into(),
                        state: "DE-NW".into(),
                        size: 2_500,
                        aggregator_url: None,
                        aggregator_key: None,
                        policy: None,
                        committee_fingerprint: None,
                    },
                    SystemClock::shared(),
                )
                .expect("tenant");
            for role in Role::ALL {
                people::add_account(&node, role.key(), role, PASSWORD, "test").expect("account");
            }
        }
        let hosted = Arc::new(Hosted::new(hosting, SystemClock::shared(), false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let h = hosted.clone();
        tokio::spawn(async move {
            let _ = serve_hosted(listener, h, async {
                let _ = stopped.await;
            })
            .await;
        });
        Host {
            addr,
            hosted,
            _dir: dir,
            _stop: stop,
        }
    }

    fn browser(&self, tenant: &str) -> Browser {
        Browser {
            addr: self.addr,
            cookies: HashMap::new(),
            csrf: None,
            base: format!("/t/{tenant}"),
        }
    }

    async fn login(&self, tenant: &str, role: Role) -> Browser {
        let mut b = self.browser(tenant);
        b.login(role.key(), PASSWORD).await;
        b
    }
}

fn scores() -> Vec<(&'static str, &'static str)> {
    sovbench_core::selftest::Dimension::ALL
        .iter()
        .map(|d| (d.key(), "4"))
        .collect()
}

#[tokio::test]
async fn every_route_refuses_the_other_administrations_session() {
    let host = Host::start(&["gemeinde-a", "gemeinde-b"]).await;
    let mut b_approver = host.login("gemeinde-b", Role::Approver).await;
    b_approver.get("/").await.expect(200);
    let b_csrf = b_approver.csrf.clone().unwrap_or_default();
    let b_token = b_approver
        .cookies
        .values()
        .next()
        .cloned()
        .unwrap_or_default();
    let a_site = host.hosted.site("gemeinde-a").await.unwrap().unwrap().0;
    // B's cookies as they are, and B's token under A's cookie name.
    let attempts = [
        b_approver.cookies.clone(),
        HashMap::from([(a_site.cookie_name().to_string(), b_token)]),
    ];
    let routes = routes();
    assert!(routes.len() > 30, "the list the router is built from");
    for cookies in attempts {
        let mut thief = host.browser("gemeinde-a");
        thief.cookies = cookies;
        thief.csrf = Some(b_csrf.clone());
        for (method, path) in &routes {
            if routes::PUBLIC.contains(path) {
                continue;
            }
            let a = match *method {
                "GET" => thief.get(path).await,
                _ => thief.post(path, &scores()).await,
            };
            assert_eq!(
                a.status, 303,
                "{method} {path} with B's session: {}",
                a.body
            );
            assert!(
                a.header("location")
                    .unwrap_or_default()
                    .starts_with("/t/gemeinde-a/login"),
                "{method} {path}: {:?}",
                a.header("location")
            );
        }
    }
    // Nothing reached A's store.
    let mut a_reader = host.login("gemeinde-a", Role::Reader).await;
    a_reader
        .get("/selftest")
        .await
        .expect(200)
        .contains("Noch kein Selbsttest gespeichert");
}

#[tokio::test]
async fn each_administration_sees_only_its_own_data_under_its_own_prefix() {
    let host = Host::start(&["gemeinde-a", "gemeinde-b"]).await;
    let mut a = host.login("gemeinde-a", Role::Editor).await;
    let start = a.get("/").await;
    start
        .expect(200)
        .contains("Gemeinde gemeinde-a")
        .contains(r#"href="/t/gemeinde-a/selftest?lang=de""#);
    a.get("/selftest").await;
    let saved = a.post("/selftest", &scores()).await;
    saved.expect(303);
    assert_eq!(
        saved.header("location"),
        Some("/t/gemeinde-a/selftest?lang=de")
    );
    a.get("/selftest").await.contains("Summe 20");
    let mut b = host.login("gemeinde-b", Role::Editor).await;
    b.get("/selftest")
        .await
        .expect(200)
        .contains("Gemeinde gemeinde-b")
        .contains("Noch kein Selbsttest gespeichert");
    // The session cookie is scoped to the administration's paths.
    let mut fresh = host.browser("gemeinde-a");
    fresh.get("/login").await;
    let answer = fresh
        .post(
            "/login",
            &[("name", "editor"), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    let cookie = answer
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.clone())
        .find(|v| v.starts_with("sovbench_") && !v.starts_with("sovbench_login"))
        .unwrap_or_default();
    assert!(cookie.contains("Path=/t/gemeinde-a/"), "{cookie}");
}

#[tokio::test]
async fn unknown_and_removed_administrations_are_not_found() {
    let host = Host::start(&["gemeinde-a", "gemeinde-b"]).await;
    let mut x = host.browser("gemeinde-x");
    x.get("/").await.expect(404);
    let mut bare = host.browser("x");
    bare.base = String::new();
    bare.get("/").await.expect(200).contains("KDN Prüfland");
    let b = bare.get("/t/gemeinde-a").await;
    assert_eq!(b.status, 303);
    assert_eq!(b.header("location"), Some("/t/gemeinde-a/"));
    let mut a = host.login("gemeinde-a", Role::Approver).await;
    a.get("/").await.expect(200);
    let pending = host
        .hosted
        .hosting()
        .remove("gemeinde-a", SystemClock::shared())
        .await
        .expect("remove");
    assert!(pending.is_empty());
    a.get("/").await.expect(404);
    let mut other = host.login("gemeinde-b", Role::Approver).await;
    other.get("/").await.expect(200);
}

#[tokio::test]
async fn saving_a_system_or_its_exit_scenario_leads_back_to_it_under_the_prefix() {
    let host = Host::start(&["gemeinde-a"]).await;
    let mut a = host.login("gemeinde-a", Role::Editor).await;
    super::inventory::import_sample(&mut a).await;
    a.get("/inventory/system?name=Tabellenkalkulation")
        .await
        .expect(200);
    let exit = a
        .post(
            "/inventory/exit",
            &[
                ("name", "Tabellenkalkulation"),
                ("alternatives", "LibreOffice"),
                ("months", "12"),
                ("status", "entwurf"),
            ],
        )
        .await;
    assert_eq!(exit.status, 303, "{}", exit.body);
    assert_eq!(
        exit.header("location"),
        Some("/t/gemeinde-a/inventory/system?name=Tabellenkalkulation&lang=de")
    );
    let mut bare = host.browser("gemeinde-a");
    bare.base = String::new();
    bare.cookies = a.cookies.clone();
    bare.get(exit.header("location").unwrap_or_default())
        .await
        .expect(200)
        .contains("Exit-Szenario für");
}
