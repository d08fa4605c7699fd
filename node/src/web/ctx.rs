//! A request's context ([`Ctx`]): the node it acts for, the person and role of its session, the
//! language, and the CSRF check of its forms. [`Ctx::enter`] is the one door: every page
//! handler passes through it with the [`Action`] it needs.

use axum::http::{header, HeaderMap, HeaderValue, Uri};
use sovbench_core::i18n::Lang;

use crate::node::Node;
use crate::people::{self, Action, Session};
use crate::web::error::WebError;
use crate::web::site::{NodeGuard, Site};

/// Name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "sovbench_lang";

tokio::task_local! {
    /// The path prefix of the administration a request acts for: `/t/{tenant}` on a hosted
    /// node ([`crate::web::hosted`] sets it around the tenant's router), empty on a node of one
    /// administration. Pages see paths without it; every link, form action, redirect and
    /// cookie path they make gets it through [`href`].
    pub static BASE: String;
}

/// The prefix of this request's administration ([`BASE`]), or "".
pub fn base() -> String {
    BASE.try_with(Clone::clone).unwrap_or_default()
}

/// A path of this administration's workplace as the browser must ask for it.
pub fn href(path: &str) -> String {
    format!("{}{path}", base())
}

/// A signed-in request.
pub struct Ctx<'a> {
    /// The node (its store is held until the answer is written).
    pub node: NodeGuard<'a>,
    /// The session.
    pub session: Session,
    /// The session token (to store a confirmation for the next page).
    pub token: String,
    /// The language of the answer.
    pub lang: Lang,
    /// The path and query of the request (for the language switch and log-in).
    pub uri: Uri,
    /// The confirmation to show once, from the previous action.
    pub flash: Option<String>,
}

impl<'a> Ctx<'a> {
    /// Opens the node, finds the session of the request's cookie and checks that its role may
    /// do `action`. No session: [`WebError::SignIn`] (the log-in page, then back here).
    pub async fn enter(
        site: &'a Site,
        headers: &HeaderMap,
        uri: &Uri,
        action: Action,
    ) -> Result<Ctx<'a>, WebError> {
        let lang = lang_of(headers, uri);
        let node = site.node().await?;
        let Some(token) = cookie(headers, site.cookie_name()) else {
            return Err(WebError::SignIn(next_of(uri)));
        };
        let Some(session) = people::session(&node, &token)? else {
            // A token this administration does not know: expired, logged out, or another
            // administration's (or node's) session.
            tracing::warn!(base = %base(), path = %uri.path(), "refused: unknown or expired session");
            return Err(WebError::SignIn(next_of(uri)));
        };
        if !session.role.may(action) {
            tracing::warn!(person = %session.account, role = session.role.key(), ?action, path = %uri.path(), "refused: role");
            return Err(WebError::Forbidden {
                lang,
                role: session.role,
            });
        }
        let flash = if session.flash.is_some() {
            people::take_flash(&node, &token)?
        } else {
            None
        };
        Ok(Ctx {
            node,
            session,
            token,
            lang,
            uri: uri.clone(),
            flash,
        })
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The person's account name.
    pub fn person(&self) -> &str {
        &self.session.account
    }

    /// Whether the person's role may do `action` (to show or hide a form).
    pub fn may(&self, action: Action) -> bool {
        self.session.role.may(action)
    }

    /// Refuses a form whose CSRF token is missing or not this session's, and a role that may
    /// not do `action`.
    pub fn check_form(&self, csrf: Option<&str>, action: Action) -> Result<(), WebError> {
        match csrf {
            Some(t) if people::same_secret(t, &self.session.csrf) => {}
            _ => {
                tracing::warn!(person = %self.session.account, path = %self.uri.path(), "refused: CSRF token");
                return Err(WebError::Csrf(self.lang));
            }
        }
        if !self.may(action) {
            tracing::warn!(person = %self.session.account, ?action, path = %self.uri.path(), "refused: role");
            return Err(WebError::Forbidden {
                lang: self.lang,
                role: self.session.role,
            });
        }
        Ok(())
    }

    /// Logs a change with the person who made it, keeps `confirmation` for the next page, and
    /// answers with a redirect to `to` (Post/Redirect/Get).
    pub fn done(
        &self,
        change: &str,
        confirmation: &str,
        to: &str,
    ) -> Result<axum::response::Response, WebError> {
        people::log(&self.node, &self.session.account, change)?;
        people::set_flash(&self.node, &self.token, confirmation)?;
        Ok(see_other(&with_lang(to, self.lang)))
    }

    /// Picks the German or English text.
    pub fn t<'s>(&self, de: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(de, en)
    }
}

/// The language of a request: `?lang=`, then the language cookie, then German.
pub fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    query_param(uri, "lang")
        .or_else(|| cookie(headers, LANG_COOKIE))
        .and_then(|l| l.parse().ok())
        .unwrap_or_default()
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The first value of query parameter `name`.
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let q = uri.query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `uri` with the query parameter `lang` set to `lang` (the language switch keeps every other
/// parameter, so the page keeps its state).
pub fn switch_lang(uri: &Uri, lang: Lang) -> String {
    let mut pairs: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    pairs.retain(|(k, _)| k != "lang");
    pairs.push(("lang".into(), lang_key(lang).into()));
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{q}", href(uri.path()))
}

/// The link to `path` of this workplace (prefixed with [`base`]) with `lang`; a `#fragment`
/// stays at the end.
pub fn with_lang(path: &str, lang: Lang) -> String {
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, format!("#{f}")),
        None => (path, String::new()),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{}{sep}lang={}{fragment}", href(path), lang_key(lang))
}

/// `de` or `en`.
pub fn lang_key(lang: Lang) -> &'static str {
    lang.pick("de", "en")
}

/// Where to go after log-in: this request's path and query, if it is a page of this site.
fn next_of(uri: &Uri) -> String {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if pq.starts_with('/') && !pq.starts_with("//") {
        pq.to_string()
    } else {
        "/".into()
    }
}

/// A 303 redirect to `to`, a path as the browser asks for it (already through [`href`] or
/// [`with_lang`]).
pub fn see_other(to: &str) -> axum::response::Response {
    let to = if to.starts_with('/') && !to.starts_with("//") {
        to
    } else {
        "/"
    };
    let mut res = axum::response::Response::new(axum::body::Body::empty());
    *res.status_mut() = axum::http::StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
