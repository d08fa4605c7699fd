//! The browser workplace (`sovbench-node serve --http-listen ADDR`): the administration's pages,
//! rendered on the server with maud (which escapes every value by default), in German or
//! English, usable without JavaScript, with nothing loaded from outside (a Content-Security-Policy
//! enforces it), a CSRF token in every form and a log of every change with who made it.
//!
//! | module | what it does |
//! |---|---|
//! | [`site`] | the [`Site`]: which node, the store held between requests, the log-in limiter |
//! | [`ctx`] | a request's context: the person, the role, the language, the CSRF check |
//! | [`layout`] | the page shell, navigation, language switch, shared pieces |
//! | [`error`] | [`WebError`], the one place where errors become HTTP answers |
//! | [`form`] | reading forms (url-encoded and multipart) with bounded sizes |
//! | [`pages`] | one module per page |
//! | [`oidc`] | log-in through the identity provider (OpenID Connect) |
//!
//! Each request knows which administration it acts for ([`ctx::Ctx::node`]) and which person
//! with which role ([`ctx::Ctx::session`]); a hosted node or a log-in through an identity
//! provider changes how these are found, not the pages.

pub mod ctx;
pub mod error;
pub mod form;
pub mod layout;
pub mod oidc;
pub mod pages;
pub mod site;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use sovbench_core::i18n::Lang;

pub use error::WebError;
pub use site::Site;

/// Largest request body (an inventory upload): 4 MiB.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The workplace's routes: `(method, path)`, for the tests that call every route.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/oidc/login"),
    ("GET", "/oidc/callback"),
    ("GET", "/selftest"),
    ("POST", "/selftest"),
    ("GET", "/peers"),
    ("POST", "/peers/offer"),
    ("POST", "/peers/confirm"),
    ("POST", "/peers/withdraw"),
    ("POST", "/peers/contact"),
    ("POST", "/peers/answer"),
    ("GET", "/people"),
    ("POST", "/people/add"),
    ("POST", "/people/remove"),
    ("POST", "/people/password"),
    ("GET", "/rounds"),
    ("POST", "/rounds/send"),
    ("POST", "/rounds/deliver"),
    ("GET", "/comparison"),
    ("POST", "/comparison/fetch"),
    ("GET", "/comparison/report.html"),
    ("GET", "/comparison/report.ods"),
    ("GET", "/privacy"),
    ("GET", "/privacy/report.md"),
    ("GET", "/inventory"),
    ("POST", "/inventory/upload"),
    ("POST", "/inventory/import"),
    ("GET", "/inventory/system"),
    ("POST", "/inventory/system"),
    ("POST", "/inventory/remove"),
    ("POST", "/inventory/exit"),
    ("POST", "/inventory/readiness"),
    ("GET", "/procurement"),
    ("POST", "/procurement/criteria"),
    ("POST", "/procurement/candidates"),
    ("GET", "/procurement/export.ods"),
    ("GET", "/paths"),
    ("POST", "/paths/add"),
    ("POST", "/paths/advance"),
    ("POST", "/paths/rollback"),
];

/// The router of the workplace of `site`.
pub fn router(site: Arc<Site>) -> Router {
    Router::new()
        .route("/", get(pages::start::page))
        .route("/login", get(pages::login::page).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/oidc/login", get(oidc::login))
        .route("/oidc/callback", get(oidc::callback))
        .route(
            "/selftest",
            get(pages::selftest::page).post(pages::selftest::submit),
        )
        .route("/peers", get(pages::peers::page))
        .route("/peers/offer", post(pages::peers::offer))
        .route("/peers/confirm", post(pages::peers::confirm))
        .route("/peers/withdraw", post(pages::peers::withdraw))
        .route("/peers/contact", post(pages::peers::contact))
        .route("/peers/answer", post(pages::peers::answer))
        .route("/people", get(pages::people::page))
        .route("/people/add", post(pages::people::add))
        .route("/people/remove", post(pages::people::remove))
        .route("/people/password", post(pages::people::password))
        .route("/rounds", get(pages::rounds::page))
        .route("/rounds/send", post(pages::rounds::send))
        .route("/rounds/deliver", post(pages::rounds::deliver))
        .route("/comparison", get(pages::comparison::page))
        .route("/comparison/fetch", post(pages::comparison::fetch))
        .route(
            "/comparison/report.html",
            get(pages::comparison::report_html),
        )
        .route("/comparison/report.ods", get(pages::comparison::report_ods))
        .route("/privacy", get(pages::privacy::page))
        .route("/privacy/report.md", get(pages::privacy::report))
        .route("/inventory", get(pages::inventory::page))
        .route("/inventory/upload", post(pages::inventory::upload::upload))
        .route("/inventory/import", post(pages::inventory::upload::import))
        .route(
            "/inventory/system",
            get(pages::inventory::system::page).post(pages::inventory::system::submit),
        )
        .route("/inventory/remove", post(pages::inventory::system::remove))
        .route("/inventory/exit", post(pages::inventory::system::exit))
        .route(
            "/inventory/readiness",
            post(pages::inventory::readiness::submit),
        )
        .route("/procurement", get(pages::procurement::page))
        .route("/procurement/criteria", post(pages::procurement::criteria))
        .route(
            "/procurement/candidates",
            post(pages::procurement::candidates),
        )
        .route("/procurement/export.ods", get(pages::procurement::export))
        .route("/paths", get(pages::paths::page))
        .route("/paths/add", post(pages::paths::add))
        .route("/paths/advance", post(pages::paths::advance))
        .route("/paths/rollback", post(pages::paths::rollback))
        .route("/static/workplace.css", get(layout::stylesheet))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(security_headers))
        .with_state(site)
}

/// Serves the workplace on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    site: Arc<Site>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    site.start_idle_closer();
    let app = router(site).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The security headers of every answer: nothing from outside, no framing, no sniffing, no
/// referrer, no caching of pages with personal data.
async fn security_headers(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let lang = ctx::query_param(req.uri(), "lang").and_then(|l| l.parse::<Lang>().ok());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A language chosen with `?lang=` stays chosen for the next pages.
    if let Some(lang) = lang {
        let c = format!(
            "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            ctx::LANG_COOKIE,
            ctx::lang_key(lang)
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}
