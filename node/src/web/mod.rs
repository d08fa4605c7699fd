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
pub mod hosted;
pub mod layout;
pub mod oidc;
pub mod pages;
pub mod routes;
pub mod site;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::routing::MethodRouter;
use axum::Router;
use sovbench_core::i18n::Lang;

pub use error::WebError;
pub use routes::routes;
pub use site::Site;

/// Largest request body (an inventory upload): 4 MiB.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The router of the workplace of `site`, built from [`routes::all`].
pub fn router(site: Arc<Site>) -> Router {
    let mut by_path: Vec<(&'static str, MethodRouter<Arc<Site>>)> = Vec::new();
    for (_, path, handler) in routes::all() {
        match by_path.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => {
                let merged = std::mem::take(existing).merge(handler);
                *existing = merged;
            }
            None => by_path.push((path, handler)),
        }
    }
    by_path
        .into_iter()
        .fold(Router::new(), |r, (path, handler)| r.route(path, handler))
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
