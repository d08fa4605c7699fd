//! The inventory (Inventar): the systems as a table to sort and filter, the upload with its
//! preview ([`upload`]), one system's form with its exit scenario ([`system`]), the risk matrix
//! and the switch-readiness check (Wechselbereitschafts-Check, [`readiness`]). Editing needs
//! [`Action::Fill`]; readers see everything without forms.

pub mod readiness;
pub mod system;
pub mod upload;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sovbench_core::i18n::Lang;

use crate::inventory::risk::{self, Level, Risk, RiskClass};
use crate::inventory::{Relevance, System};
use crate::people::Action;
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::layout::{self, csrf_field};
use crate::web::site::Site;

/// The orders of the table (`?sort=`).
const SORTS: &[(&str, &str, &str)] = &[
    ("name", "Name", "Name"),
    ("vendor", "Hersteller", "Vendor"),
    ("relevance", "Relevanz", "Relevance"),
    ("contract_end", "Vertragsende", "Contract end"),
    ("risk", "Risiko", "Risk"),
];

/// The table's state, kept in its links: order, text filter, relevance filter.
#[derive(Debug, Clone, Default)]
struct View {
    sort: String,
    q: String,
    relevance: String,
}

impl View {
    fn of(uri: &Uri) -> View {
        let sort = ctx::query_param(uri, "sort")
            .filter(|s| SORTS.iter().any(|(k, ..)| k == s))
            .unwrap_or_else(|| "name".into());
        View {
            sort,
            q: ctx::query_param(uri, "q").unwrap_or_default(),
            relevance: ctx::query_param(uri, "relevance")
                .filter(|r| Relevance::from_key(r).is_some())
                .unwrap_or_default(),
        }
    }

    /// The link of this view ordered by `sort`.
    fn link(&self, sort: &str, lang: Lang) -> String {
        let mut pairs = vec![("sort", sort)];
        if !self.q.is_empty() {
            pairs.push(("q", &self.q));
        }
        if !self.relevance.is_empty() {
            pairs.push(("relevance", &self.relevance));
        }
        let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        ctx::with_lang(&format!("/inventory?{q}"), lang)
    }

    /// The systems this view shows, in its order.
    fn apply<'s>(&self, systems: &'s [System]) -> Vec<(&'s System, Risk)> {
        let q = self.q.to_lowercase();
        let rel = Relevance::from_key(&self.relevance);
        let mut shown: Vec<(&System, Risk)> = systems
            .iter()
            .filter(|s| rel.is_none_or(|r| s.relevance == r))
            .filter(|s| {
                q.is_empty()
                    || [&s.name, &s.product, &s.vendor]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&q))
            })
            .map(|s| (s, risk::assess(s)))
            .collect();
        let rank = |r: Relevance| Relevance::ALL.iter().position(|x| *x == r);
        shown.sort_by(|(a, ra), (b, rb)| {
            let by = match self.sort.as_str() {
                "vendor" => a.vendor.to_lowercase().cmp(&b.vendor.to_lowercase()),
                "relevance" => rank(a.relevance).cmp(&rank(b.relevance)),
                "contract_end" => match (a.contract_end, b.contract_end) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                },
                "risk" => rb.score.cmp(&ra.score),
                _ => std::cmp::Ordering::Equal,
            };
            by.then_with(|| a.name.cmp(&b.name))
        });
        shown
    }
}

/// `GET /inventory`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let systems = c.node().store().systems()?;
    let view = View::of(&uri);
    let body = html! {
        (upload::form(&c, None))
        h2 id="systems" { (c.t("Systeme", "Systems")) }
        (table(&c, &systems, &view))
        h2 id="risk" { (c.t("Risikomatrix", "Risk matrix")) }
        (risk_matrix(&c, &systems))
        h2 id="readiness" { (c.t("Wechselbereitschafts-Check", "Switch-readiness check")) }
        (readiness::section(&c, !systems.is_empty())?)
    };
    Ok(layout::page(&c, c.t("Inventar", "Inventory"), body).into_response())
}

