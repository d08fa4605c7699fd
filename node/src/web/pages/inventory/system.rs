//! One system of the inventory: its form (`POST /inventory/system` adds or changes it through
//! [`edit::add`] / [`edit::edit`]), its removal (`POST /inventory/remove`), its risk, and its
//! exit scenario (Exit-Szenario) as a form (`POST /inventory/exit`, [`edit::set_exit`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::inventory::edit::{self, EditError, ExitEdit, SystemFields};
use crate::inventory::{
    risk, Category, ExitStatus, Hosting, Jurisdiction, Licence, RecordError, Relevance, System,
};
use crate::people::Action;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field};
use crate::web::pages::fields::{self, input, keyed_options, problem, select, FormState};
use crate::web::site::Site;

/// The fields of the system form (besides the name).
const SYSTEM_FIELDS: &[&str] = &[
    "category",
    "product",
    "vendor",
    "jurisdiction",
    "hosting",
    "licence",
    "formats",
    "api",
    "contract_end",
    "notice_months",
    "exit_clause",
    "relevance",
    "users",
];
const EXIT_FIELDS: &[&str] = &["alternatives", "months", "formats", "cost", "status"];

fn yn(b: bool) -> &'static str {
    if b {
        "ja"
    } else {
        "nein"
    }
}

fn system_state(s: &System) -> FormState {
    let mut st = FormState::default();
    st.set("name", &s.name);
    st.set("category", s.category.key());
    st.set("product", &s.product);
    st.set("vendor", &s.vendor);
    st.set("jurisdiction", s.jurisdiction.key());
    st.set("hosting", s.hosting.key());
    st.set("licence", s.licence.key());
    st.set("formats", s.formats.join(", "));
    st.set("api", yn(s.api));
    st.set(
        "contract_end",
        s.contract_end
            .map(sovbench_core::time::format_days)
            .unwrap_or_default(),
    );
    st.set(
        "notice_months",
        s.notice_months.map(|m| m.to_string()).unwrap_or_default(),
    );
    st.set("exit_clause", yn(s.exit_clause));
    st.set("relevance", s.relevance.key());
    st.set("users", s.users.to_string());
    st
}

fn exit_state(s: &System) -> FormState {
    let mut st = FormState::default();
    if let Some(x) = &s.exit {
        st.set("alternatives", x.alternatives.join(", "));
        st.set("months", x.switch_months.to_string());
        st.set("formats", x.export_formats.join(", "));
        st.set("cost", x.cost_per_workplace.to_string());
        st.set("status", x.status.key());
    } else {
        st.set(
            "cost",
            crate::inventory::DEFAULT_COST_PER_WORKPLACE.to_string(),
        );
        st.set("status", ExitStatus::Entwurf.key());
    }
    st
}

fn list(v: &str) -> Vec<String> {
    edit::non_empty(v.split([',', ';', '|']).map(str::to_string).collect())
}

/// A whole number given in `name`, or a problem next to it; empty is `None`.
fn number(c: &Ctx<'_>, st: &mut FormState, name: &str) -> Option<u32> {
    let v = st.value(name).to_string();
    if v.is_empty() {
        return None;
    }
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            st.fail(
                name,
                format!(
                    "„{v}“ {}",
                    c.t(
                        "ist keine ganze Zahl ab 0.",
                        "is not a whole number from 0."
                    )
                ),
            );
            None
        }
    }
}

