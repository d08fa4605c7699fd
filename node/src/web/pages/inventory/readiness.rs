//! The switch-readiness check (Wechselbereitschafts-Check) on the inventory page: performed and
//! stored like the command `readiness`, the last result shown with what changed since the check
//! before it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};

use crate::people::Action;
use crate::readiness::annual::{self, ReadinessError};
use crate::readiness::{diff, Finding, FindingKind};
use crate::web::ctx::Ctx;
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout;
use crate::web::site::Site;

const KINDS: [FindingKind; 5] = [
    FindingKind::CriticalWithoutExit,
    FindingKind::ContractEnds12mNoExitClause,
    FindingKind::ContractEnds24mNoExitClause,
    FindingKind::NoOpenExportFormat,
    FindingKind::ReplaceableWithin6m,
];

/// `POST /inventory/readiness`: performs the check and stores its result.
pub async fn submit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Fill)?;
    let done = match annual::perform(c.node()) {
        Ok(d) => d,
        Err(ReadinessError::EmptyInventory) => {
            return Err(WebError::BadRequest(
                c.lang,
                c.t(
                    "Das Inventar ist leer: ohne Systeme gibt es nichts zu prüfen.",
                    "The inventory is empty: without systems there is nothing to check.",
                )
                .into(),
            ))
        }
        Err(ReadinessError::Node(e)) => return Err(e.into()),
    };
    let change = format!(
        "Wechselbereitschafts-Check durchgeführt: {} Systeme, {} Befunde / switch-readiness check performed",
        done.result.systems,
        done.result.findings.len()
    );
    let confirmation = format!(
        "{} {} {}",
        c.t(
            "Wechselbereitschafts-Check durchgeführt und gespeichert:",
            "Switch-readiness check performed and saved:"
        ),
        done.result.findings.len(),
        c.t("Befunde.", "findings.")
    );
    c.done(&change, &confirmation, "/inventory#readiness")
}

/// The section: the button (for those who may fill in), the last result and the changes.
pub fn section(c: &Ctx<'_>, has_systems: bool) -> Result<Markup, WebError> {
    let lang = c.lang;
    let history = c.node().store().readiness_history()?;
    let last = history.last();
    let changes = match history.len() {
        n if n >= 2 => Some(diff(&history[n - 2], &history[n - 1])),
        _ => None,
    };
    Ok(html! {
        p { (c.t(
            "Der jährliche Wechselbereitschafts-Check prüft das Inventar und die Migrationspfade: kritische Systeme ohne Exit-Szenario, auslaufende Verträge ohne Ausstiegsklausel, fehlende offene Exportformate.",
            "The annual switch-readiness check examines the inventory and the migration paths: critical systems without an exit scenario, contracts ending without an exit clause, missing open export formats.")) }
        @if c.may(Action::Fill) && has_systems {
            (super::button_form(c, "/inventory/readiness", &[], c.t("Check jetzt durchführen und speichern", "Perform and save the check now")))
        }
        @match last {
            None => p { (c.t("Noch kein Check gespeichert.", "No check saved yet.")) },
            Some(r) => {
                h3 { (c.t("Letzter Check vom", "Last check of")) " " (layout::date_time(r.checked_at, lang)) }
                p { (r.systems) " " (c.t("Systeme geprüft,", "systems checked,")) " " (r.findings.len()) " " (c.t("Befunde.", "findings.")) }
                table {
                    caption { (c.t("Befunde des letzten Checks", "Findings of the last check")) }
                    thead { tr {
                        th scope="col" { (c.t("Befund", "Finding")) }
                        th scope="col" class="num" { (c.t("Anzahl", "Count")) }
                        th scope="col" { (c.t("Systeme", "Systems")) }
                    } }
                    tbody {
                        @for kind in KINDS {
                            @let items: Vec<&Finding> = r.findings.iter().filter(|f| f.kind == kind).collect();
                            tr {
                                th scope="row" { (kind.label(lang)) }
                                td class="num" { (items.len()) }
                                td { (items.iter().map(|f| if f.detail.is_empty() { f.system.clone() } else { format!("{} ({})", f.system, f.detail) }).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
                @if !r.suggestions.is_empty() {
                    h3 { (c.t("Vorgeschlagene Selbsttest-Werte", "Suggested self-test scores")) }
                    ul {
                        @for s in &r.suggestions {
                            li { (s.dimension.label(lang)) ": " (s.score) " – " (lang.pick(&s.evidence_de, &s.evidence_en)) }
                        }
                    }
                }
                h3 { (c.t("Veränderungen seit dem vorigen Check", "Changes since the previous check")) }
                @match &changes {
                    None => p { (c.t("Es gibt noch keinen früheren Check zum Vergleich.", "There is no earlier check to compare with yet.")) },
                    Some(d) => {
                        p { (c.t("Seit dem Check vom", "Since the check of")) " " (layout::date_time(d.previous_at, lang)) ": "
                            (d.new.len()) " " (c.t("neue Befunde", "new findings")) ", "
                            (d.resolved.len()) " " (c.t("erledigt", "resolved")) "." }
                        @if !d.new.is_empty() || !d.resolved.is_empty() || !d.score_changes.is_empty() {
                            ul {
                                @for f in &d.new { li { (c.t("Neu:", "New:")) " " (f.kind.label(lang)) ": " (f.system) } }
                                @for f in &d.resolved { li { (c.t("Erledigt:", "Resolved:")) " " (f.kind.label(lang)) ": " (f.system) } }
                                @for (dim, a, b) in &d.score_changes { li { (dim.label(lang)) ": " (a) " → " (b) } }
                            }
                        }
                    }
                }
            }
        }
    })
}
