//! Migration paths (Migrationspfade): each path with its stage (Stufe) and stage history, a form
//! to record a new path ([`edit::add`]), and forms to advance a path or roll it back, each with
//! the reason, which the history keeps ([`edit::advance_because`], [`edit::rollback_because`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::inventory::Category;
use crate::migration::edit::{self, MigrationError, NewPath};
use crate::migration::{MigrationPath, Stage};
use crate::people::Action;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field};
use crate::web::pages::fields::{input, keyed_options, problem, select, textarea, FormState};
use crate::web::site::Site;

/// `GET /paths`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let mut st = FormState::default();
    st.set("stage", Stage::Erwogen.key());
    render(&c, &st, &[], StatusCode::OK)
}

fn render(
    c: &Ctx<'_>,
    st: &FormState,
    problems: &[String],
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = c.lang;
    let paths = c.node().store().migrations()?;
    let fill = c.may(Action::Fill);
    let day = |d: i64| layout::date(d * 86_400, lang);
    let body = html! {
        @if !problems.is_empty() {
            (problem(c.t("Nicht gespeichert:", "Not saved:"), problems))
        }
        @if paths.is_empty() {
            p { (c.t("Noch kein Migrationspfad erfasst.", "No migration path recorded yet.")) }
        }
        @for p in &paths {
            section aria-labelledby=(format!("path-{}", p.id)) {
                h2 id=(format!("path-{}", p.id)) { (p.from_product) " → " (p.to_product) }
                dl class="facts" {
                    dt { (c.t("Kennung", "Id")) } dd { (p.id) }
                    dt { (c.t("Kategorie", "Category")) } dd { (p.category.label(lang)) }
                    dt { (c.t("Stufe", "Stage")) } dd { (p.stage.label(lang)) @if let Some(d) = p.since() { " " (c.t("seit", "since")) " " (day(d)) } }
                    dt { (c.t("Arbeitsplätze", "Workplaces")) } dd { (p.workplaces) }
                    @if !p.systems.is_empty() { dt { (c.t("Systeme", "Systems")) } dd { (p.systems.join(", ")) } }
                    dt { (c.t("Pfadkatalog", "Path catalogue")) } dd {
                        @match p.catalogue_item() {
                            Some(i) => { (i.id) },
                            None => { (c.t("Ziel nicht im Pfadkatalog: geht nicht in den Benchmark ein.", "Target not in the path catalogue: not part of the benchmark.")) },
                        }
                    }
                    @if !p.notes.is_empty() { dt { (c.t("Notizen", "Notes")) } dd { (p.notes) } }
                }
                table {
                    caption { (c.t("Verlauf der Stufen von", "Stage history of")) " " (p.id) }
                    thead { tr {
                        th scope="col" { (c.t("Datum", "Date")) }
                        th scope="col" { (c.t("Stufe", "Stage")) }
                        th scope="col" { (c.t("Begründung", "Reason")) }
                    } }
                    tbody {
                        @for h in &p.history {
                            tr { td { (day(h.on)) } th scope="row" { (h.stage.label(lang)) } td { (h.reason.as_deref().unwrap_or("–")) } }
                        }
                    }
                }
                @if fill { (stage_forms(c, p)) }
            }
        }
        @if fill {
            h2 { (c.t("Neuen Migrationspfad erfassen", "Record a new migration path")) }
            form method="post" action=(ctx::with_lang("/paths/add", lang)) novalidate {
                (csrf_field(c))
                (select("new", "category", c.t("Kategorie", "Category"), &keyed_options!(Category, lang), st))
                (input("new", "from", c.t("Von Produkt", "From product"), "text", None, st))
                (input("new", "to", c.t("Zu Produkt", "To product"), "text", None, st))
                (select("new", "stage", c.t("Stufe", "Stage"), &keyed_options!(Stage, lang), st))
                (input("new", "workplaces", c.t("Betroffene Arbeitsplätze", "Workplaces affected"), "number", None, st))
                (input("new", "systems", c.t("Systeme des Inventars", "Systems of the inventory"), "text", Some(c.t("Namen, durch Komma getrennt", "names, separated by commas")), st))
                (input("new", "date", c.t("Datum", "Date"), "date", Some(c.t("leer: heute", "empty: today")), st))
                (textarea("new", "notes", c.t("Notizen (bleiben auf diesem Knoten)", "Notes (stay on this node)"), st))
                p { button type="submit" { (c.t("Migrationspfad speichern", "Save migration path")) } }
            }
        }
    };
    let mut res = layout::page(c, c.t("Migrationspfade", "Migration paths"), body).into_response();
    *res.status_mut() = status;
    Ok(res)
}

