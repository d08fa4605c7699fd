//! Uploading an inventory file (CSV, XLSX, ODS, JSON): `POST /inventory/upload` parses it and
//! shows the rows that would be imported, or every error with line and column, before anything
//! is stored; `POST /inventory/import` stores the previewed rows, which it carries as JSON and
//! validates again.

use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use crate::inventory::edit::{self, EditError, ImportMode};
use crate::inventory::io::{self, ImportError, ImportFormat, IoError};
use crate::inventory::System;
use crate::people::Action;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::{self, Fields, MAX_UPLOAD};
use crate::web::layout::{self, csrf_field};
use crate::web::pages::fields::problem;
use crate::web::site::Site;

/// The upload form (for those who may fill in); `error`: a problem with the file as a whole.
pub fn form(c: &Ctx<'_>, error: Option<&str>) -> Markup {
    html! {
        @if c.may(Action::Fill) {
            form method="post" action=(ctx::with_lang("/inventory/upload", c.lang)) enctype="multipart/form-data" {
                (csrf_field(c))
                p {
                    label for="inv-file" { (c.t("Inventar-Datei hochladen (CSV, XLSX, ODS oder JSON)", "Upload an inventory file (CSV, XLSX, ODS or JSON)")) }
                    span class="hint" id="inv-file-hint" { (c.t(
                        "Sie sehen zuerst eine Vorschau mit allen Fehlern; gespeichert wird erst nach Ihrer Bestätigung.",
                        "You first see a preview with every error; nothing is stored before you confirm.")) }
                    (layout::field_error("inv-file-error", error))
                    input type="file" id="inv-file" name="file" accept=".csv,.xlsx,.ods,.json"
                        aria-describedby=(if error.is_some() { "inv-file-hint inv-file-error" } else { "inv-file-hint" })
                        aria-invalid=[error.map(|_| "true")];
                }
                p { button type="submit" { (c.t("Vorschau anzeigen", "Show preview")) } }
            }
        } @else {
            p class="hint" { (c.t("Ihre Rolle darf das Inventar lesen, aber nicht ändern.", "Your role may read the inventory but not change it.")) }
        }
    }
}

