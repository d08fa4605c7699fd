//! Rounds: the aggregator's open round as a person decides about it ([`crate::round::offer`]):
//! what it asks for, in which form the values leave, what it costs against the budget of 365
//! days, whether the policy allows it and what is known about publishing for the
//! administration's cohorts, all before any budget is spent; the form that sends (only for a
//! role that may approve, with an explicit confirmation); and the ledger with the outbox.
//! While the workplace runs, values go to a round only through this form.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::cohort_id_label;
use sovbench_core::i18n::Lang;

use crate::model::{DeliveryState, ReleaseMode};
use crate::people::{self, Action};
use crate::round::offer::{self, Offer, Outlook};
use crate::round::{Delivery, SubmitReport};
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::layout::{self, csrf_field, num};
use crate::web::site::Site;

/// The value of the confirmation checkbox.
const CONFIRMED: &str = "yes";

/// `GET /rounds`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    Ok(render(&c, None).await?.into_response())
}

/// `POST /rounds/send`: records and sends the values for the round the person saw, once they
/// confirmed; shows the page again with the problem otherwise.
pub async fn send(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    let round = f.text("round");
    if f.get("confirm") != Some(CONFIRMED) || round.is_empty() {
        let problem = c.t(
            "Nicht gesendet: Bitte bestätigen Sie, dass die Werte für diese Runde freigegeben werden sollen.",
            "Not sent: please confirm that the values are to be released to this round.",
        );
        let mut res = render(&c, Some(problem.to_string())).await?.into_response();
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    match offer::send(c.node(), &round).await {
        Ok(report) => {
            let change = format!(
                "Runde {round}: Werte freigegeben / values released: {}",
                report_text(&report, Lang::De)
            );
            c.done(&change, &report_text(&report, c.lang), "/rounds")
        }
        Err(e) => {
            people::log(
                c.node(),
                c.person(),
                &format!(
                    "Runde {round}: Freigabe nicht gesendet / release not sent: {}",
                    e.localised(Lang::De)
                ),
            )?;
            let problem = format!(
                "{} {}",
                c.t("Nicht gesendet:", "Not sent:"),
                e.localised(c.lang)
            );
            let mut res = render(&c, Some(problem)).await?.into_response();
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
    }
}

/// `POST /rounds/deliver`: tries again to deliver what the outbox holds (the same signed bytes;
/// nothing new is released and no budget spent).
pub async fn deliver(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    match crate::round::flush_outbox(c.node()).await {
        Ok(done) if done.is_empty() => c.done(
            "Postausgang: nichts zuzustellen / outbox: nothing to deliver",
            c.t("Im Postausgang liegt nichts.", "The outbox is empty."),
            "/rounds",
        ),
        Ok(done) => {
            let line = |lang: Lang| {
                done.iter()
                    .map(|d| delivery_text(d, lang))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            c.done(
                &format!(
                    "Postausgang zugestellt / outbox delivered: {}",
                    line(Lang::De)
                ),
                &line(c.lang),
                "/rounds",
            )
        }
        Err(e) => {
            let problem = format!(
                "{} {}",
                c.t("Zustellung fehlgeschlagen:", "Delivery failed:"),
                e.localised(c.lang)
            );
            let mut res = render(&c, Some(problem)).await?.into_response();
            *res.status_mut() = StatusCode::BAD_GATEWAY;
            Ok(res)
        }
    }
}

/// One delivery in a sentence.
fn delivery_text(d: &Delivery, lang: Lang) -> String {
    format!(
        "{} {}: {}{}.",
        lang.pick("Runde", "Round"),
        d.round_id,
        d.state.label(lang),
        d.detail
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default()
    )
}

/// What a send did, in sentences (the confirmation and the log).
fn report_text(r: &SubmitReport, lang: Lang) -> String {
    let mut parts: Vec<String> = r.retried.iter().map(|d| delivery_text(d, lang)).collect();
    if let Some(s) = &r.skipped {
        parts.push(format!(
            "{}: {}.",
            lang.pick("Nichts Neues freigegeben", "Nothing new released"),
            s.text(lang)
        ));
    }
    if let Some(d) = &r.current {
        let what = match d.state {
            DeliveryState::Delivered => lang.pick(
                "Werte aufgezeichnet, gesendet und vom Aggregator quittiert.",
                "Values recorded, sent and acknowledged by the aggregator.",
            ),
            DeliveryState::Pending => lang.pick(
                "Werte aufgezeichnet; die Zustellung steht aus und wird wiederholt (dieselben Bytes, kein neues Budget).",
                "Values recorded; delivery is pending and will be retried (the same bytes, no new budget).",
            ),
            DeliveryState::Refused => lang.pick(
                "Werte aufgezeichnet, aber vom Aggregator abgelehnt. Das Budget bleibt verbraucht.",
                "Values recorded, but refused by the aggregator. The budget stays spent.",
            ),
        };
        parts.push(format!(
            "{} {}: {what} ε {}{}; {}: {}.{}",
            lang.pick("Runde", "Round"),
            d.round_id,
            num(r.epsilon.unwrap_or(0.0), 2, lang),
            r.mode
                .map(|m| format!(", {} {}", lang.pick("Modus", "mode"), m.label(lang)))
                .unwrap_or_default(),
            lang.pick("Kennzahlen", "metrics"),
            r.metrics
                .iter()
                .map(|m| Catalogue::shared().label(m, lang))
                .collect::<Vec<_>>()
                .join(", "),
            d.detail
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        ));
    }
    parts.join(" ")
}

/// The share of the budget as people say it: "half", "a quarter", or a percentage.
fn share_words(share: f64, lang: Lang) -> String {
    let near = |x: f64| (share - x).abs() < 0.005;
    if share >= 0.995 {
        lang.pick("das gesamte", "the whole").to_string()
    } else if near(0.5) {
        lang.pick("die Hälfte", "half").to_string()
    } else if near(0.25) {
        lang.pick("ein Viertel", "a quarter").to_string()
    } else if near(0.75) {
        lang.pick("drei Viertel", "three quarters").to_string()
    } else if near(1.0 / 3.0) {
        lang.pick("ein Drittel", "a third").to_string()
    } else {
        format!("{} %", num(share * 100.0, 0, lang))
    }
}

async fn render(c: &Ctx<'_>, problem: Option<String>) -> Result<Markup, WebError> {
    let lang = c.lang;
    let node = c.node();
    let offer = match node.link().configured() {
        None => None,
        Some(_) => Some(offer::offer(node).await),
    };
    let ledger = node.store().ledger()?;
    let queued = node.store().outbox()?.len();
    let body = html! {
        @if let Some(p) = &problem {
            div class="problem" role="alert" id="send-problem" { p { (p) } }
        }
        h2 { (c.t("Offene Runde", "Open round")) }
        @match &offer {
            None => {
                p { (c.t(
                    "Für diesen Knoten ist kein Aggregator eingerichtet (aggregator_url in node.toml). Ohne ihn gibt es keine Runden; alle Daten bleiben auf diesem Knoten.",
                    "No aggregator is configured for this node (aggregator_url in node.toml). Without one there are no rounds; all data stays on this node.")) }
            }
            Some(Err(e)) => {
                div class="problem" role="status" {
                    p { (c.t("Die offene Runde konnte nicht abgerufen werden:", "The open round could not be fetched:")) " " (e.localised(lang)) }
                    p { (c.t("Es wurde nichts gesendet und kein Budget verbraucht.", "Nothing was sent and no budget spent.")) }
                }
            }
            Some(Ok(None)) => {
                p { (c.t("Der Aggregator hat zurzeit keine offene Runde. Es ist nichts zu tun.", "The aggregator has no open round at the moment. There is nothing to do.")) }
            }
            Some(Ok(Some(o))) => { (offer_section(c, o, problem.is_some())) }
        }
        (ledger_section(c, &ledger, queued))
    };
    Ok(layout::page(c, c.t("Runden", "Rounds"), body))
}

fn offer_section(c: &Ctx<'_>, o: &Offer, problem: bool) -> Markup {
    let lang = c.lang;
    let p = &o.params;
    let cat = Catalogue::shared();
    let allowed = o.refusal.is_none() && o.enrolment.is_none() && o.taken_part.is_none();
    let unsure = o.may_publish_nothing_for();
    html! {
        dl class="facts" {
            dt { (c.t("Runde", "Round")) } dd { strong { (p.round_id) } }
            @if !p.consortium.is_empty() {
                dt { (c.t("Verbund", "Consortium")) } dd { (p.consortium) }
            }
            dt { (c.t("Offen bis", "Open until")) } dd { (layout::date_time(p.closes_at, lang)) }
            dt { (c.t("Mindestgröße einer Kohorte (k)", "Minimum cohort size (k)")) } dd { (p.min_cohort) }
        }
        h3 { (c.t("Was die Runde erfragt", "What the round asks for")) }
        ul {
            @for m in &p.metrics { li { (cat.label(&m.id, lang)) } }
        }
        h3 { (c.t("Wie die Werte den Knoten verlassen", "How the values leave the node")) }
        @match o.mode {
            ReleaseMode::Direct => {
                p { strong { (o.mode.label(lang)) } ": "
                    (c.t("Die Werte werden auf diesem Knoten mit OpenDP verrauscht (differentielle Privatsphäre). Nur die verrauschten Werte verlassen ihn, nie die echten.",
                         "The values are privatised on this node with OpenDP (differential privacy). Only the noisy values leave it, never the true ones.")) }
                p { (o.released) " " (c.t("von", "of")) " " (p.metrics.len()) " "
                    (c.t("Kennzahlen werden zufällig ausgewählt und freigegeben.", "metrics are drawn at random and released.")) }
            }
            ReleaseMode::Secure => {
                p { strong { (o.mode.label(lang)) } ": "
                    (c.t("Die Werte werden auf diesem Knoten an das Treuhändergremium verschlüsselt. Entschlüsselt werden nur verrauschte Summen über alle Teilnehmenden, nie ein einzelner Wert.",
                         "The values are encrypted on this node to the trustee committee. Only noisy totals over all participants are decrypted, never a single value.")) }
            }
        }
        h3 { (c.t("Was es kostet", "What it costs")) }
        @match o.epsilon {
            Some(eps) if o.taken_part.is_some() => {
                p { (c.t("Diese Runde hat ε", "This round used ε")) " " (num(eps, 2, lang)) " "
                    (c.t("verbraucht; verfügbar für 365 Tage:", "; available for 365 days:")) " ε " (num(o.budget.remaining, 2, lang))
                    " " (c.t("von", "of")) " " (num(o.budget.limit, 2, lang)) "." }
            }
            Some(eps) => {
                @let share = if o.budget.limit > 0.0 { eps / o.budget.limit } else { 1.0 };
                p { (c.t("Diese Runde verbraucht", "This round uses")) " ε " (num(eps, 2, lang)) ", "
                    (c.t("das ist", "that is")) " " strong { (share_words(share, lang)) } " "
                    (c.t("Ihres Datenschutzbudgets für 365 Tage", "of your privacy budget for 365 days"))
                    " (" (c.t("Grenze", "limit")) " ε " (num(o.budget.limit, 2, lang)) ")." }
                p { (c.t("Bereits verbraucht in den letzten 365 Tagen:", "Already used in the last 365 days:")) " ε " (num(o.budget.spent, 2, lang))
                    ". " (c.t("Nach dieser Runde verbleiben:", "Left after this round:")) " ε " (num((o.budget.remaining - eps).max(0.0), 2, lang)) "." }
            }
            None => {
                p { (c.t("Die Kosten lassen sich nicht bestimmen: die Parameter der Runde sind nicht verwendbar.", "The cost cannot be determined: the round's parameters are not usable.")) }
            }
        }
        h3 { (c.t("Erlaubt Ihre Datenschutzrichtlinie die Runde?", "Does your privacy policy allow the round?")) }
        @match &o.refusal {
            None => p { (c.t("Ja. Die Runde hält die Grenzen in node.toml ein.", "Yes. The round keeps to the limits in node.toml.")) },
            Some(e) => div class="problem" role="status" {
                p { strong { (c.t("Nein:", "No:")) } " " (e.localised(lang)) }
                p { (c.t("Diese Runde kann von diesem Knoten nicht freigegeben werden.", "This round cannot be released from this node.")) }
            },
        }
        @if let Some(e) = &o.enrolment {
            div class="problem" role="status" {
                p { strong { (c.t("Der Aggregator würde die Werte ablehnen:", "The aggregator would refuse the values:")) } " " (e.localised(lang)) }
            }
        }
        h3 { (c.t("Wird für Ihre Kohorten etwas veröffentlicht?", "Will anything be published for your cohorts?")) }
        p { (c.t(
            "Ein Wert einer Kohorte wird nur veröffentlicht, wenn mindestens k Verwaltungen beitragen und er genau genug ist. Wie viele Verwaltungen an dieser Runde teilnehmen, kann dieser Knoten nicht wissen; die letzte Veröffentlichung gibt einen Anhaltspunkt.",
            "A cohort's value is published only if at least k administrations contribute and it is precise enough. How many administrations take part in this round this node cannot know; the last publication gives a hint.")) }
        table {
            caption { (c.t("Ihre Kohorten in der letzten Veröffentlichung", "Your cohorts in the last publication")) " (k = " (p.min_cohort) ")" }
            thead { tr {
                th scope="col" { (c.t("Kohorte", "Cohort")) }
                th scope="col" { (c.t("Letzte Veröffentlichung", "Last publication")) }
                th scope="col" { (c.t("Aussicht für diese Runde", "Outlook for this round")) }
            } }
            tbody {
                @for co in &o.cohorts {
                    tr {
                        th scope="row" { (cohort_id_label(&co.cohort, lang)) }
                        @match &co.last {
                            Outlook::Published { round, n } => {
                                td { (c.t("Runde", "Round")) " " (round) ": " (c.t("veröffentlicht, bis zu", "published, up to")) " " (n) " " (c.t("Teilnehmende", "contributors")) }
                                td { @if *n >= p.min_cohort {
                                    (c.t("voraussichtlich ja, bei ähnlicher Beteiligung", "likely, with similar participation"))
                                } @else {
                                    (c.t("unsicher: zuletzt weniger als k Teilnehmende", "uncertain: fewer than k contributors last time"))
                                } }
                            }
                            Outlook::Suppressed { round } => {
                                td { (c.t("Runde", "Round")) " " (round) ": " (c.t("alle Werte unterdrückt", "every value suppressed")) }
                                td { (c.t("unsicher: zuletzt nichts veröffentlicht", "uncertain: nothing published last time")) }
                            }
                            Outlook::Unknown => {
                                td { (c.t("keine bekannt", "none known")) }
                                td { (c.t("nicht vorhersehbar", "cannot be foreseen")) }
                            }
                        }
                    }
                }
            }
        }
        @if !unsure.is_empty() && allowed {
            div class="warning" role="note" {
                p { strong { (c.t("Bitte vor dem Senden beachten:", "Please note before sending:")) } " "
                    (c.t("Für", "For")) " " (unsure.len()) " " (c.t("Ihrer Kohorten ist nicht sicher, dass ein Wert veröffentlicht wird. Das Budget wird trotzdem verbraucht; nicht veröffentlichte Werte werden, wo möglich, in einer gröberen Kohorte gezeigt.",
                        "of your cohorts it is not certain that a value will be published. The budget is spent anyway; values not published are shown in a coarser cohort where possible.")) }
            }
        }
        h3 { (c.t("Teilnehmen", "Take part")) }
        @if let Some(e) = &o.taken_part {
            p { (c.t("Dieser Knoten hat an dieser Runde bereits teilgenommen, am", "This node already took part in this round, on")) " "
                (layout::date(e.recorded_at, lang)) ": " (e.state.label(lang)) "." }
        } @else if !allowed {
            p { (c.t("Senden ist nicht möglich (siehe oben).", "Sending is not possible (see above).")) }
        } @else if c.may(Action::Approve) {
            (send_form(c, o, problem))
        } @else {
            p class="hint" { (c.t("Ihre Rolle darf die Runde ansehen, aber keine Werte senden. Senden darf nur die Rolle Freigabe.",
                                  "Your role may look at the round but not send values. Only the approver role may send.")) }
        }
    }
}

fn send_form(c: &Ctx<'_>, o: &Offer, problem: bool) -> Markup {
    let lang = c.lang;
    let eps = o.epsilon.map(|e| num(e, 2, lang)).unwrap_or_default();
    let err = problem.then_some("send-problem");
    html! {
        form method="post" action=(ctx::with_lang("/rounds/send", lang)) {
            (csrf_field(c))
            input type="hidden" name="round" value=(o.params.round_id);
            p {
                input type="checkbox" id="confirm" name="confirm" value=(CONFIRMED)
                    aria-describedby=[err] aria-invalid=[err.map(|_| "true")];
                label class="inline" for="confirm" {
                    (c.t("Ich gebe die Werte dieser Verwaltung für Runde", "I release this administration's values to round")) " "
                    (o.params.round_id) " " (c.t("frei; dafür wird ε", "; this uses ε")) " " (eps) " "
                    (c.t("des Budgets verbraucht.", "of the budget."))
                }
            }
            p { button type="submit" {
                (c.t("Werte jetzt an Runde", "Send the values to round")) " " (o.params.round_id) " "
                (c.t("senden", "now"))
            } }
        }
    }
}

fn ledger_section(c: &Ctx<'_>, ledger: &[crate::model::LedgerEntry], queued: usize) -> Markup {
    let lang = c.lang;
    html! {
        h2 { (c.t("Teilnahmen und Postausgang", "Participation and outbox")) }
        @if ledger.is_empty() {
            p { (c.t("Dieser Knoten hat noch an keiner Runde teilgenommen.", "This node has not taken part in any round yet.")) }
        } @else {
            table {
                caption { (c.t("Jede Freigabe dieses Knotens und ihre Zustellung", "Every release of this node and its delivery")) }
                thead { tr {
                    th scope="col" { (c.t("Runde", "Round")) }
                    th scope="col" { (c.t("Aufgezeichnet", "Recorded")) }
                    th scope="col" { (c.t("Modus", "Mode")) }
                    th scope="col" class="num" { "ε" }
                    th scope="col" { (c.t("Zustellung", "Delivery")) }
                } }
                tbody {
                    @for e in ledger.iter().rev() {
                        tr {
                            th scope="row" { (e.round_id) }
                            td { (layout::date_time(e.recorded_at, lang)) }
                            td { (e.mode.label(lang)) }
                            td class="num" { (num(e.epsilon, 2, lang)) }
                            td { (e.state.label(lang)) }
                        }
                    }
                }
            }
        }
        @if queued > 0 {
            p { (queued) " " (c.t("Freigabe(n) im Postausgang. Sie werden mit denselben Bytes zugestellt; es wird kein neues Budget verbraucht.",
                                  "release(s) in the outbox. They are delivered as the same bytes; no new budget is used.")) }
            @if c.may(Action::Approve) {
                form method="post" action=(ctx::with_lang("/rounds/deliver", lang)) {
                    (csrf_field(c))
                    button type="submit" class="secondary" { (c.t("Zustellung jetzt erneut versuchen", "Try delivery again now")) }
                }
            }
        } @else {
            p { (c.t("Der Postausgang ist leer.", "The outbox is empty.")) }
        }
    }
}
