//! Privacy, for the data protection officer and everyone who may read it: the budget of the
//! last 365 days ([`crate::round::policy::budget`]: spent, limit, remaining, when parts free
//! up, the lifetime total), the ledger (every release with its round, date, epsilon, mode,
//! metrics and delivery), and the report for the data protection officer as a download
//! ([`crate::privacy::report::render`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;
use sovbench_core::catalogue::Catalogue;

use crate::model::LedgerEntry;
use crate::people::Action;
use crate::round::policy::budget;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::layout::{self, num};
use crate::web::site::Site;

/// `GET /privacy`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ReadPrivacy).await?;
    let lang = c.lang;
    let node = c.node();
    let ledger = node.store().ledger()?;
    let policy = &node.config().privacy;
    let b = budget(&ledger, policy, node.now());
    let body = html! {
        p { (c.t(
            "Werte dieser Verwaltung verlassen den Knoten nur differentiell privat (Modus direkt) oder verschlüsselt an das Treuhändergremium (Modus sicher). Jede Freigabe verbraucht einen Teil des Datenschutzbudgets ε; die Grenze gilt für beliebige 365 Tage.",
            "This administration's values leave the node only differentially private (mode direct) or encrypted to the trustee committee (mode secure). Every release uses part of the privacy budget ε; the limit holds for any 365 days.")) }
        h2 { (c.t("Budget der letzten 365 Tage", "Budget of the last 365 days")) }
        dl class="facts" {
            dt { (c.t("Verbraucht", "Used")) }
            dd { "ε " (num(b.spent, 2, lang)) " " (c.t("in", "in")) " " (b.rounds) " " (c.t("Runde(n) seit", "round(s) since")) " " (layout::date(b.window_start, lang)) }
            dt { (c.t("Grenze", "Limit")) } dd { "ε " (num(b.limit, 2, lang)) }
            dt { (c.t("Verfügbar", "Available")) } dd { strong { "ε " (num(b.remaining, 2, lang)) } }
            dt { (c.t("Insgesamt seit Beginn", "Lifetime total")) }
            dd {
                "ε " (num(b.lifetime_spent, 2, lang))
                @if let (Some(cap), Some(rem)) = (b.lifetime_limit, b.lifetime_remaining) {
                    " " (c.t("von", "of")) " " (num(cap, 2, lang)) ", " (c.t("verfügbar", "available")) " " (num(rem, 2, lang))
                } @else {
                    " (" (c.t("keine Grenze über die Lebensdauer eingestellt", "no lifetime cap set")) ")"
                }
            }
        }
        @if !b.frees_up.is_empty() {
            table {
                caption { (c.t("Wann Budget wieder frei wird", "When budget frees up again")) }
                thead { tr {
                    th scope="col" { (c.t("Datum", "Date")) }
                    th scope="col" class="num" { "ε" }
                } }
                tbody {
                    @for f in &b.frees_up {
                        tr { td { (layout::date(f.at, lang)) } td class="num" { (num(f.epsilon, 2, lang)) } }
                    }
                }
            }
        }
        h2 { (c.t("Freigaben (Ledger)", "Releases (ledger)")) }
        @if ledger.is_empty() {
            p { (c.t("Noch keine Freigabe: kein Wert hat diesen Knoten verlassen.", "No release yet: no value has left this node.")) }
        } @else {
            table {
                caption { (c.t("Jede Freigabe dieses Knotens, die neueste zuerst", "Every release of this node, newest first")) }
                thead { tr {
                    th scope="col" { (c.t("Runde", "Round")) }
                    th scope="col" { (c.t("Datum", "Date")) }
                    th scope="col" class="num" { "ε" }
                    th scope="col" { (c.t("Modus", "Mode")) }
                    th scope="col" { (c.t("Kennzahlen", "Metrics")) }
                    th scope="col" { (c.t("Zustellung", "Delivery")) }
                } }
                tbody {
                    @for e in ledger.iter().rev() {
                        tr {
                            th scope="row" { (e.round_id) }
                            td { (layout::date_time(e.recorded_at, lang)) }
                            td class="num" { (num(e.epsilon, 2, lang)) }
                            td { (e.mode.label(lang)) }
                            td { (metrics(e, lang).join(", ")) }
                            td { (e.state.label(lang)) }
                        }
                    }
                }
            }
        }
        h2 { (c.t("Bericht für die Datenschutzbeauftragten", "Report for the data protection officer")) }
        p { (c.t(
            "Der Bericht nennt jede Freigabe mit genau den Werten, die den Knoten verlassen haben, Mechanismus, Parameter und ε, und erklärt die Garantie in einfachen Worten.",
            "The report lists every release with exactly the values that left the node, the mechanism, its parameter and ε, and explains the guarantee in plain words.")) }
        p { a class="button" href=(ctx::with_lang("/privacy/report.md", lang)) download="datenschutzbericht.md" {
            (c.t("Bericht herunterladen (Markdown)", "Download the report (Markdown)"))
        } }
    };
    Ok(layout::page(&c, c.t("Datenschutz", "Privacy"), body).into_response())
}

/// The metrics of a release, by their readable names.
fn metrics(e: &LedgerEntry, lang: sovbench_core::i18n::Lang) -> Vec<String> {
    let cat = Catalogue::shared();
    let ids: Vec<&str> = match &e.secure {
        Some(s) => s.encrypted.iter().map(|r| r.metric.as_str()).collect(),
        None => e.releases.iter().map(|r| r.metric.as_str()).collect(),
    };
    ids.into_iter().map(|id| cat.label(id, lang)).collect()
}

/// `GET /privacy/report.md`: the report for the data protection officer, as a download.
pub async fn report(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::ReadPrivacy).await?;
    let text = crate::privacy::report::render(c.node(), c.lang, c.node().now())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"datenschutzbericht.md\"",
            ),
        ],
        text,
    )
        .into_response())
}
