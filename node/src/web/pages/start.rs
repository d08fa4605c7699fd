//! The start page: where the administration stands and what to do next. Everything here is read
//! from the node's own store, so the page answers without the aggregator: the self-test band,
//! the last comparison, the privacy budget, contact requests waiting, critical systems without
//! an exit scenario and contracts ending soon.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;
use sovbench_core::selftest::Band;

use crate::inventory::Relevance;
use crate::people::Action;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::layout::{self, num};
use crate::web::site::Site;

/// Contracts ending within this many days are listed.
const CONTRACT_DAYS: i64 = 365;

/// `GET /`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = match Ctx::enter(&site, &headers, &uri, Action::Read).await {
        // The data protection officer starts on the privacy page.
        Err(WebError::Forbidden { lang, .. }) => {
            return Ok(ctx::see_other(&ctx::with_lang("/privacy", lang)))
        }
        other => other?,
    };
    let lang = c.lang;
    let node = c.node();
    let latest = node.store().latest_assessment()?;
    let systems = node.store().systems()?;
    let today = node.today();
    let critical_no_exit: Vec<_> = systems
        .iter()
        .filter(|s| s.relevance == Relevance::Kritisch && s.exit.is_none())
        .collect();
    let mut ending: Vec<_> = systems
        .iter()
        .filter_map(|s| s.contract_end.map(|d| (d, s)))
        .filter(|(d, _)| *d >= today && *d - today <= CONTRACT_DAYS)
        .collect();
    ending.sort_by_key(|(d, _)| *d);
    let ledger = node.store().ledger()?;
    let budget = crate::round::policy::budget(&ledger, &node.config().privacy, node.now());
    let publication = crate::compare::latest_publication(node)?;
    let body = html! {
        div class="cards" {
            section class="card" aria-labelledby="st-h" {
                h2 id="st-h" { (c.t("Selbsttest", "Self-test")) }
                @match &latest {
                    Some(rec) => {
                        @let total: u32 = rec.scores.iter().map(|s| u32::from(*s)).sum();
                        p { (c.t("Summe", "Total")) " " strong { (total) } " " (c.t("von 25", "of 25")) ": " strong { (Band::of_total(total).label(lang)) } }
                        p class="hint" { (c.t("Stand", "As of")) " " (layout::date(rec.recorded_at(), lang)) }
                        p { a href=(ctx::with_lang("/selftest", lang)) { (c.t("Selbsttest ansehen oder erneuern", "View or renew the self-test")) } }
                    }
                    None => {
                        p { (c.t("Noch kein Selbsttest. Er dauert etwa fünf Minuten und ist der erste Schritt.", "No self-test yet. It takes about five minutes and is the first step.")) }
                        p { a class="button" href=(ctx::with_lang("/selftest", lang)) { (c.t("Selbsttest ausfüllen", "Fill in the self-test")) } }
                    }
                }
            }
            section class="card" aria-labelledby="cmp-h" {
                h2 id="cmp-h" { (c.t("Vergleich", "Comparison")) }
                @match &publication {
                    Some(p) => {
                        p { (c.t("Letzte Veröffentlichung: Runde", "Latest publication: round")) " " strong { (p.round_id) } }
                        p { a href=(ctx::with_lang("/comparison", lang)) { (c.t("Zum Vergleich mit Ihren Kohorten", "To the comparison with your cohorts")) } }
                    }
                    None => {
                        p { (c.t("Noch kein Vergleich. Sobald eine Runde veröffentlicht ist, an der Sie teilgenommen haben, steht er hier.", "No comparison yet. Once a round you took part in is published, it is shown here.")) }
                    }
                }
                p { a href=(ctx::with_lang("/rounds", lang)) { (c.t("Offene Runde und Teilnahme", "Open round and taking part")) } }
            }
            section class="card" aria-labelledby="rnd-h" {
                h2 id="rnd-h" { (c.t("Runde", "Round")) }
                @match last_round(&ledger, publication.as_ref()) {
                    LastRound::TookPart(e) => {
                        p { (c.t("Teilgenommen an Runde", "Took part in round")) " " strong { (e.round_id) } " "
                            (c.t("am", "on")) " " (layout::date(e.recorded_at, lang)) ": " (e.state.label(lang)) "." }
                    }
                    LastRound::Missed(id) => {
                        p { (c.t("An der zuletzt bekannten Runde", "Did not take part in the last known round")) " " strong { (id) } " "
                            (c.t("hat dieser Knoten nicht teilgenommen.", "")) }
                    }
                    LastRound::None => {
                        p { (c.t("Noch keine Runde bekannt.", "No round known yet.")) }
                    }
                }
                p { a href=(ctx::with_lang("/rounds", lang)) { (c.t("Offene Runde ansehen", "Look at the open round")) } }
            }
            section class="card" aria-labelledby="bud-h" {
                h2 id="bud-h" { (c.t("Datenschutz-Budget", "Privacy budget")) }
                p { (c.t("In den letzten 365 Tagen verbraucht:", "Used in the last 365 days:")) " ε " (num(budget.spent, 2, lang)) " " (c.t("von", "of")) " " (num(budget.limit, 2, lang)) }
                p { (c.t("Verfügbar:", "Available:")) " ε " (num(budget.remaining, 2, lang)) }
            }
        }
        h2 { (c.t("Was als Nächstes zu tun ist", "What to do next")) }
        @if critical_no_exit.is_empty() && ending.is_empty() && latest.is_some() && !systems.is_empty() {
            p { (c.t("Nichts Dringendes. Denken Sie an den jährlichen Wechselbereitschafts-Check.", "Nothing urgent. Remember the annual switch-readiness check.")) }
        }
        ul {
            @if systems.is_empty() {
                li { (c.t("Erfassen Sie Ihre Systeme im", "Record your systems in the")) " " a href=(ctx::with_lang("/inventory", lang)) { (c.t("Inventar", "inventory")) } "." }
            }
            @for s in &critical_no_exit {
                li { (c.t("Kritisches System ohne Exit-Szenario:", "Critical system without an exit scenario:")) " " a href=(ctx::with_lang(&format!("/inventory?system={}", urlenc(&s.name)), lang)) { (s.name) } }
            }
            @for (d, s) in &ending {
                li { (c.t("Vertrag endet am", "Contract ends on")) " " (layout::date(*d * 86_400, lang)) ": " (s.name) " (" (s.vendor) ")" }
            }
        }
    };
    Ok(layout::page(&c, c.t("Start", "Start"), body).into_response())
}

/// A value for a query string.
pub fn urlenc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// The last round the node knows of from its own store.
enum LastRound<'a> {
    /// Its latest ledger entry (newer than any publication of a round it missed).
    TookPart(&'a crate::model::LedgerEntry),
    /// The latest kept publication is of a round without a ledger entry.
    Missed(String),
    /// Neither a release nor a publication.
    None,
}

fn last_round<'a>(
    ledger: &'a [crate::model::LedgerEntry],
    publication: Option<&sovbench_core::pb::Publication>,
) -> LastRound<'a> {
    let latest = ledger.iter().max_by_key(|e| e.recorded_at);
    match publication {
        Some(p)
            if !ledger.iter().any(|e| e.round_id == p.round_id)
                && latest.is_none_or(|e| e.recorded_at < p.published_at) =>
        {
            LastRound::Missed(p.round_id.clone())
        }
        _ => latest.map_or(LastRound::None, LastRound::TookPart),
    }
}