/// `POST /inventory/upload` (multipart, field `file`): the preview; nothing is stored.
pub async fn upload(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    // A body that is no multipart form carries no readable token: refused like a wrong one.
    let Ok(mp) = mp else {
        return Err(c
            .check_form(None, Action::Fill)
            .err()
            .unwrap_or(WebError::Csrf(c.lang)));
    };
    let (f, file) = form::multipart(mp, c.lang).await?;
    c.check_form(f.csrf(), Action::Fill)?;
    let Some(file) = file else {
        let msg = c.t("Bitte eine Datei wählen.", "Please choose a file.");
        return again(&c, msg);
    };
    let format = match ImportFormat::of(Path::new(&file.name)) {
        Ok(f) => f,
        Err(_) => {
            let msg = format!(
                "„{}“: {}",
                file.name,
                c.t(
                    "unbekannter Dateityp. Bitte eine Datei mit der Endung .csv, .xlsx, .ods oder .json hochladen.",
                    "unknown file type. Please upload a file ending in .csv, .xlsx, .ods or .json."
                )
            );
            return again(&c, &msg);
        }
    };
    match io::read_bytes(format, &file.name, &file.bytes) {
        Ok(systems) => Ok(preview(&c, &file.name, &systems, None)?.into_response()),
        Err(IoError::Invalid(errors)) => {
            let mut res = errors_page(&c, &file.name, &errors).into_response();
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => {
            let msg = format!("{}: {e}", c.t("Datei nicht lesbar", "file not readable"));
            again(&c, &msg)
        }
    }
}

/// The inventory page's upload form again with a problem of the file as a whole.
fn again(c: &Ctx<'_>, msg: &str) -> Result<Response, WebError> {
    let body = html! {
        (problem(c.t("Nichts wurde gespeichert.", "Nothing was stored."), &[]))
        (form(c, Some(msg)))
        p { a href=(ctx::with_lang("/inventory", c.lang)) { (c.t("Zurück zum Inventar", "Back to the inventory")) } }
    };
    let mut res =
        layout::page(c, c.t("Inventar hochladen", "Upload inventory"), body).into_response();
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

fn errors_page(c: &Ctx<'_>, name: &str, errors: &[ImportError]) -> Markup {
    let lang = c.lang;
    let body = html! {
        (problem(&format!("{} „{name}“ {} {} {}", c.t("Die Datei", "The file"), c.t("hat", "has"), errors.len(),
            c.t("Fehler. Nichts wurde gespeichert. Bitte die Datei korrigieren und erneut hochladen.",
                "error(s). Nothing was stored. Please correct the file and upload it again.")), &[]))
        table {
            caption { (c.t("Fehler der Datei", "Errors of the file")) " „" (name) "“" }
            thead { tr {
                th scope="col" class="num" { (c.t("Zeile", "Line")) }
                th scope="col" class="num" { (c.t("Spalte", "Column")) }
                th scope="col" { (c.t("Spaltenname", "Column name")) }
                th scope="col" { (c.t("Fehler", "Error")) }
            } }
            tbody {
                @for e in errors {
                    tr {
                        td class="num" { @if e.line > 0 { (e.line) } @else { "–" } }
                        td class="num" { @if e.column > 0 { (e.column) } @else { "–" } }
                        td { (e.header) }
                        td { (e.message) }
                    }
                }
            }
        }
        h2 { (lang.pick("Korrigierte Datei hochladen", "Upload the corrected file")) }
        (form(c, None))
    };
    layout::page(
        c,
        c.t(
            "Vorschau: Fehler in der Datei",
            "Preview: errors in the file",
        ),
        body,
    )
}

fn preview(
    c: &Ctx<'_>,
    name: &str,
    systems: &[System],
    trouble: Option<&str>,
) -> Result<Markup, WebError> {
    let lang = c.lang;
    let store = c.node().store();
    let existing = store.systems()?.len();
    let mut clashes = Vec::new();
    for s in systems {
        if store.system(&s.name)?.is_some() {
            clashes.push(s.name.clone());
        }
    }
    let payload = serde_json::to_string(systems).map_err(crate::error::NodeError::from)?;
    let body = html! {
        @if let Some(t) = trouble {
            (problem(c.t("Nicht gespeichert:", "Not stored:"), &[t.to_string()]))
        }
        p role="status" { (c.t("Die Datei", "The file")) " „" (name) "“ " (c.t("ist fehlerfrei und enthält", "has no errors and holds")) " " (systems.len()) " "
            (c.t("Systeme. Noch ist nichts gespeichert.", "systems. Nothing is stored yet.")) }
        @if !clashes.is_empty() {
            div class="warning" {
                p { (clashes.len()) " " (c.t("Systeme gibt es schon im Inventar; Hinzufügen ist deshalb nicht möglich, nur Ersetzen:", "systems exist in the inventory already; adding is therefore not possible, only replacing:")) " " (clashes.join(", ")) }
            }
        }
        form method="post" action=(ctx::with_lang("/inventory/import", lang)) {
            (csrf_field(c))
            input type="hidden" name="file" value=(name);
            input type="hidden" name="systems" value=(payload);
            fieldset {
                legend { (c.t("Wie soll importiert werden?", "How should it be imported?")) }
                p {
                    input type="radio" id="mode-merge" name="mode" value="merge" checked[clashes.is_empty()];
                    label class="inline" for="mode-merge" { (c.t("Zum Inventar hinzufügen (bestehende Systeme bleiben)", "Add to the inventory (existing systems stay)")) }
                }
                p {
                    input type="radio" id="mode-replace" name="mode" value="replace" checked[!clashes.is_empty()];
                    label class="inline" for="mode-replace" { (c.t("Ganzes Inventar ersetzen (alle", "Replace the whole inventory (all")) " " (existing) " " (c.t("bisherigen Systeme werden entfernt)", "current systems are removed)")) }
                }
            }
            p { button type="submit" { (systems.len()) " " (c.t("Systeme importieren", "Import systems")) } }
        }
        p { a href=(ctx::with_lang("/inventory", lang)) { (c.t("Abbrechen, nichts speichern", "Cancel, store nothing")) } }
        table {
            caption { (c.t("Vorschau: diese Systeme würden importiert", "Preview: these systems would be imported")) }
            thead { tr {
                th scope="col" { (c.t("Name", "Name")) }
                th scope="col" { (c.t("Kategorie", "Category")) }
                th scope="col" { (c.t("Produkt", "Product")) }
                th scope="col" { (c.t("Hersteller", "Vendor")) }
                th scope="col" { (c.t("Relevanz", "Relevance")) }
                th scope="col" class="num" { (c.t("Nutzende", "Users")) }
                th scope="col" { (c.t("Exit-Szenario", "Exit scenario")) }
            } }
            tbody {
                @for s in systems {
                    tr {
                        th scope="row" { (s.name) }
                        td { (s.category.label(lang)) }
                        td { (s.product) }
                        td { (s.vendor) }
                        td { (s.relevance.label(lang)) }
                        td class="num" { (s.users) }
                        td { @match &s.exit { Some(x) => { (x.status.label(lang)) }, None => { "–" } } }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        c,
        c.t("Vorschau des Imports", "Import preview"),
        body,
    ))
}

/// `POST /inventory/import`: stores the previewed systems (validated again; all or nothing).
pub async fn import(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let name = f.text("file");
    let payload = f.get("systems").unwrap_or_default();
    // The previewed rows as JSON: bounded like the upload they come from (JSON spells out every
    // field, so it may be some times larger than the file).
    if payload.len() > 2 * MAX_UPLOAD {
        return Err(WebError::BadRequest(
            c.lang,
            c.t("Die Vorschau ist zu groß.", "The preview is too large.")
                .into(),
        ));
    }
    let systems = match io::parse_json(payload) {
        Ok(s) => s,
        Err(e) => {
            return Err(WebError::BadRequest(
                c.lang,
                format!(
                    "{}: {e}",
                    c.t(
                        "Die Vorschau ist nicht gültig; bitte die Datei erneut hochladen",
                        "The preview is not valid; please upload the file again"
                    )
                ),
            ))
        }
    };
    let mode = ImportMode {
        replace: f.get("mode") == Some("replace"),
        allow_empty: false,
    };
    match edit::import_systems(c.node(), Path::new(&name), systems.clone(), mode) {
        Ok(n) => {
            let how = if mode.replace {
                "ersetzt / replaced"
            } else {
                "hinzugefügt / added"
            };
            let change = format!("Inventar importiert aus {name:?}: {n} Systeme, {how}");
            let confirmation = format!(
                "{n} {} „{name}“ {}",
                c.t("Systeme aus", "systems from"),
                if mode.replace {
                    c.t(
                        "importiert; das Inventar wurde ersetzt.",
                        "imported; the inventory was replaced.",
                    )
                } else {
                    c.t("zum Inventar hinzugefügt.", "added to the inventory.")
                }
            );
            c.done(&change, &confirmation, "/inventory")
        }
        Err(e @ (EditError::Clashes(_) | EditError::EmptyReplace { .. })) => {
            let trouble = match &e {
                EditError::Clashes(names) => format!(
                    "{} {}",
                    c.t(
                        "Diese Systeme gibt es schon; bitte „Ersetzen“ wählen oder die Datei ändern:",
                        "These systems exist already; please choose “Replace” or change the file:"
                    ),
                    names.join(", ")
                ),
                _ => c
                    .t(
                        "Die Datei enthält keine Systeme; Ersetzen würde das ganze Inventar löschen.",
                        "The file holds no systems; replacing would delete the whole inventory.",
                    )
                    .to_string(),
            };
            let mut res = preview(&c, &name, &systems, Some(&trouble))?.into_response();
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(EditError::Node(e)) => Err(e.into()),
        Err(e) => Err(WebError::BadRequest(c.lang, e.to_string())),
    }
}
