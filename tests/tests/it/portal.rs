//! The benchmark portal against a real aggregator: two published rounds of 40 real nodes, the
//! HTTP API and dashboard on `127.0.0.1:0`, spoken to over plain HTTP/1.1; the archive over gRPC.

use std::collections::HashMap;
use std::net::SocketAddr;

use prost::Message as _;
use serde_json::Value;
use sovbench_aggregator::portal::{self, limit::RateLimit, openapi, PortalOptions};
use sovbench_core::pb;
use sovbench_core::selftest::Assessment;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::{round, selftest, InitOptions, Node};
use sovbench_tests::Harness;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// An HTTP answer.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// `GET path` with extra headers over a fresh connection (`Connection: close`).
async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[..nl]).expect("chunk size").trim(),
            16,
        )
        .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[nl + 4 + size..];
    }
}

/// A node whose policy admits the test's large epsilon (so that 40 nodes publish cells).
fn node(h: &Harness, i: usize, scores: [i64; 5]) -> Node {
    let dir = h.tmp.path().join(format!("portal-node-{i}"));
    let node = Node::init_with_clock(
        &dir,
        InitOptions {
            name: format!("Gemeinde {i}"),
            kind: if i.is_multiple_of(2) {
                "gemeinde"
            } else {
                "stadt"
            }
            .into(),
            state: "DE-SH".into(),
            size: 6_000 + i as u64 * 100,
            aggregator_url: Some(h.url()),
            aggregator_key: Some(h.key()),
            committee_fingerprint: None,
            policy: Some(PrivacyPolicy {
                max_epsilon_per_round: 100.0,
                max_epsilon_per_year: 400.0,
                min_cohort: 2,
                max_epsilon_lifetime: None,
                ..PrivacyPolicy::default()
            }),
        },
        h.clock.clone(),
    )
    .expect("init node");
    selftest::record(&node, Assessment::from_scores(scores).expect("scores")).expect("assess");
    h.enrol(&node);
    node
}

/// Opens a round at epsilon 20 per value (all five dimensions), lets every node submit, closes
/// and publishes it.
async fn run_round(h: &Harness, id: &str, nodes: &[Node]) {
    h.agg()
        .open_round(sovbench_aggregator::RoundSpec {
            round_id: id.into(),
            metrics: Vec::new(),
            epsilon_per_release: 20.0,
            releases_per_node: 0,
            min_cohort: 5,
            closes_at: h.clock.now() + 3_600,
            secure: None,
        })
        .expect("open round");
    for n in nodes {
        round::submit(n).await.expect("submit");
    }
    h.agg().close_round(id).await.expect("close");
    h.agg().publish(id).expect("publish");
}

/// Two published rounds (the second with every score raised to 5), the portal serving them.
async fn setup(rate: RateLimit) -> (Harness, SocketAddr) {
    let (h, clock) = Harness::start_at(1_795_694_400).await;
    let nodes: Vec<Node> = (0..40)
        .map(|i| node(&h, i, [1 + (i as i64 % 2), 1, 2, 1, 2]))
        .collect();
    run_round(&h, "2026-q3", &nodes).await;
    clock.advance(86_400);
    for n in &nodes {
        selftest::record(n, Assessment::from_scores([5, 5, 5, 5, 5]).expect("scores"))
            .expect("assess");
    }
    run_round(&h, "2026-q4", &nodes).await;
    // A third round, open: never visible.
    h.open_round("2027-q1", 1.0, 1, 5);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let agg = h.agg().clone();
    tokio::spawn(portal::serve(
        agg,
        listener,
        PortalOptions { rate },
        std::future::pending(),
    ));
    (h, addr)
}

