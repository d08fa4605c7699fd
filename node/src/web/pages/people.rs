//! People (`/people`, approvers only): the accounts with their roles and what each role may do,
//! adding a person (the password is generated and shown once), removing one (the last approver
//! stays), setting a new password (shown once; the person's sessions end), and the log of
//! changes: who changed what, when.
//!
//! A generated password is shown on the answer of the form itself, never kept for a later page:
//! the confirmation of the other pages travels through the store (Post/Redirect/Get), and a
//! password must not. The operations of [`crate::people`] log each change with who made it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use crate::error::NodeError;
use crate::people::{self, Action, Role};
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field, field_error};
use crate::web::site::Site;

/// How many entries of the log of changes the page shows.
const LOG_ENTRIES: usize = 200;

/// What the forms show: the add form as given, and a problem of a form.
#[derive(Default)]
struct Entry {
    name: String,
    role: Option<Role>,
    /// A problem of the add form's name (or of the add as a whole).
    name_problem: Option<String>,
    /// A problem of a row's action: the account and the text.
    row_problem: Option<(String, String)>,
}

/// `GET /people`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ManagePeople).await?;
    Ok(render(&c, &Entry::default())?.into_response())
}

/// `POST /people/add`: adds a person with a generated password, shown once on the answer.
pub async fn add(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ManagePeople).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::ManagePeople)?;
    let mut entry = Entry {
        name: f.text("name"),
        role: f.get("role").and_then(|r| r.parse().ok()),
        ..Entry::default()
    };
    let Some(role) = entry.role else {
        entry.name_problem = Some(
            c.t("Bitte eine Rolle wählen.", "Please choose a role.")
                .to_string(),
        );
        return again(&c, &entry);
    };
    let password = people::generate_password()?;
    match people::add_account(c.node(), &entry.name, role, &password, c.person()) {
        Ok(a) => {
            let what = format!(
                "{} {} ({}: {}).",
                c.t("Person angelegt:", "Person added:"),
                a.name,
                c.t("Rolle", "role"),
                a.role.label(c.lang)
            );
            Ok(shown_once(&c, &what, &a.name, &password).into_response())
        }
        Err(NodeError::People(e)) => {
            entry.name_problem = Some(e.text(c.lang));
            again(&c, &entry)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /people/remove`: removes a person and ends their sessions; the last approver stays.
pub async fn remove(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ManagePeople).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::ManagePeople)?;
    let name = f.text("name");
    match people::remove_account(c.node(), &name, c.person()) {
        Ok(()) => confirm(
            &c,
            &format!(
                "{} {name}. {}",
                c.t("Person entfernt:", "Person removed:"),
                c.t("Ihre Sitzungen sind beendet.", "Their sessions have ended.")
            ),
        ),
        Err(NodeError::People(e)) => again(
            &c,
            &Entry {
                row_problem: Some((name, e.text(c.lang))),
                ..Entry::default()
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /people/password`: sets a generated password (shown once) and ends the person's
/// sessions.
pub async fn password(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ManagePeople).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::ManagePeople)?;
    let name = f.text("name");
    let password = people::generate_password()?;
    match people::set_password(c.node(), &name, &password, c.person()) {
        Ok(()) => {
            let what = format!(
                "{} {name}. {}",
                c.t("Neues Passwort gesetzt für", "New password set for"),
                c.t(
                    "Alle Sitzungen dieser Person sind beendet.",
                    "Every session of this person has ended."
                )
            );
            Ok(shown_once(&c, &what, &name, &password).into_response())
        }
        Err(NodeError::People(e)) => again(
            &c,
            &Entry {
                row_problem: Some((name, e.text(c.lang))),
                ..Entry::default()
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// The confirmation for the next page, and the redirect to it. Not [`Ctx::done`]: the operation
/// of [`people`] has logged the change with who made it already.
fn confirm(c: &Ctx<'_>, confirmation: &str) -> Result<Response, WebError> {
    people::set_flash(c.node(), &c.token, confirmation)?;
    Ok(ctx::see_other(&ctx::with_lang("/people", c.lang)))
}

/// The page again with the problem of a form (422).
fn again(c: &Ctx<'_>, entry: &Entry) -> Result<Response, WebError> {
    let mut res = render(c, entry)?.into_response();
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// The answer that shows a generated password, once.
fn shown_once(c: &Ctx<'_>, what: &str, name: &str, password: &str) -> Markup {
    let body = html! {
        div class="flash" role="status" { p { (what) } }
        p { (c.t("Passwort für", "Password for")) " " strong { (name) } ":" }
        p { code class="password" id="new-password" { (password) } }
        div class="warning" {
            p { (c.t(
                "Das Passwort wird nur jetzt angezeigt und nirgends gespeichert. Bitte sicher weitergeben (nicht per unverschlüsselter E-Mail).",
                "The password is shown only now and kept nowhere. Please hand it over safely (not by unencrypted e-mail).")) }
        }
        p { a href=(ctx::with_lang("/people", c.lang)) { (c.t("Zurück zu den Personen", "Back to the people")) } }
    };
    layout::page(c, c.t("Passwort (einmalig)", "Password (shown once)"), body)
}

fn render(c: &Ctx<'_>, entry: &Entry) -> Result<Markup, WebError> {
    let lang = c.lang;
    let accounts = c.node().store().accounts()?;
    let log = c.node().store().audit(LOG_ENTRIES)?;
    let name_err = entry.name_problem.as_deref();
    let body = html! {
        @if entry.name_problem.is_some() || entry.row_problem.is_some() {
            div class="problem" role="alert" {
                p { (c.t("Nichts geändert. Das Problem steht beim Formular.", "Nothing changed. The problem is shown at the form.")) }
            }
        }
        h2 { (c.t("Rollen", "Roles")) }
        dl class="facts" {
            @for r in Role::ALL {
                dt { (r.label(lang)) }
                dd { (r.explain(lang)) }
            }
        }
        h2 { (c.t("Konten", "Accounts")) }
        table {
            caption { (c.t("Alle Personen mit Zugang zu diesem Knoten", "Everyone with access to this node")) }
            thead { tr {
                th scope="col" { (c.t("Name", "Name")) }
                th scope="col" { (c.t("Rolle", "Role")) }
                th scope="col" { (c.t("Darf", "May")) }
                th scope="col" { (c.t("Angelegt", "Added")) }
                th scope="col" { (c.t("Aktionen", "Actions")) }
            } }
            tbody {
                @for a in &accounts {
                    @let problem = entry.row_problem.as_ref().filter(|(n, _)| *n == a.name).map(|(_, p)| p.as_str());
                    @let err_id = format!("row-error-{}", row_id(&a.name));
                    tr {
                        th scope="row" { (a.name) }
                        td { (a.role.label(lang)) }
                        td { (a.role.explain(lang)) }
                        td { (layout::date(a.created_at, lang)) " " (c.t("von", "by")) " " (a.created_by) }
                        td {
                            (field_error(&err_id, problem))
                            form method="post" action=(ctx::with_lang("/people/password", lang)) class="inline-form" {
                                (csrf_field(c))
                                input type="hidden" name="name" value=(a.name);
                                button type="submit" class="secondary" aria-describedby=[problem.map(|_| err_id.as_str())] {
                                    (c.t("Neues Passwort", "New password")) span class="visually-hidden" { " " (a.name) }
                                }
                            }
                            " "
                            form method="post" action=(ctx::with_lang("/people/remove", lang)) class="inline-form" {
                                (csrf_field(c))
                                input type="hidden" name="name" value=(a.name);
                                button type="submit" class="secondary" aria-describedby=[problem.map(|_| err_id.as_str())] {
                                    (c.t("Entfernen", "Remove")) span class="visually-hidden" { " " (a.name) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (c.t("Person hinzufügen", "Add a person")) }
        form method="post" action=(ctx::with_lang("/people/add", lang)) novalidate {
            (csrf_field(c))
            label for="person-name" { (c.t("Anmeldename", "Log-in name")) }
            p class="hint" id="person-name-hint" { (c.t(
                "1 bis 64 Buchstaben, Ziffern, „.“, „-“, „_“ oder „@“. Das Passwort wird erzeugt und einmal angezeigt.",
                "1 to 64 letters, digits, '.', '-', '_' or '@'. The password is generated and shown once.")) }
            (field_error("person-name-error", name_err))
            input type="text" id="person-name" name="name" value=(entry.name) autocomplete="off" required
                aria-invalid=[name_err.map(|_| "true")]
                aria-describedby=(if name_err.is_some() { "person-name-hint person-name-error" } else { "person-name-hint" });
            label for="person-role" { (c.t("Rolle", "Role")) }
            select id="person-role" name="role" {
                @for r in Role::ALL {
                    option value=(r.key()) selected[entry.role.unwrap_or(Role::Editor) == r] {
                        (r.label(lang)) " – " (r.explain(lang))
                    }
                }
            }
            p { button type="submit" { (c.t("Person hinzufügen", "Add person")) } }
        }
        h2 { (c.t("Protokoll der Änderungen", "Log of changes")) }
        @if log.is_empty() {
            p { (c.t("Noch keine Änderungen.", "No changes yet.")) }
        } @else {
            table {
                caption { (c.t("Die letzten Änderungen, neueste zuerst: wer, wann, was", "The latest changes, newest first: who, when, what")) }
                thead { tr {
                    th scope="col" { (c.t("Wann", "When")) }
                    th scope="col" { (c.t("Wer", "Who")) }
                    th scope="col" { (c.t("Was", "What")) }
                } }
                tbody {
                    @for e in &log {
                        tr {
                            td { (layout::date_time(e.at, lang)) }
                            td { (e.person) }
                            td { (e.action) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(c, c.t("Personen", "People"), body))
}

/// An account name as part of an element id (names may hold '.' and '@').
fn row_id(name: &str) -> String {
    name.chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect()
}