/// Puts a refusal of the domain next to the field it is about (or, for none, under "").
fn place(c: &Ctx<'_>, st: &mut FormState, e: &EditError) {
    let field = |flag: &str| flag.trim_start_matches("--").replace('-', "_");
    match e {
        EditError::NotAllowed(n) => {
            st.fail(
                n.field,
                format!(
                    "„{}“ {} {}",
                    n.value,
                    c.t("ist nicht erlaubt; erlaubt:", "is not allowed; allowed:"),
                    n.allowed
                ),
            );
        }
        EditError::NotYesNo { field: f, .. } => st.fail(
            &field(f),
            c.t("Bitte ja oder nein wählen.", "Please choose yes or no."),
        ),
        EditError::NotADate(v) => st.fail(
            "contract_end",
            format!(
                "„{v}“ {}",
                c.t(
                    "ist kein Datum (JJJJ-MM-TT).",
                    "is not a date (YYYY-MM-DD)."
                )
            ),
        ),
        EditError::Missing(flags) => {
            for f in flags {
                st.fail(&field(f), c.t("Bitte angeben.", "Please fill in."));
            }
        }
        EditError::Exists(_) => st.fail(
            "name",
            c.t(
                "Ein System mit diesem Namen gibt es schon.",
                "A system with this name exists already.",
            ),
        ),
        EditError::Record(RecordError::EmptyName) => st.fail(
            "name",
            c.t("Bitte einen Namen angeben.", "Please give a name."),
        ),
        EditError::Record(RecordError::LongName) => st.fail(
            "name",
            c.t("Höchstens 200 Zeichen.", "At most 200 characters."),
        ),
        EditError::Record(RecordError::SwitchMonths(_)) => st.fail(
            "months",
            c.t("Höchstens 240 Monate.", "At most 240 months."),
        ),
        other => st.fail("", other.to_string()),
    }
}

/// `GET /inventory/system?name=...` (without a name: the form for a new system).
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let name = ctx::query_param(&uri, "name").unwrap_or_default();
    if name.is_empty() {
        if !c.may(Action::Fill) {
            return Err(WebError::NotFound(c.lang));
        }
        let mut st = FormState::default();
        st.set("api", "ja");
        st.set("exit_clause", "nein");
        st.set("relevance", Relevance::Mittel.key());
        return Ok(render(&c, None, &st, &FormState::default()).into_response());
    }
    let s = c
        .node()
        .store()
        .system(&name)?
        .ok_or(WebError::NotFound(c.lang))?;
    Ok(render(&c, Some(&s), &system_state(&s), &exit_state(&s)).into_response())
}