const GENEROUS: RateLimit = RateLimit {
    per_second: 1000.0,
    burst: 1000.0,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lists_serves_exports_and_trends_published_rounds() {
    let (h, addr) = setup(GENEROUS).await;

    // Rounds: only the two published ones, oldest first, with the payload hash.
    let r = get(addr, "/api/v1/rounds", &[]).await;
    assert_eq!(r.status, 200);
    let rounds = r.json()["rounds"].as_array().unwrap().clone();
    let ids: Vec<&str> = rounds
        .iter()
        .map(|x| x["round_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2026-q3", "2026-q4"]);
    let stored = h.agg().publication(Some("2026-q4")).unwrap();
    assert_eq!(
        rounds[1]["payload_sha256"],
        hex::encode(sovbench_core::sha256(&stored.payload))
    );
    assert_eq!(rounds[1]["contributors"], 40);
    assert_eq!(rounds[1]["mode"], "direct");

    // One round: the export document verifies, and carries the ETag of its payload.
    let r = get(addr, "/api/v1/rounds/2026-q4", &[]).await;
    assert_eq!(r.status, 200);
    let p = sovbench_aggregator::publication::verify_export(&r.json()).expect("verifies");
    assert_eq!(p.round_id, "2026-q4");
    let tag = r.header("etag").unwrap().to_string();
    assert_eq!(
        tag,
        format!(
            "\"{}\"",
            hex::encode(sovbench_core::sha256(&stored.payload))
        )
    );
    let again = get(addr, "/api/v1/rounds/2026-q4", &[("If-None-Match", &tag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = get(
        addr,
        "/api/v1/rounds/2026-q4",
        &[("If-None-Match", "\"abc\"")],
    )
    .await;
    assert_eq!(other.status, 200);

    // Unknown, open and malformed rounds: 404 with a JSON error.
    for path in [
        "/api/v1/rounds/nope",
        "/api/v1/rounds/2027-q1",
        "/api/v1/rounds/nope/cells",
    ] {
        let r = get(addr, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["error"]["status"], 404, "{path}");
    }
    assert_eq!(get(addr, "/api/v1/nothing", &[]).await.status, 404);

    // Cells as JSON, with readable cohort names.
    let r = get(addr, "/api/v1/rounds/2026-q4/cells", &[]).await;
    assert_eq!(r.status, 200);
    let cells = r.json()["cells"].as_array().unwrap().clone();
    assert_eq!(cells.len(), p.cells.len());
    let town = cells.iter().find(|c| c["cohort"] == "kind=stadt").unwrap();
    assert_eq!(town["cohort_name_de"], "Städte");
    let cells_tag = r.header("etag").unwrap().to_string();
    assert_eq!(
        get(
            addr,
            "/api/v1/rounds/2026-q4/cells",
            &[("If-None-Match", &cells_tag)]
        )
        .await
        .status,
        304
    );

    // CSV by Accept and by suffix: parses, a header row and one row per cell.
    for (path, headers) in [
        ("/api/v1/rounds/2026-q4/cells", vec![("Accept", "text/csv")]),
        ("/api/v1/rounds/2026-q4/cells.csv", vec![]),
    ] {
        let r = get(addr, path, &headers).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        assert_ne!(r.header("etag").unwrap(), cells_tag, "CSV has its own ETag");
        let mut rd = csv::Reader::from_reader(r.body.as_slice());
        let header = rd.headers().unwrap().clone();
        assert_eq!(&header[1], "cohort");
        assert_eq!(&header[5], "estimate");
        let rows: Vec<csv::StringRecord> = rd.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), p.cells.len());
        for (row, cell) in rows.iter().zip(&p.cells) {
            assert_eq!(&row[1], cell.cohort);
            assert_eq!(&row[2], cell.metric);
            if cell.suppressed {
                assert_eq!(&row[5], "");
            } else {
                assert_eq!(row[5].parse::<f64>().unwrap(), cell.estimate);
            }
        }
    }

    // Trends: both rounds, and the change with Δ ± √(h₁² + h₂²). Every score went from about
    // 1.5 to 5: the change of the total stands out from the noise.
    let r = get(
        addr,
        "/api/v1/trends?metric=selftest.total&cohort=all&lang=en",
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    let points = t["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let (e1, e2) = (
        points[0]["estimate"].as_f64().unwrap(),
        points[1]["estimate"].as_f64().unwrap(),
    );
    let h = |p: &Value| {
        let e = p["estimate"].as_f64().unwrap();
        (e - p["ci_low"].as_f64().unwrap()).max(p["ci_high"].as_f64().unwrap() - e)
    };
    let change = &t["changes"][0];
    assert!((change["delta"].as_f64().unwrap() - (e2 - e1)).abs() < 1e-9);
    let half = h(&points[0]).hypot(h(&points[1]));
    assert!((change["ci_high"].as_f64().unwrap() - (e2 - e1 + half)).abs() < 1e-9);
    assert_eq!(change["significant"], true, "{change}");
    assert!(
        change["statement"].as_str().unwrap().contains("stands out"),
        "{change}"
    );
    // German by Accept-Language.
    let r = get(
        addr,
        "/api/v1/trends?metric=selftest.total",
        &[("Accept-Language", "de-DE")],
    )
    .await;
    assert!(r.json()["changes"][0]["statement"]
        .as_str()
        .unwrap()
        .contains("Rauschen"));
    // Missing metric: 400.
    assert_eq!(get(addr, "/api/v1/trends", &[]).await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_names_every_route_and_validates() {
    let (_h, addr) = setup(GENEROUS).await;
    let r = get(addr, "/api/v1/openapi.json", &[]).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc.clone()).expect("a valid OpenAPI 3 document");
    assert_eq!(spec.paths.paths.len(), openapi::ROUTES.len());
    for route in openapi::ROUTES {
        assert!(spec.paths.paths.contains_key(route.path), "{}", route.path);
        // Every documented path is served (not 404) with its example parameters.
        let path = route.path.replace("{id}", "2026-q4");
        let path = if route.path == openapi::TRENDS {
            format!("{path}?metric=selftest.total")
        } else {
            path
        };
        assert_eq!(get(addr, &path, &[]).await.status, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_beyond_its_burst_gets_429_with_retry_after() {
    let (_h, addr) = setup(RateLimit {
        per_second: 0.5,
        burst: 5.0,
    })
    .await;
    for i in 0..5 {
        assert_eq!(
            get(addr, "/api/v1/rounds", &[]).await.status,
            200,
            "request {i}"
        );
    }
    let r = get(addr, "/api/v1/rounds", &[]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_is_listed_signed_over_grpc_with_paging() {
    let (h, _addr) = setup(GENEROUS).await;
    let mut c = h.client().await;
    let page = |after: &str, limit: u32| pb::ListPublicationsRequest {
        after: after.into(),
        limit,
    };
    let open = |m: pb::SignedMessage| {
        let v = sovbench_core::envelope::open_from(&m, h.agg().public_key())
            .expect("signed by the aggregator");
        match v.body {
            pb::payload::Body::PublicationList(l) => l,
            other => panic!("not a list: {other:?}"),
        }
    };
    let all = open(c.list_publications(page("", 0)).await.unwrap().into_inner());
    let ids: Vec<&str> = all
        .publications
        .iter()
        .map(|p| p.round_id.as_str())
        .collect();
    assert_eq!(ids, ["2026-q3", "2026-q4"]);
    assert!(all.next_after.is_empty());
    let stored = h.agg().publication(Some("2026-q3")).unwrap();
    assert_eq!(
        all.publications[0].payload_sha256,
        sovbench_core::sha256(&stored.payload)
    );
    assert_eq!(all.publications[0].mode, pb::RoundMode::Direct as i32);
    assert_eq!(all.publications[0].contributors, 40);
    let first = open(c.list_publications(page("", 1)).await.unwrap().into_inner());
    assert_eq!(first.publications.len(), 1);
    assert_eq!(first.next_after, "2026-q3");
    let rest = open(
        c.list_publications(page(&first.next_after, 1))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(rest.publications[0].round_id, "2026-q4");
    assert!(rest.next_after.is_empty());
    // The summary's hash is over the exact bytes GetPublication returns.
    let got = c
        .get_publication(pb::GetPublicationRequest {
            round_id: "2026-q4".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rest.publications[0].payload_sha256,
        sovbench_core::sha256(&got.payload)
    );
    assert!(pb::SignedMessage::decode(got.encode_to_vec().as_slice()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_serves_every_page_type_accessibly_in_both_languages() {
    let (_h, addr) = setup(GENEROUS).await;
    let pages = [
        "/",
        "/rounds/2026-q4",
        "/rounds/2026-q4/cohorts/kind%3Dstadt",
        "/trends/selftest.total?cohort=all",
        "/paths",
        "/methodik",
    ];
    for path in pages {
        for (lang, query) in [("de", ""), ("en", "lang=en")] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = if query.is_empty() {
                path.to_string()
            } else {
                format!("{path}{sep}{query}")
            };
            let r = get(addr, &url, &[]).await;
            assert_eq!(r.status, 200, "{url}");
            assert!(r.header("content-type").unwrap().starts_with("text/html"));
            let html = r.text();
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{url}");
            for needle in [
                "<main id=\"inhalt\"",
                "<nav aria-label=",
                "class=\"skip\" href=\"#inhalt\"",
                "<h1>",
            ] {
                assert!(html.contains(needle), "{url} lacks {needle}");
            }
            // Nothing is loaded from outside.
            assert!(
                !html.contains("src=\"http") && !html.contains("href=\"http"),
                "{url}"
            );
            // Every table has a caption and column headers with a scope.
            assert_eq!(
                html.matches("<table>").count(),
                html.matches("<caption>").count(),
                "{url}"
            );
            assert!(!html.contains("<th>"), "{url}: th without scope");
        }
    }
    // The trend page: an SVG chart with a text alternative, its data as a table, and the change
    // between the rounds with its statement.
    let html = get(addr, "/trends/selftest.total", &[]).await.text();
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\""));
    assert!(
        html.contains("<title id=\"chart-title\">") && html.contains("<desc id=\"chart-desc\">")
    );
    assert!(html.contains("Daten des Diagramms"));
    assert!(html.contains("hebt sich vom Rauschen ab"), "{html}");
    // Readable cohort names.
    let html = get(addr, "/rounds/2026-q4", &[]).await.text();
    assert!(html.contains("Städte") && html.contains("Gemeinden"));
    let html = get(addr, "/rounds/2026-q4?lang=en", &[]).await.text();
    assert!(html.contains("Towns and cities"));
    // Unknown or unpublished rounds and cohorts: 404 pages.
    for path in [
        "/rounds/2027-q1",
        "/rounds/nope/cohorts/all",
        "/rounds/2026-q4/cohorts/kind%3Dbund",
        "/trends/nope",
    ] {
        let r = get(addr, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("<html lang=\"de\">"), "{path}");
    }
}

/// The portal of an aggregator without publications: enough for the headers of every kind of
/// answer.
async fn empty_portal(rate: RateLimit) -> (Harness, SocketAddr) {
    let h = Harness::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(portal::serve(
        h.agg().clone(),
        listener,
        PortalOptions { rate },
        std::future::pending(),
    ));
    (h, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_nosniff_and_pages_cannot_be_framed() {
    let (_h, addr) = empty_portal(RateLimit {
        per_second: 0.01,
        burst: 7.0,
    })
    .await;
    // Pages (also the 404 page): nosniff, no framing, and the page's own policy kept.
    for (path, status) in [
        ("/", 200),
        ("/methodik?lang=en", 200),
        ("/rounds/nope", 404),
    ] {
        let r = get(addr, path, &[]).await;
        assert_eq!(r.status, status, "{path}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
    // The API (JSON, its 404 and 400) and the answer of an unknown route: nosniff.
    for (path, status) in [
        ("/api/v1/rounds", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/rounds/nope/cells.csv", 404),
        ("/api/v1/trends", 400),
    ] {
        let r = get(addr, path, &[]).await;
        assert_eq!(r.status, status, "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), None, "{path}: not a page");
    }
    // The rate limit's 429 too (the eighth request of a burst of seven).
    let r = get(addr, "/api/v1/rounds", &[]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}