fn table(c: &Ctx<'_>, systems: &[System], view: &View) -> Markup {
    let lang = c.lang;
    let shown = view.apply(systems);
    let sorted_by = SORTS
        .iter()
        .find(|(k, ..)| *k == view.sort)
        .map_or("", |(_, de, en)| lang.pick(de, en));
    html! {
        form method="get" action=(ctx::href("/inventory")) class="inline-form" {
            input type="hidden" name="sort" value=(view.sort);
            input type="hidden" name="lang" value=(ctx::lang_key(lang));
            p {
                label for="inv-q" { (c.t("Suche (Name, Produkt, Hersteller)", "Search (name, product, vendor)")) }
                input type="search" id="inv-q" name="q" value=(view.q);
            }
            p {
                label for="inv-relevance" { (c.t("Relevanz", "Relevance")) }
                select id="inv-relevance" name="relevance" {
                    option value="" selected[view.relevance.is_empty()] { (c.t("alle", "all")) }
                    @for r in Relevance::ALL {
                        option value=(r.key()) selected[r.key() == view.relevance] { (r.label(lang)) }
                    }
                }
            }
            p { button type="submit" { (c.t("Filtern", "Filter")) } }
        }
        @if c.may(Action::Fill) {
            p { a href=(ctx::with_lang("/inventory/system", lang)) { (c.t("Neues System erfassen", "Add a system")) } }
        }
        @if systems.is_empty() {
            p { (c.t("Das Inventar ist leer. Laden Sie eine Datei hoch oder erfassen Sie ein System.",
                     "The inventory is empty. Upload a file or add a system.")) }
        } @else {
            p role="status" { (shown.len()) " " (c.t("von", "of")) " " (systems.len()) " " (c.t("Systemen angezeigt.", "systems shown.")) }
            table {
                caption { (c.t("Systeme des Inventars, sortiert nach", "Systems of the inventory, sorted by")) " " (sorted_by) }
                thead { tr {
                    @for (key, de, en) in SORTS {
                        @if *key == "risk" {
                            th scope="col" class="num" aria-sort=[(*key == view.sort).then_some("descending")] {
                                a href=(view.link(key, lang)) { (lang.pick(de, en)) }
                            }
                        } @else {
                            th scope="col" aria-sort=[(*key == view.sort).then_some("ascending")] {
                                a href=(view.link(key, lang)) { (lang.pick(de, en)) }
                            }
                        }
                        @if *key == "name" {
                            th scope="col" { (c.t("Produkt", "Product")) }
                        }
                    }
                    th scope="col" { (c.t("Exit-Szenario", "Exit scenario")) }
                } }
                tbody {
                    @for (s, r) in &shown {
                        tr {
                            th scope="row" { a href=(system_link(&s.name, lang)) { (s.name) } }
                            td { (s.product) }
                            td { (s.vendor) }
                            td { (s.relevance.label(lang)) }
                            td { (s.contract_end.map(|d| layout::date(d * 86_400, lang)).unwrap_or_else(|| "–".into())) }
                            td class="num" { (r.score) " (" (class_label(r.class, lang)) ")" }
                            td { @match &s.exit { Some(x) => { (x.status.label(lang)) }, None => { (c.t("keines", "none")) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The link to one system's page.
pub fn system_link(name: &str, lang: Lang) -> String {
    ctx::with_lang(&system_path(name), lang)
}

/// The path of a system's page inside the workplace, without the prefix and language (for
/// [`ctx::Ctx::done`], which adds both).
pub fn system_path(name: &str) -> String {
    let q = serde_urlencoded::to_string([("name", name)]).unwrap_or_default();
    format!("/inventory/system?{q}")
}

/// A risk class in words (never colour alone).
pub fn class_label(c: RiskClass, lang: Lang) -> &'static str {
    match c {
        RiskClass::A => lang.pick("A: jetzt handeln", "A: act now"),
        RiskClass::B => lang.pick("B: planen", "B: plan"),
        RiskClass::C => lang.pick("C: beobachten", "C: watch"),
    }
}

fn level_label(l: Level, lang: Lang) -> &'static str {
    match l {
        Level::High => lang.pick("hohe Abhängigkeit (8–12)", "high dependency (8–12)"),
        Level::Medium => lang.pick("mittlere Abhängigkeit (4–7)", "medium dependency (4–7)"),
        Level::Low => lang.pick("geringe Abhängigkeit (0–3)", "low dependency (0–3)"),
    }
}

fn risk_matrix(c: &Ctx<'_>, systems: &[System]) -> Markup {
    let lang = c.lang;
    let ranked = risk::ranked(systems);
    let rel_of = |name: &str| systems.iter().find(|s| s.name == name).map(|s| s.relevance);
    let relevances = [
        Relevance::Niedrig,
        Relevance::Mittel,
        Relevance::Hoch,
        Relevance::Kritisch,
    ];
    html! {
        @if ranked.is_empty() {
            p { (c.t("Ohne Systeme keine Risikomatrix.", "No risk matrix without systems.")) }
        } @else {
            table {
                caption { (c.t("Anzahl der Systeme nach Abhängigkeit und Relevanz, mit Risikoklasse", "Number of systems by dependency and relevance, with risk class")) }
                thead { tr {
                    td {}
                    @for r in relevances { th scope="col" { (r.label(lang)) } }
                } }
                tbody {
                    @for level in [Level::High, Level::Medium, Level::Low] {
                        tr {
                            th scope="row" { (level_label(level, lang)) }
                            @for rel in relevances {
                                @let cell: Vec<&Risk> = ranked.iter().filter(|r| r.level == level && rel_of(&r.system) == Some(rel)).collect();
                                @let class = cell.first().map(|r| r.class);
                                td class="num" {
                                    (cell.len())
                                    @if let Some(k) = class { " – " (class_label(k, lang)) }
                                }
                            }
                        }
                    }
                }
            }
            table {
                caption { (c.t("Systeme nach Risiko (Abhängigkeitspunkte × Relevanzgewicht), höchstes zuerst", "Systems by risk (dependency points × relevance weight), highest first")) }
                thead { tr {
                    th scope="col" { (c.t("System", "System")) }
                    th scope="col" class="num" { (c.t("Abhängigkeit (0–12)", "Dependency (0–12)")) }
                    th scope="col" class="num" { (c.t("Gewicht", "Weight")) }
                    th scope="col" class="num" { (c.t("Risiko (0–48)", "Risk (0–48)")) }
                    th scope="col" { (c.t("Klasse", "Class")) }
                    th scope="col" { (c.t("Gründe", "Reasons")) }
                } }
                tbody {
                    @for r in &ranked {
                        tr {
                            th scope="row" { a href=(system_link(&r.system, lang)) { (r.system) } }
                            td class="num" { (r.dependency) }
                            td class="num" { (r.weight) }
                            td class="num" { (r.score) }
                            td { (class_label(r.class, lang)) }
                            td { (r.reasons.iter().map(|x| format!("{} (+{})", x.text(lang), x.points)).collect::<Vec<_>>().join("; ")) }
                        }
                    }
                }
            }
        }
    }
}

/// A one-button form (remove, run the check) of a person who may fill in.
pub fn button_form(c: &Ctx<'_>, action: &str, hidden: &[(&str, &str)], text: &str) -> Markup {
    html! {
        form method="post" action=(ctx::with_lang(action, c.lang)) class="inline-form" {
            (csrf_field(c))
            @for (k, v) in hidden { input type="hidden" name=(k) value=(v); }
            button type="submit" { (text) }
        }
    }
}
