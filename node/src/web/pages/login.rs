//! Log-in and log-out. The log-in form carries a token bound to a cookie of its own (there is no
//! session yet); failed log-ins are counted per name and per address, refused for a while after
//! too many ([`crate::web::site::MAX_FAILS`]), and logged.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;
use sovbench_core::i18n::Lang;

use crate::people;
use crate::web::ctx::{self, cookie, lang_of, query_param, see_other};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout;
use crate::web::site::Site;

/// The cookie of the log-in form's token.
const PRE: &str = "sovbench_login";

/// `GET /login`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let lang = lang_of(&headers, &uri);
    let next = safe_next(query_param(&uri, "next"));
    // Already signed in: on to the page.
    if let Some(token) = cookie(&headers, site.cookie_name()) {
        let node = site.node().await?;
        if people::session(&node, &token)?.is_some() {
            return Ok(see_other(&ctx::href(&next)));
        }
    }
    let no_accounts = site.node().await?.store().accounts()?.is_empty();
    form(&site, lang, &next, None, no_accounts, "")
}

fn form(
    site: &Site,
    lang: Lang,
    next: &str,
    problem: Option<&str>,
    no_accounts: bool,
    name: &str,
) -> Result<Response, WebError> {
    let provider = site.oidc().map(|o| o.display_name());
    let provider_login = format!(
        "{}?{}",
        ctx::href("/oidc/login"),
        serde_urlencoded::to_string([("next", next), ("lang", ctx::lang_key(lang))])
            .unwrap_or_default()
    );
    let pre = people::random_hex()?;
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let other = match lang {
        Lang::De => Lang::En,
        Lang::En => Lang::De,
    };
    let switch = format!(
        "{}?{}",
        ctx::href("/login"),
        serde_urlencoded::to_string([("next", next), ("lang", ctx::lang_key(other))])
            .unwrap_or_default()
    );
    let body = layout::bare(
        lang,
        lang.pick("Anmelden", "Log in"),
        html! {
            p { a href=(switch) lang=(ctx::lang_key(other)) hreflang=(ctx::lang_key(other)) { (other.pick("Deutsch", "English")) } }
            @if no_accounts && provider.is_none() {
                div class="warning" role="alert" {
                    p { (lang.pick(
                        "Auf diesem Knoten gibt es noch kein Konto. Ihre IT legt das erste an mit: ",
                        "This node has no account yet. Your IT creates the first one with: ")) }
                    p { code { "sovbench-node accounts add NAME --role approver" } }
                }
            }
            @if let Some(name) = &provider {
                // A link, not a form: the redirect to the provider must not be a form's
                // (the Content-Security-Policy allows forms to this site only).
                p { a class="button" id="oidc-login" href=(provider_login) {
                    (lang.pick("Anmelden über", "Log in through")) " " (name)
                } }
                p { (lang.pick("Oder mit einem lokalen Konto dieses Knotens:", "Or with a local account of this node:")) }
            }
            @if let Some(p) = problem {
                div class="problem" role="alert" id="login-problem" { p { (p) } }
            }
            form method="post" action=(ctx::with_lang("/login", lang)) {
                input type="hidden" name="csrf" value=(pre);
                input type="hidden" name="next" value=(next);
                label for="name" { (lang.pick("Kontoname", "Account name")) }
                input type="text" id="name" name="name" autocomplete="username" required value=(name)
                    aria-describedby=[problem.map(|_| "login-problem")];
                label for="password" { (lang.pick("Passwort", "Password")) }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { (lang.pick("Anmelden", "Log in")) } }
            }
        },
    );
    let mut res = (status, body).into_response();
    let c = format!(
        "{PRE}={pre}; Path={}; HttpOnly; SameSite=Strict; Max-Age=3600",
        ctx::href("/login")
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /login`.
pub async fn submit(
    State(site): State<Arc<Site>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let lang = lang_of(&headers, &uri);
    let f = Fields::parse(&body, lang)?;
    let next = safe_next(f.get("next").map(str::to_string));
    match (f.csrf(), cookie(&headers, PRE)) {
        (Some(a), Some(b)) if people::same_secret(a, &b) => {}
        _ => {
            tracing::warn!(peer = %peer.ip(), "refused: log-in without a valid form token");
            return Err(WebError::Csrf(lang));
        }
    }
    let name = f.text("name");
    let password = f.get("password").unwrap_or_default().to_string();
    let keys = [format!("name:{name}"), format!("ip:{}", peer.ip())];
    let now = site.now();
    let node = site.node().await?;
    let no_accounts = node.store().accounts()?.is_empty();
    if site.login_blocked(&keys, now) {
        tracing::warn!(name = %name, peer = %peer.ip(), "log-in refused: too many failures");
        people::log(&node, &name, "Anmeldung gesperrt nach zu vielen Fehlversuchen / log-in blocked after too many failures")?;
        let minutes = crate::web::site::FAIL_WINDOW_SECS / 60;
        let text = format!(
            "{} {minutes} {}",
            lang.pick(
                "Zu viele fehlgeschlagene Anmeldungen. Bitte in",
                "Too many failed log-ins. Please try again in"
            ),
            lang.pick("Minuten erneut versuchen.", "minutes.")
        );
        return form(&site, lang, &next, Some(&text), no_accounts, &name);
    }
    match people::authenticate(&node, &name, &password)? {
        Some(account) => {
            site.login_succeeded(&keys);
            let (token, _) = people::start_session(&node, &account)?;
            people::log(&node, &account.name, "angemeldet / logged in")?;
            node.store().purge_sessions(now)?;
            let c = site.session_cookie(&token);
            let mut res = see_other(&ctx::with_lang(&next, lang));
            if let Ok(v) = HeaderValue::from_str(&c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        None => {
            site.login_failed(&keys, now);
            tracing::warn!(name = %name, peer = %peer.ip(), "log-in failed");
            if node.store().account(&name)?.is_some() {
                people::log(&node, &name, "Anmeldung fehlgeschlagen / log-in failed")?;
            }
            let text = lang.pick(
                "Kontoname oder Passwort stimmt nicht.",
                "Account name or password is wrong.",
            );
            form(&site, lang, &next, Some(text), no_accounts, &name)
        }
    }
}

/// `POST /logout`.
pub async fn logout(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = ctx::Ctx::enter(&site, &headers, &uri, people::Action::ReadPrivacy).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), people::Action::ReadPrivacy)?;
    people::end_session(c.node(), &c.token)?;
    people::log(c.node(), c.person(), "abgemeldet / logged out")?;
    let mut res = see_other(&ctx::with_lang("/login", c.lang));
    let gone = site.session_cookie("");
    if let Ok(v) = HeaderValue::from_str(&gone) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// A path of this site to return to after log-in; anything else becomes `/`.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login")
                && !n.starts_with("/oidc/") =>
        {
            n
        }
        _ => "/".into(),
    }
}
