//! HTTP helpers of the portal: query strings, the language of an answer, ETags, JSON answers,
//! the security headers of every answer ([`security_headers`]), and [`ApiError`], the one place
//! where errors become HTTP status codes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sovbench_core::i18n::Lang;

use crate::error::AggError;

/// Why a portal request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No published round with this id.
    #[error("no published round {0:?}")]
    UnknownRound(String),
    /// No such page or resource.
    #[error("not found: {0}")]
    NotFound(String),
    /// A query parameter is missing or wrong.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The store or a stored publication failed.
    #[error(transparent)]
    Agg(#[from] AggError),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::UnknownRound(_) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Agg(AggError::NoPublication(_) | AggError::UnknownRound(_)) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Agg(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "portal request failed");
        }
        json_response(
            status,
            &json!({"error": {"status": status.as_u16(), "message": self.to_string()}}),
        )
    }
}

/// Answer of routes that do not exist.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(uri.path().chars().take(200).collect())
}

/// A JSON answer.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    typed(status, "application/json", body)
}

/// An answer with a content type.
pub fn typed(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The middleware around every route (outermost, so that 404 and 429 answers get it too): see
/// [`protect`].
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    protect(r.headers_mut());
    r
}

/// Sets the security headers of an answer with these headers: `X-Content-Type-Options: nosniff`
/// on every answer (a browser must not guess HTML in a CSV or JSON body); on pages (`text/html`)
/// also `X-Frame-Options: DENY` and the directive `frame-ancestors 'none'` in the page's
/// `Content-Security-Policy` (added to the policy the page has, replacing a `frame-ancestors`
/// of its own): no other site may frame the dashboard (clickjacking).
pub fn protect(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let page = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("text/html"));
    if !page {
        return;
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let policy = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut directives: Vec<&str> = policy
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            !d.split_whitespace()
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("frame-ancestors"))
        })
        .collect();
    directives.push("frame-ancestors 'none'");
    if let Ok(v) = HeaderValue::from_str(&directives.join("; ")) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// Decodes `%XX` escapes and `+` (as space) of a query component; invalid escapes stay as they
/// are, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(hex_digit),
                b.get(i + 2).and_then(hex_digit),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(c: &u8) -> Option<u8> {
    (*c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of query parameter `name` (first occurrence), decoded.
pub fn param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

/// The answer's language: `?lang=` if given, else the first of de/en in `Accept-Language`,
/// else German.
pub fn lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(l) = param(query, "lang").and_then(|l| l.parse().ok()) {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let tag = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag == "de" || tag.starts_with("de-") {
            return Lang::De;
        }
        if tag == "en" || tag.starts_with("en-") {
            return Lang::En;
        }
    }
    Lang::De
}

/// The dashboard's language: `?lang=en` or German.
pub fn page_lang(query: Option<&str>) -> Lang {
    param(query, "lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or_default()
}

/// Whether the client asks for CSV (`Accept: text/csv`).
pub fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// A strong ETag over the SHA-256 of a signed payload, with a suffix per representation.
pub fn etag(sha256: &[u8; 32], representation: &str) -> String {
    if representation.is_empty() {
        format!("\"{}\"", hex::encode(sha256))
    } else {
        format!("\"{}-{representation}\"", hex::encode(sha256))
    }
}

/// Whether `If-None-Match` matches `tag` (weak comparison, as RFC 9110 asks for this header).
pub fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    let Some(v) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    v.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag
    })
}

/// An answer for an immutable resource: 304 if the client holds `tag`, else `make()` with the
/// ETag and a long cache lifetime.
pub fn immutable(headers: &HeaderMap, tag: &str, make: impl FnOnce() -> Response) -> Response {
    let mut r = if not_modified(headers, tag) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        make()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_encode() {
        assert_eq!(
            param(
                Some("metric=selftest.total&cohort=kind%3Dgemeinde%2Csize%3D5k-20k"),
                "cohort"
            ),
            Some("kind=gemeinde,size=5k-20k".into())
        );
        assert_eq!(param(Some("a=1&b"), "b"), Some(String::new()));
        assert_eq!(param(Some("a=1"), "b"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz+x"), "%zz x");
        for s in [
            "kind=gemeinde,size=5k-20k",
            "path.crm.x#rollback_rate",
            "Thüringen",
        ] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
    }

    #[test]
    fn every_answer_is_nosniff_and_pages_refuse_framing_keeping_their_policy() {
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        protect(&mut json);
        assert_eq!(json[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(json.get(header::X_FRAME_OPTIONS).is_none());
        assert!(json.get(header::CONTENT_SECURITY_POLICY).is_none());

        let mut bare = HeaderMap::new();
        protect(&mut bare);
        assert_eq!(bare[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

        let mut page = HeaderMap::new();
        page.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        page.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors *; img-src data:"),
        );
        protect(&mut page);
        assert_eq!(page[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(page[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(
            page[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; img-src data:; frame-ancestors 'none'"
        );
        let mut plain_page = HeaderMap::new();
        plain_page.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        protect(&mut plain_page);
        assert_eq!(
            plain_page[header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'none'"
        );
    }

    #[test]
    fn languages_and_etags() {
        let mut h = HeaderMap::new();
        assert_eq!(lang(None, &h), Lang::De);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr, en-GB;q=0.8, de;q=0.5"),
        );
        assert_eq!(lang(None, &h), Lang::En);
        assert_eq!(lang(Some("lang=de"), &h), Lang::De);
        let tag = etag(&[1; 32], "");
        assert!(!not_modified(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{tag}")).unwrap(),
        );
        assert!(not_modified(&h, &tag));
        assert!(!not_modified(&h, &etag(&[1; 32], "csv")));
    }
}