fn render(c: &Ctx<'_>, s: Option<&System>, st: &FormState, ex: &FormState) -> maud::Markup {
    let lang = c.lang;
    let title = match s {
        Some(s) => format!("{}: {}", c.t("System", "System"), s.name),
        None => c.t("Neues System", "New system").to_string(),
    };
    let fill = c.may(Action::Fill);
    let body = html! {
        p { a href=(ctx::with_lang("/inventory", lang)) { (c.t("Zurück zum Inventar", "Back to the inventory")) } }
        @if st.failed() || ex.failed() {
            (problem(c.t("Nicht gespeichert. Bitte die markierten Angaben prüfen.", "Not saved. Please check the marked entries."),
                &st.error("").into_iter().chain(ex.error("")).map(str::to_string).collect::<Vec<_>>()))
        }
        @if let Some(s) = s {
            @let r = risk::assess(s);
            h2 { (c.t("Risiko", "Risk")) }
            p { (c.t("Abhängigkeit", "Dependency")) " " (r.dependency) "/12, " (c.t("Risiko", "risk")) " " (r.score) "/48, "
                (c.t("Klasse", "class")) " " (super::class_label(r.class, lang)) "." }
            @if !r.reasons.is_empty() {
                ul { @for x in &r.reasons { li { (x.text(lang)) " (+" (x.points) ")" } } }
            }
        }
        h2 { (c.t("Angaben", "Details")) }
        @if fill {
            form method="post" action=(ctx::with_lang("/inventory/system", lang)) novalidate {
                (csrf_field(c))
                input type="hidden" name="original" value=(s.map(|s| s.name.as_str()).unwrap_or_default());
                @if s.is_none() {
                    (input("sys", "name", c.t("Name", "Name"), "text", None, st))
                }
                (select("sys", "category", c.t("Kategorie", "Category"), &keyed_options!(Category, lang), st))
                (input("sys", "product", c.t("Produkt", "Product"), "text", None, st))
                (input("sys", "vendor", c.t("Hersteller", "Vendor"), "text", None, st))
                (select("sys", "jurisdiction", c.t("Rechtsraum des Herstellers", "Vendor's jurisdiction"), &keyed_options!(Jurisdiction, lang), st))
                (select("sys", "hosting", c.t("Hosting", "Hosting"), &keyed_options!(Hosting, lang), st))
                (select("sys", "licence", c.t("Lizenz", "Licence"), &keyed_options!(Licence, lang), st))
                (input("sys", "formats", c.t("Formate und offene Standards", "Formats and open standards"), "text", Some(c.t("durch Komma getrennt, z. B. ODF, CSV, CalDAV", "separated by commas, e.g. ODF, CSV, CalDAV")), st))
                (select("sys", "api", c.t("API vorhanden", "API available"), &fields::yes_no(lang), st))
                (input("sys", "contract_end", c.t("Vertragsende", "Contract end"), "date", Some(c.t("leer lassen, wenn es keinen Vertrag gibt", "leave empty if there is no contract")), st))
                (input("sys", "notice_months", c.t("Kündigungsfrist in Monaten", "Notice period in months"), "number", None, st))
                (select("sys", "exit_clause", c.t("Ausstiegsklausel im Vertrag", "Exit clause in the contract"), &fields::yes_no(lang), st))
                (select("sys", "relevance", c.t("Relevanz", "Relevance"), &keyed_options!(Relevance, lang), st))
                (input("sys", "users", c.t("Nutzende", "Users"), "number", None, st))
                p { button type="submit" { (if s.is_some() { c.t("Änderungen speichern", "Save changes") } else { c.t("System anlegen", "Add system") }) } }
            }
        } @else if let Some(s) = s {
            dl class="facts" {
                dt { (c.t("Kategorie", "Category")) } dd { (s.category.label(lang)) }
                dt { (c.t("Produkt", "Product")) } dd { (s.product) }
                dt { (c.t("Hersteller", "Vendor")) } dd { (s.vendor) }
                dt { (c.t("Rechtsraum", "Jurisdiction")) } dd { (s.jurisdiction.label(lang)) }
                dt { (c.t("Hosting", "Hosting")) } dd { (s.hosting.label(lang)) }
                dt { (c.t("Lizenz", "Licence")) } dd { (s.licence.label(lang)) }
                dt { (c.t("Formate", "Formats")) } dd { (s.formats.join(", ")) }
                dt { (c.t("Relevanz", "Relevance")) } dd { (s.relevance.label(lang)) }
                dt { (c.t("Nutzende", "Users")) } dd { (s.users) }
            }
        }
        @if let Some(s) = s {
            h2 { (c.t("Exit-Szenario", "Exit scenario")) }
            @match &s.exit {
                Some(x) => p { (c.t("Status", "Status")) ": " (x.status.label(lang)) ". "
                    (c.t("Geschätzte Kosten", "Estimated cost")) ": " (x.estimated_cost(s.users)) " EUR ("
                    (s.users) " × " (x.cost_per_workplace) " EUR)." },
                None => p { (c.t("Für dieses System gibt es noch kein Exit-Szenario.", "This system has no exit scenario yet.")) },
            }
            @if fill {
                form method="post" action=(ctx::with_lang("/inventory/exit", lang)) novalidate {
                    (csrf_field(c))
                    input type="hidden" name="name" value=(s.name);
                    (input("exit", "alternatives", c.t("Alternativen", "Alternatives"), "text", Some(c.t("durch Komma getrennt", "separated by commas")), ex))
                    (input("exit", "months", c.t("Wechseldauer in Monaten", "Switch duration in months"), "number", None, ex))
                    (input("exit", "formats", c.t("Exportformate", "Export formats"), "text", Some(c.t("durch Komma getrennt", "separated by commas")), ex))
                    (input("exit", "cost", c.t("Kosten je Arbeitsplatz in EUR", "Cost per workplace in EUR"), "number", None, ex))
                    (select("exit", "status", c.t("Status", "Status"), &keyed_options!(ExitStatus, lang), ex))
                    p { button type="submit" { (c.t("Exit-Szenario speichern", "Save exit scenario")) } }
                }
                h2 { (c.t("Entfernen", "Remove")) }
                (super::button_form(c, "/inventory/remove", &[("name", &s.name)], c.t("System aus dem Inventar entfernen", "Remove system from the inventory")))
            }
        }
    };
    layout::page(c, &title, body)
}

