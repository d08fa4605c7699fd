//! Every route of the workplace, in one list ([`routes`]): the router is built from it and
//! nothing else, and the tests that call every route (session needed, CSRF refused, another
//! administration's session refused) read the same list, so that a new page cannot escape them.

use std::sync::Arc;

use axum::routing::{get, post, MethodRouter};

use crate::web::pages;
use crate::web::site::Site;

/// Routes that answer without a session (log-in, the identity provider's, the stylesheet).
pub const PUBLIC: &[&str] = &[
    "/login",
    "/oidc/login",
    "/oidc/callback",
    "/static/workplace.css",
];

/// Every route: method, path, handler.
pub(crate) fn all() -> Vec<(&'static str, &'static str, MethodRouter<Arc<Site>>)> {
    vec![
        ("GET", "/", get(pages::start::page)),
        ("GET", "/login", get(pages::login::page)),
        ("POST", "/login", post(pages::login::submit)),
        ("POST", "/logout", post(pages::login::logout)),
        ("GET", "/oidc/login", get(crate::web::oidc::login)),
        ("GET", "/oidc/callback", get(crate::web::oidc::callback)),
        ("GET", "/selftest", get(pages::selftest::page)),
        ("POST", "/selftest", post(pages::selftest::submit)),
        ("GET", "/peers", get(pages::peers::page)),
        ("POST", "/peers/offer", post(pages::peers::offer)),
        ("POST", "/peers/confirm", post(pages::peers::confirm)),
        ("POST", "/peers/withdraw", post(pages::peers::withdraw)),
        ("POST", "/peers/contact", post(pages::peers::contact)),
        ("POST", "/peers/answer", post(pages::peers::answer)),
        ("GET", "/people", get(pages::people::page)),
        ("POST", "/people/add", post(pages::people::add)),
        ("POST", "/people/remove", post(pages::people::remove)),
        ("POST", "/people/password", post(pages::people::password)),
        ("GET", "/rounds", get(pages::rounds::page)),
        ("POST", "/rounds/send", post(pages::rounds::send)),
        ("POST", "/rounds/deliver", post(pages::rounds::deliver)),
        ("GET", "/comparison", get(pages::comparison::page)),
        ("POST", "/comparison/fetch", post(pages::comparison::fetch)),
        (
            "GET",
            "/comparison/report.html",
            get(pages::comparison::report_html),
        ),
        (
            "GET",
            "/comparison/report.ods",
            get(pages::comparison::report_ods),
        ),
        ("GET", "/privacy", get(pages::privacy::page)),
        ("GET", "/privacy/report.md", get(pages::privacy::report)),
        ("GET", "/inventory", get(pages::inventory::page)),
        (
            "POST",
            "/inventory/upload",
            post(pages::inventory::upload::upload),
        ),
        (
            "POST",
            "/inventory/import",
            post(pages::inventory::upload::import),
        ),
        (
            "GET",
            "/inventory/system",
            get(pages::inventory::system::page),
        ),
        (
            "POST",
            "/inventory/system",
            post(pages::inventory::system::submit),
        ),
        (
            "POST",
            "/inventory/remove",
            post(pages::inventory::system::remove),
        ),
        (
            "POST",
            "/inventory/exit",
            post(pages::inventory::system::exit),
        ),
        (
            "POST",
            "/inventory/readiness",
            post(pages::inventory::readiness::submit),
        ),
        ("GET", "/procurement", get(pages::procurement::page)),
        (
            "POST",
            "/procurement/criteria",
            post(pages::procurement::criteria),
        ),
        (
            "POST",
            "/procurement/candidates",
            post(pages::procurement::candidates),
        ),
        (
            "GET",
            "/procurement/export.ods",
            get(pages::procurement::export),
        ),
        ("GET", "/paths", get(pages::paths::page)),
        ("POST", "/paths/add", post(pages::paths::add)),
        ("POST", "/paths/advance", post(pages::paths::advance)),
        ("POST", "/paths/rollback", post(pages::paths::rollback)),
        (
            "GET",
            "/static/workplace.css",
            get(crate::web::layout::stylesheet),
        ),
    ]
}

/// Every route's method and path.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    all().into_iter().map(|(m, p, _)| (m, p)).collect()
}
