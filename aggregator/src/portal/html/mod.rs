//! The dashboard: server-rendered HTML pages in German (default) or English (`?lang=en`), with
//! inline CSS and inline SVG, loading nothing from outside. Built for WCAG 2.1 AA / BITV 2.0:
//! a skip link, landmarks (`header`, `nav`, `main`, `footer`), headings in order, tables with
//! captions and `th scope`, every chart with a text alternative and its data as a table,
//! visible keyboard focus, and colours with at least 4.5:1 contrast.
//!
//! | page | path |
//! |---|---|
//! | round overview | `/` |
//! | one round | `/rounds/{id}` |
//! | one cohort of a round | `/rounds/{id}/cohorts/{cohort}` |
//! | a metric across rounds | `/trends/{metric}?cohort=` |
//! | migration paths | `/paths?cohort=` |
//! | methodology | `/methodik` |

mod chart;
mod method;
mod pages;
mod trend;

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sovbench_core::i18n::Lang;

use super::http::{page_lang, param, percent_encode, typed, ApiError};
use super::Portal;

/// The dashboard's routes.
pub fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/", get(overview))
        .route("/rounds/{id}", get(round))
        .route("/rounds/{id}/cohorts/{cohort}", get(cohort))
        .route("/trends/{metric}", get(trend_page))
        .route("/paths", get(paths))
        .route("/methodik", get(methodology))
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A link target within the dashboard, keeping the language (`path` already encoded).
pub fn href(path: &str, lang: Lang, query: &[(&str, &str)]) -> String {
    let mut q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    if lang == Lang::En {
        q.push("lang=en".into());
    }
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&amp;"))
    }
}