fn unprocessable(m: maud::Markup) -> Response {
    let mut res = m.into_response();
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// `POST /inventory/system`: adds a system (no `original`) or changes it.
pub async fn submit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let original = f.text("original");
    let existing = if original.is_empty() {
        None
    } else {
        Some(edit::get(c.node(), &original).map_err(|_| WebError::NotFound(c.lang))?)
    };
    let mut st = FormState::default();
    for k in SYSTEM_FIELDS.iter().chain(["name"].iter()) {
        st.set(k, f.text(k));
    }
    let notice_months = number(&c, &mut st, "notice_months");
    let users = number(&c, &mut st, "users");
    let opt = |k: &str| Some(st.value(k).to_string()).filter(|v| !v.is_empty());
    let fields = SystemFields {
        category: opt("category"),
        product: Some(st.value("product").to_string()),
        vendor: Some(st.value("vendor").to_string()),
        jurisdiction: opt("jurisdiction"),
        hosting: opt("hosting"),
        licence: opt("licence"),
        formats: Some(list(st.value("formats"))),
        api: opt("api"),
        contract_end: Some(opt("contract_end").unwrap_or_else(|| "-".into())),
        notice_months,
        exit_clause: opt("exit_clause"),
        relevance: opt("relevance"),
        users,
    };
    if !st.failed() {
        let done = match &existing {
            Some(s) => edit::edit(c.node(), &s.name, fields),
            None => {
                let name = st.value("name").to_string();
                if name.is_empty() {
                    Err(EditError::Record(RecordError::EmptyName))
                } else {
                    edit::add(c.node(), &name, fields)
                }
            }
        };
        match done {
            Ok(s) => {
                let (change, confirmation) = match existing {
                    Some(_) => (
                        format!("System geändert / system changed: {:?}", s.name),
                        format!(
                            "{} „{}“ {}",
                            c.t("System", "System"),
                            s.name,
                            c.t("gespeichert.", "saved.")
                        ),
                    ),
                    None => (
                        format!("System angelegt / system added: {:?}", s.name),
                        format!(
                            "{} „{}“ {}",
                            c.t("System", "System"),
                            s.name,
                            c.t("angelegt.", "added.")
                        ),
                    ),
                };
                let to = super::system_path(&s.name);
                return c.done(&change, &confirmation, &to);
            }
            Err(EditError::Node(e)) => return Err(e.into()),
            Err(e) => place(&c, &mut st, &e),
        }
    }
    let ex = existing.as_ref().map(exit_state).unwrap_or_default();
    Ok(unprocessable(render(&c, existing.as_ref(), &st, &ex)))
}

/// `POST /inventory/remove`.
pub async fn remove(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let name = f.text("name");
    match edit::remove(c.node(), &name) {
        Ok(()) => c.done(
            &format!("System entfernt / system removed: {name:?}"),
            &format!(
                "{} „{name}“ {}",
                c.t("System", "System"),
                c.t("entfernt.", "removed.")
            ),
            "/inventory",
        ),
        Err(EditError::Node(e)) => Err(e.into()),
        Err(_) => Err(WebError::NotFound(c.lang)),
    }
}

/// `POST /inventory/exit`: defines or changes the exit scenario of a system.
pub async fn exit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let name = f.text("name");
    let s = edit::get(c.node(), &name).map_err(|_| WebError::NotFound(c.lang))?;
    let mut ex = FormState::default();
    for k in EXIT_FIELDS {
        ex.set(k, f.text(k));
    }
    let months = number(&c, &mut ex, "months");
    let cost = number(&c, &mut ex, "cost");
    let opt = |k: &str| Some(ex.value(k).to_string()).filter(|v| !v.is_empty());
    let change = ExitEdit {
        alternatives: Some(list(ex.value("alternatives"))),
        months,
        formats: Some(list(ex.value("formats"))),
        cost_per_workplace: cost,
        status: opt("status"),
    };
    if !ex.failed() {
        match edit::set_exit(c.node(), &name, change) {
            Ok(s) => {
                let status = s.exit.as_ref().map_or("", |x| x.status.key());
                return c.done(
                    &format!(
                        "Exit-Szenario gespeichert / exit scenario saved: {name:?} ({status})"
                    ),
                    &format!(
                        "{} „{name}“ {}",
                        c.t("Exit-Szenario für", "Exit scenario for"),
                        c.t("gespeichert.", "saved.")
                    ),
                    &super::system_path(&name),
                );
            }
            Err(EditError::Node(e)) => return Err(e.into()),
            Err(e) => place(&c, &mut ex, &e),
        }
    }
    Ok(unprocessable(render(&c, Some(&s), &system_state(&s), &ex)))
}
