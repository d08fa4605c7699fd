//! The benchmark portal: an open HTTP API and a server-rendered dashboard over the aggregator's
//! archive of publications, on its own listener (`serve --http-listen ADDR`, see docs/PORTAL.md).
//!
//! Only published rounds are visible, and only what their signed publications contain; nothing
//! needs a login. Publications never change once stored, so the round endpoints carry strong
//! ETags and answer `If-None-Match` with 304. Every client address has a token bucket
//! ([`limit`]).
//!
//! | module | what it does |
//! |---|---|
//! | [`archive`] | the published rounds, oldest first, verified once and cached; `ListPublications` |
//! | [`api`] | the JSON and CSV endpoints under `/api/v1` |
//! | [`trends`] | estimates across rounds and the interval of each change between rounds |
//! | [`openapi`] | the table of API routes and the OpenAPI 3 document built from it |
//! | [`html`] | the dashboard pages (German and English, WCAG 2.1 AA) |
//! | [`labels`] | readable cohort names |
//! | [`limit`] | the per-address token bucket |
//! | [`http`] | query strings, languages, ETags, security headers, and the one mapping of errors to HTTP answers |
//!
//! ```no_run
//! # async fn demo(agg: std::sync::Arc<sovbench_aggregator::Aggregator>) -> std::io::Result<()> {
//! use sovbench_aggregator::portal::{self, PortalOptions};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! portal::serve(agg, listener, PortalOptions::default(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

pub mod api;
pub mod archive;
pub mod html;
pub mod http;
pub mod labels;
pub mod limit;
pub mod openapi;
pub mod trends;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::aggregator::Aggregator;
use crate::error::AggError;
use archive::{Archive, Archived};
use limit::{RateLimit, RateLimiter};

/// Options of the portal.
#[derive(Debug, Clone, Default)]
pub struct PortalOptions {
    /// Requests per second and burst per client address.
    pub rate: RateLimit,
}

/// What every handler shares: the aggregator, the cache of publications, the rate limiter.
#[derive(Debug)]
pub struct Portal {
    agg: Arc<Aggregator>,
    archive: Archive,
    limiter: RateLimiter,
}

impl Portal {
    /// A portal over `agg`.
    pub fn new(agg: Arc<Aggregator>, opts: PortalOptions) -> Portal {
        Portal {
            agg,
            archive: Archive::default(),
            limiter: RateLimiter::new(opts.rate),
        }
    }

    /// Every published round, oldest first.
    pub fn rounds(&self) -> Result<Vec<Arc<Archived>>, AggError> {
        self.archive.all(self.agg.store())
    }

    /// One published round; `None` if unknown or not published.
    pub fn round(&self, id: &str) -> Result<Option<Arc<Archived>>, AggError> {
        self.archive.get(self.agg.store(), id)
    }

    /// The consortium's name.
    pub fn consortium(&self) -> String {
        self.agg.consortium().unwrap_or_default()
    }
}

/// The portal's routes: the API ([`openapi::ROUTES`]) and the dashboard ([`html`]), behind the
/// rate limit, every answer with the security headers of [`http::protect`].
pub fn router(portal: Arc<Portal>) -> Router {
    let api = Router::new()
        .route(openapi::ROUNDS, get(api::rounds))
        .route(openapi::ROUND, get(api::round))
        .route(openapi::CELLS, get(api::cells))
        .route(openapi::CELLS_CSV, get(api::cells_csv))
        .route(openapi::TRENDS, get(api::trends))
        .route(openapi::OPENAPI, get(api::openapi));
    api.merge(html::routes())
        .fallback(http::not_found)
        .layer(axum::middleware::from_fn_with_state(
            portal.clone(),
            limit::middleware,
        ))
        // Outermost: the 429 of the limiter carries the headers too.
        .layer(axum::middleware::from_fn(http::security_headers))
        .with_state(portal)
}

/// Serves the portal of `agg` on `listener` until `shutdown` completes; then stops accepting and
/// lets in-flight requests finish.
pub async fn serve(
    agg: Arc<Aggregator>,
    listener: TcpListener,
    opts: PortalOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::new(Portal::new(agg, opts)));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