const CSS: &str = "
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#0b4f9c;padding:.5rem 1rem;z-index:9}
.skip:focus{left:1rem}
header,footer{background:#0b3a6e;color:#fff;padding:.75rem 1.5rem}
header a,footer a{color:#fff}
header .brand{font-weight:700;font-size:1.1rem}
nav ul{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
nav a[aria-current=page]{font-weight:700;text-decoration:underline 3px}
main{max-width:70rem;margin:0 auto;padding:1rem 1.5rem 2rem}
a{color:#0b4f9c}
a:focus-visible,button:focus-visible,select:focus-visible{outline:3px solid #c05600;outline-offset:2px}
table{border-collapse:collapse;margin:1rem 0;width:100%}
caption{text-align:left;font-weight:700;padding:.25rem 0}
th,td{border:1px solid #8a8a8a;padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:#e8eef6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#4a4a4a}
.yes{color:#0a6b2d;font-weight:700}
.no{color:#4a4a4a}
figure{margin:1rem 0}
svg text{fill:#1a1a1a;font-size:12px}
form{margin:1rem 0}
select,button{font:inherit;padding:.25rem .5rem}
";

/// A complete page: head, skip link, header with navigation, `main`, footer.
pub fn page(portal: &Portal, lang: Lang, title: &str, current: &str, body: &str) -> Response {
    let mut h = String::with_capacity(body.len() + 4096);
    let code = lang.pick("de", "en");
    let other = match lang {
        Lang::De => ("en", "English", "?lang=en"),
        Lang::En => ("de", "Deutsch", "?lang=de"),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} – sovbench</title><style>{CSS}</style></head><body>\
<a class=\"skip\" href=\"#inhalt\">{}</a><header><div class=\"brand\">sovbench – {}</div>\
<nav aria-label=\"{}\"><ul>",
        esc(title),
        lang.pick("Zum Inhalt springen", "Skip to content"),
        esc(&portal.consortium()),
        lang.pick("Hauptnavigation", "Main navigation"),
    );
    for (key, path, label) in [
        ("rounds", "/", lang.pick("Runden", "Rounds")),
        (
            "trends",
            "/trends/selftest.total",
            lang.pick("Entwicklung", "Trends"),
        ),
        (
            "paths",
            "/paths",
            lang.pick("Migrationspfade", "Migration paths"),
        ),
        ("method", "/methodik", lang.pick("Methodik", "Methodology")),
    ] {
        let cur = if key == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<li><a href=\"{}\"{cur}>{label}</a></li>",
            href(path, lang, &[])
        );
    }
    let _ = write!(
        h,
        "<li><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></li></ul></nav></header>\
<main id=\"inhalt\" tabindex=\"-1\">{body}</main><footer><p>{} \
<a href=\"/api/v1/openapi.json\">{}</a></p></footer></body></html>",
        other.2,
        other.0,
        other.0,
        other.1,
        lang.pick(
            "Veröffentlichte, signierte Benchmarks. Offene Schnittstelle:",
            "Published, signed benchmarks. Open API:"
        ),
        lang.pick("OpenAPI-Beschreibung", "OpenAPI description"),
    );
    let mut r = typed(StatusCode::OK, "text/html; charset=utf-8", h.into_bytes());
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
        ),
    );
    r
}

/// An error as a page, with the error's status.
fn error_page(portal: &Portal, lang: Lang, err: &ApiError) -> Response {
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(error = %err, "dashboard page failed");
    }
    let title = if status == StatusCode::NOT_FOUND {
        lang.pick("Nicht gefunden", "Not found")
    } else {
        lang.pick("Fehler", "Error")
    };
    let body = format!(
        "<h1>{title}</h1><p>{}</p><p><a href=\"{}\">{}</a></p>",
        esc(&err.to_string()),
        href("/", lang, &[]),
        lang.pick("Zur Übersicht der Runden", "To the overview of rounds")
    );
    let mut r = page(portal, lang, title, "", &body);
    *r.status_mut() = status;
    r
}

fn answer(portal: &Portal, lang: Lang, res: Result<Response, ApiError>) -> Response {
    res.unwrap_or_else(|e| error_page(portal, lang, &e))
}

async fn overview(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let lang = page_lang(q.as_deref());
    answer(&p, lang, pages::overview(&p, lang))
}

async fn round(
    State(p): State<Arc<Portal>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(q.as_deref());
    answer(&p, lang, pages::round(&p, &id, lang))
}

async fn cohort(
    State(p): State<Arc<Portal>>,
    Path((id, cohort)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(q.as_deref());
    answer(&p, lang, pages::cohort(&p, &id, &cohort, lang))
}

async fn trend_page(
    State(p): State<Arc<Portal>>,
    Path(metric): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(q.as_deref());
    let cohort = param(q.as_deref(), "cohort")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "all".into());
    answer(&p, lang, trend::trend(&p, &metric, &cohort, lang))
}

async fn paths(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let lang = page_lang(q.as_deref());
    let cohort = param(q.as_deref(), "cohort")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "all".into());
    answer(&p, lang, trend::paths(&p, &cohort, lang))
}

async fn methodology(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let lang = page_lang(q.as_deref());
    let body = method::body(lang);
    page(
        &p,
        lang,
        lang.pick("Methodik", "Methodology"),
        "method",
        &body,
    )
}

/// Renders a page by its dashboard path and query (for the benchmark): the same code the
/// handlers run, without HTTP.
pub fn render(portal: &Portal, path: &str, query: Option<&str>) -> Result<Response, ApiError> {
    let lang = page_lang(query);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [""] => pages::overview(portal, lang),
        ["rounds", id] => pages::round(portal, id, lang),
        ["rounds", id, "cohorts", c] => pages::cohort(portal, id, c, lang),
        ["trends", m] => trend::trend(
            portal,
            m,
            &param(query, "cohort").unwrap_or_else(|| "all".into()),
            lang,
        ),
        ["paths"] => trend::paths(portal, "all", lang),
        ["methodik"] => Ok(page(
            portal,
            lang,
            "Methodik",
            "method",
            &method::body(lang),
        )),
        _ => Err(ApiError::NotFound(path.to_string())),
    }
}