fn stage_forms(c: &Ctx<'_>, p: &MigrationPath) -> maud::Markup {
    let lang = c.lang;
    let ended = matches!(p.stage, Stage::Abgeschlossen | Stage::Zurueckgerollt);
    let id = &p.id;
    html! {
        @if !ended {
            form method="post" action=(ctx::with_lang("/paths/advance", lang)) {
                (csrf_field(c))
                input type="hidden" name="id" value=(id);
                fieldset {
                    legend { (c.t("Stufe weiterschalten", "Advance the stage")) }
                    p {
                        label for=(format!("adv-to-{id}")) { (c.t("Neue Stufe", "New stage")) }
                        select id=(format!("adv-to-{id}")) name="to" {
                            option value="" { (c.t("die nächste", "the next one")) @if let Some(n) = p.stage.next() { " (" (n.label(lang)) ")" } }
                            @for s in Stage::ALL.iter().filter(|s| **s != p.stage && **s != Stage::Zurueckgerollt) {
                                option value=(s.key()) { (s.label(lang)) }
                            }
                        }
                    }
                    p {
                        label for=(format!("adv-reason-{id}")) { (c.t("Begründung", "Reason")) }
                        input type="text" id=(format!("adv-reason-{id}")) name="reason" required;
                    }
                    p { button type="submit" { (c.t("Weiterschalten", "Advance")) } }
                }
            }
        }
        @if matches!(p.stage, Stage::Pilot | Stage::Rollout) {
            form method="post" action=(ctx::with_lang("/paths/rollback", lang)) {
                (csrf_field(c))
                input type="hidden" name="id" value=(id);
                fieldset {
                    legend { (c.t("Zurückrollen", "Roll back")) }
                    p {
                        label for=(format!("rb-reason-{id}")) { (c.t("Begründung", "Reason")) }
                        input type="text" id=(format!("rb-reason-{id}")) name="reason" required;
                    }
                    p { button type="submit" { (c.t("Zurückrollen", "Roll back")) } }
                }
            }
        }
    }
}

fn path_problem(c: &Ctx<'_>, e: &MigrationError) -> String {
    match e {
        MigrationError::UnknownSystems(names) => format!(
            "{} {}",
            c.t("Nicht im Inventar:", "Not in the inventory:"),
            names.join(", ")
        ),
        MigrationError::NoProducts => c
            .t(
                "Bitte das bisherige und das neue Produkt angeben.",
                "Please give the current and the new product.",
            )
            .into(),
        MigrationError::NotADate(d) => format!(
            "„{d}“ {}",
            c.t(
                "ist kein Datum (JJJJ-MM-TT).",
                "is not a date (YYYY-MM-DD)."
            )
        ),
        other => other.to_string(),
    }
}

/// `POST /paths/add`.
pub async fn add(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let mut st = FormState::default();
    for k in [
        "category",
        "from",
        "to",
        "stage",
        "workplaces",
        "systems",
        "date",
        "notes",
    ] {
        st.set(k, f.text(k));
    }
    let workplaces = match st.value("workplaces") {
        "" => 0,
        v => match v.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let msg = format!(
                    "„{v}“ {}",
                    c.t(
                        "ist keine ganze Zahl ab 0.",
                        "is not a whole number from 0."
                    )
                );
                st.fail("workplaces", msg);
                0
            }
        },
    };
    if st.value("from").is_empty() {
        st.fail("from", c.t("Bitte angeben.", "Please fill in."));
    }
    if st.value("to").is_empty() {
        st.fail("to", c.t("Bitte angeben.", "Please fill in."));
    }
    if st.failed() {
        return render(&c, &st, &[], StatusCode::UNPROCESSABLE_ENTITY);
    }
    let new = NewPath {
        category: st.value("category").into(),
        from: st.value("from").into(),
        to: st.value("to").into(),
        stage: st.value("stage").into(),
        workplaces,
        systems: st.value("systems").split(',').map(str::to_string).collect(),
        notes: st.value("notes").into(),
        date: Some(st.value("date").to_string()).filter(|d| !d.is_empty()),
    };
    match edit::add(c.node(), new) {
        Ok(p) => c.done(
            &format!(
                "Migrationspfad erfasst / migration path recorded: {} ({})",
                p.id,
                p.stage.key()
            ),
            &format!(
                "{} „{}“ {}",
                c.t("Migrationspfad", "Migration path"),
                p.id,
                c.t("gespeichert.", "saved.")
            ),
            &format!("/paths#path-{}", p.id),
        ),
        Err(MigrationError::Node(e)) => Err(e.into()),
        Err(e) => {
            let msg = path_problem(&c, &e);
            render(&c, &st, &[msg], StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// `POST /paths/advance`: to the next stage or the one chosen, with a reason.
pub async fn advance(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    move_path(site, headers, uri, body, false).await
}

/// `POST /paths/rollback`: a pilot or rollout rolled back, with a reason.
pub async fn rollback(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    move_path(site, headers, uri, body, true).await
}

async fn move_path(
    site: Arc<Site>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
    back: bool,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let id = f.text("id");
    let reason = f.text("reason");
    let mut st = FormState::default();
    st.set("stage", Stage::Erwogen.key());
    if reason.is_empty() {
        let msg = format!(
            "{} {id}: {}",
            c.t("Pfad", "Path"),
            c.t("bitte eine Begründung angeben.", "please give a reason.")
        );
        return render(&c, &st, &[msg], StatusCode::UNPROCESSABLE_ENTITY);
    }
    let done = if back {
        edit::rollback_because(c.node(), &id, None, Some(&reason))
    } else {
        let to = f.get("to").filter(|t| !t.is_empty());
        edit::advance_because(c.node(), &id, to, None, Some(&reason))
    };
    match done {
        Ok(p) => c.done(
            &format!(
                "Migrationspfad {} / migration path {}: {} -> {} ({reason})",
                if back {
                    "zurückgerollt"
                } else {
                    "weitergeschaltet"
                },
                if back { "rolled back" } else { "advanced" },
                p.id,
                p.stage.key()
            ),
            &format!(
                "{} „{}“ {} {}.",
                c.t("Migrationspfad", "Migration path"),
                p.id,
                c.t("steht jetzt auf", "is now at"),
                p.stage.label(c.lang)
            ),
            &format!("/paths#path-{}", p.id),
        ),
        Err(MigrationError::NoSuchPath(_)) => Err(WebError::NotFound(c.lang)),
        Err(MigrationError::Node(e)) => Err(e.into()),
        Err(e) => {
            let msg = path_problem(&c, &e);
            render(&c, &st, &[msg], StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
