//! The browser workplace over real HTTP (served in this test process on 127.0.0.1:0): log-in,
//! sessions, roles, CSRF and every page. [`Workplace`] starts one; [`Browser`] is a person with
//! a cookie jar that reads the CSRF token of the last page it saw.

mod hosted;
mod inventory;
mod pages;
mod peers;
mod rounds;
mod security;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sovbench_core::clock::SystemClock;
use sovbench_node::people::{self, Role};
use sovbench_node::web::{self, Site};
use sovbench_node::{InitOptions, Node};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Password of every test account.
pub const PASSWORD: &str = "ein-langes-test-passwort";

/// A node with its workplace served on 127.0.0.1:0, and one account per role (named after it:
/// `editor`, `approver`, `reader`, `dpo`).
pub struct Workplace {
    pub addr: std::net::SocketAddr,
    pub site: Arc<Site>,
    #[allow(
        dead_code,
        reason = "for the page tests of the inventory, rounds and people, merged from their branches"
    )]
    pub dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Workplace {
    pub async fn start() -> Workplace {
        Workplace::start_with(None, None).await
    }

    /// With an aggregator (`url`, base64 `key`).
    pub async fn start_with(url: Option<String>, key: Option<String>) -> Workplace {
        let dir = tempfile::tempdir().expect("tempdir");
        let node = Node::init(
            dir.path(),
            InitOptions {
                name: "Gemeinde Prüfstadt".into(),
                kind: "gemeinde".into(),
                state: "DE-BY".into(),
                size: 4_200,
                aggregator_url: url,
                aggregator_key: key,
                policy: None,
                committee_fingerprint: None,
            },
        )
        .expect("init");
        for role in Role::ALL {
            people::add_account(&node, role.key(), role, PASSWORD, "test").expect("account");
        }
        drop(node);
        Workplace::serve(dir).await
    }

    /// Serves the node in `dir` (accounts already made).
    pub async fn serve(dir: tempfile::TempDir) -> Workplace {
        let site = Arc::new(Site::new(dir.path(), SystemClock::shared(), false).expect("site"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let s = site.clone();
        tokio::spawn(async move {
            let _ = web::serve(listener, s, async {
                let _ = stopped.await;
            })
            .await;
        });
        Workplace {
            addr,
            site,
            dir,
            _stop: stop,
        }
    }

    #[allow(
        dead_code,
        reason = "for the page tests of the inventory, rounds and people, merged from their branches"
    )]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A browser without a session.
    pub fn browser(&self) -> Browser {
        Browser {
            addr: self.addr,
            cookies: HashMap::new(),
            csrf: None,
            base: String::new(),
        }
    }

    /// A browser logged in as the account of `role`.
    pub async fn login(&self, role: Role) -> Browser {
        let mut b = self.browser();
        b.login(role.key(), PASSWORD).await;
        b
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Fails the test with the body if the status is not `status`.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Answer {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    #[track_caller]
    pub fn contains(&self, text: &str) -> &Answer {
        assert!(self.body.contains(text), "{text:?} not in: {}", self.body);
        self
    }
}

/// A person's browser: cookies, and the CSRF token of the last page.
pub struct Browser {
    pub addr: std::net::SocketAddr,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
    /// The prefix of every path asked for (`/t/<id>` on a hosted node).
    pub base: String,
}

impl Browser {
    pub async fn login(&mut self, name: &str, password: &str) -> Answer {
        self.get("/login").await;
        let a = self
            .post(
                "/login",
                &[("name", name), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(a.status, 303, "log-in of {name} failed: {}", a.body);
        a
    }

    /// GET, following no redirect.
    pub async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None, "").await
    }

    /// GET, then follow one redirect if there is one.
    #[allow(
        dead_code,
        reason = "for the page tests of the inventory, rounds and people, merged from their branches"
    )]
    pub async fn follow(&mut self, path: &str) -> Answer {
        let a = self.get(path).await;
        match (a.status, a.header("location")) {
            (303 | 302, Some(l)) => {
                let l = l.strip_prefix(self.base.as_str()).unwrap_or(l).to_string();
                self.get(&l).await
            }
            _ => a,
        }
    }

    /// POST a url-encoded form with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POST exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            &body,
        )
        .await
    }

    /// POST a multipart form with one file (and the CSRF token of the last page).
    #[allow(
        dead_code,
        reason = "for the page tests of the inventory, rounds and people, merged from their branches"
    )]
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Answer {
        let boundary = "----sovbenchtestboundary7MA4YWxk";
        let mut body = Vec::new();
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        for (k, v) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.send_bytes("POST", path, Some(&ct), &body).await
    }

    async fn send(&mut self, method: &str, path: &str, ct: Option<&str>, body: &str) -> Answer {
        self.send_bytes(method, path, ct, body.as_bytes()).await
    }

    async fn send_bytes(
        &mut self,
        method: &str,
        path: &str,
        ct: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let path = format!("{}{path}", self.base);
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(ct) = ct {
            req.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).await.expect("write");
        stream.write_all(body).await.expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let answer = parse(&raw);
        for (k, v) in &answer.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        if let Some(t) = csrf_of(&answer.body) {
            self.csrf = Some(t);
        }
        answer
    }
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_of(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let rest = &body[i..];
    Some(rest[..rest.find('"')?].to_string())
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}
