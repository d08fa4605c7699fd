//! A token bucket per client address: each address may make `burst` requests at once and
//! `per_second` on average; beyond that the portal answers 429 with `Retry-After`. Behind a
//! reverse proxy every request comes from the proxy's address: limit there (docs/OPERATIONS.md).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::http::json_response;
use super::Portal;

/// Addresses remembered at most; beyond, full buckets are forgotten.
const MAX_CLIENTS: usize = 10_000;

/// The limit of one client address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Average requests per second.
    pub per_second: f64,
    /// Requests at once.
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 20.0,
            burst: 40.0,
        }
    }
}

/// The buckets of all client addresses.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter with `limit` for every address.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token of `ip` at `now`: `Ok` if there was one, else the seconds until there is.
    pub fn take(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let RateLimit { per_second, burst } = self.limit;
        // A poisoned lock only means another request panicked: its buckets are still usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&ip) {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*at).as_secs_f64();
        *tokens = (*tokens + elapsed * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else if per_second > 0.0 {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        } else {
            Err(3600)
        }
    }
}

/// The middleware: 429 with `Retry-After` when the client's bucket is empty.
pub async fn middleware(
    State(portal): State<Arc<Portal>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    match portal.limiter.take(addr.ip(), Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"error": {"status": 429, "message": format!("too many requests; try again in {wait} s")}}),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_bucket_allows_the_burst_then_the_rate() {
        let l = RateLimiter::new(RateLimit {
            per_second: 2.0,
            burst: 4.0,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..4 {
            assert_eq!(l.take(ip, t), Ok(()));
        }
        assert_eq!(l.take(ip, t), Err(1));
        assert_eq!(l.take(other, t), Ok(()), "each address has its own bucket");
        // Half a second refills one token at 2 per second.
        assert_eq!(l.take(ip, t + Duration::from_millis(500)), Ok(()));
        assert!(l.take(ip, t + Duration::from_millis(500)).is_err());
        // Long idle refills only up to the burst.
        let later = t + Duration::from_secs(100);
        for _ in 0..4 {
            assert_eq!(l.take(ip, later), Ok(()));
        }
        assert!(l.take(ip, later).is_err());
    }
}
