//! The workplace of a hosted node: many administrations behind one process, each under
//! `/t/<id>/`. Each administration's requests go to its own [`Site`] (its own node, store,
//! sessions and cookie), through the same router as a node of its own; [`ctx::BASE`] carries
//! the prefix so that the pages' links, forms, redirects and cookie paths stay inside it.
//!
//! Isolation follows from this: a request under `/t/a/` can only ever open the store of `a`;
//! a session cookie of `b` is unknown in `a`'s store (and is named and scoped for `b`'s paths).
//! The entry page `/` names the provider and lists no administrations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use maud::html;
use sovbench_core::clock::SharedClock;
use tokio::sync::Mutex;
use tower::ServiceExt as _;

use crate::hosting::Hosting;
use crate::web::ctx::{self, lang_of};
use crate::web::error::WebError;
use crate::web::{layout, router, Site};

/// The hosted workplace: the hosting directory and the administrations' sites, opened on their
/// first request.
pub struct Hosted {
    hosting: Hosting,
    clock: SharedClock,
    secure_cookies: bool,
    sites: Mutex<HashMap<String, (Arc<Site>, Router)>>,
}

impl std::fmt::Debug for Hosted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hosted")
            .field("dir", &self.hosting.dir())
            .finish()
    }
}

impl Hosted {
    /// The workplace of the hosting directory `hosting`.
    pub fn new(hosting: Hosting, clock: SharedClock, secure_cookies: bool) -> Hosted {
        Hosted {
            hosting,
            clock,
            secure_cookies,
            sites: Mutex::new(HashMap::new()),
        }
    }

    /// The hosting directory.
    pub fn hosting(&self) -> &Hosting {
        &self.hosting
    }

    /// The site of tenant `id`, opened on first use; `None` for an unknown (or removed) tenant.
    pub async fn site(&self, id: &str) -> Result<Option<(Arc<Site>, Router)>, WebError> {
        if !self.hosting.has(id) {
            // A tenant removed while its site was open: forget the site.
            self.sites.lock().await.remove(id);
            return Ok(None);
        }
        let mut sites = self.sites.lock().await;
        if let Some(s) = sites.get(id) {
            return Ok(Some(s.clone()));
        }
        let site = Arc::new(Site::new(
            &self.hosting.tenant_dir(id),
            self.clock.clone(),
            self.secure_cookies,
        )?);
        site.start_idle_closer();
        let entry = (site.clone(), router(site));
        sites.insert(id.to_string(), entry.clone());
        Ok(Some(entry))
    }
}

/// The router of a hosted node: `/` (entry page), `/static/…`, and `/t/<id>/…` dispatched to
/// the tenant's own workplace.
pub fn hosted_router(hosted: Arc<Hosted>) -> Router {
    Router::new()
        .route("/", axum::routing::get(entry))
        .route(
            "/static/workplace.css",
            axum::routing::get(layout::stylesheet),
        )
        .fallback(dispatch)
        .with_state(hosted)
}

/// Serves the hosted workplace on `listener` until `shutdown` completes.
pub async fn serve_hosted(
    listener: tokio::net::TcpListener,
    hosted: Arc<Hosted>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = hosted_router(hosted).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `GET /`: who runs this node, and how to reach one's own workplace.
async fn entry(
    State(hosted): State<Arc<Hosted>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = lang_of(&headers, &uri);
    let provider = hosted.hosting.config().provider.clone();
    layout::bare(
        lang,
        lang.pick("sovbench-Arbeitsplatz", "sovbench workplace"),
        html! {
            p { (lang.pick("Betrieben von", "Run by")) " " strong { (provider) } "." }
            p { (lang.pick(
                "Jede Verwaltung hat hier ihren eigenen Arbeitsplatz unter einer eigenen Adresse (…/t/Kennung/). Die Adresse und Ihr Konto erhalten Sie von Ihrem IT-Dienstleister.",
                "Each administration has its own workplace here, at an address of its own (…/t/id/). Your IT service provider gives you the address and your account.")) }
        },
    )
    .into_response()
}

/// `/t/<id>/…`: the tenant's own workplace, with the prefix in [`ctx::BASE`].
async fn dispatch(State(hosted): State<Arc<Hosted>>, req: Request) -> Response {
    let lang = lang_of(req.headers(), req.uri());
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/t/") else {
        return WebError::NotFound(lang).into_response();
    };
    let (id, inner) = match rest.split_once('/') {
        Some((id, inner)) => (id.to_string(), format!("/{inner}")),
        // `/t/<id>`: on to `/t/<id>/`.
        None => return ctx::see_other(&format!("/t/{rest}/")),
    };
    let (_site, tenant_router) = match hosted.site(&id).await {
        Ok(Some(s)) => s,
        Ok(None) => return WebError::NotFound(lang).into_response(),
        Err(e) => return e.into_response(),
    };
    let (mut parts, body) = req.into_parts();
    let inner_uri = match parts.uri.query() {
        Some(q) => format!("{inner}?{q}"),
        None => inner,
    };
    parts.uri = match inner_uri.parse() {
        Ok(u) => u,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad path").into_response(),
    };
    let req = Request::from_parts(parts, body);
    let base = format!("/t/{id}");
    match ctx::BASE.scope(base, tenant_router.oneshot(req)).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}
