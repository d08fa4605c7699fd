//! The markup of the peers page: one section per migration path (offer, stage change waiting,
//! matches, requests, cards), then the stages sent.

use maud::{html, Markup};
use sovbench_core::paths::{path_by_id, stage_label};
use sovbench_core::peers::ContactCard;

use super::{Live, OfferEntry, CARD_FIELDS};
use crate::migration::MigrationPath;
use crate::peers::{
    self, IncomingView, LocalOffer, MatchView, OutgoingView, PathMatches, StageSharing,
};
use crate::people::Action;
use crate::present::peers::{kind_label, path_label, reason_label, status_label};
use crate::web::ctx::{self, Ctx};
use crate::web::error::WebError;
use crate::web::layout::{self, csrf_field, field_error};

/// One path of the page: the local migration behind it (if any) and its offer (if any).
struct PathRow {
    path_id: String,
    migration: Option<MigrationPath>,
    offer: Option<LocalOffer>,
}

/// The whole page.
pub(super) fn page(
    c: &Ctx<'_>,
    live: &Live,
    problem: Option<&str>,
    entry: Option<&OfferEntry>,
) -> Result<Markup, WebError> {
    let node = c.node();
    let migrations = node.store().migrations()?;
    let offers = peers::offers(node)?;
    let sent = peers::stages_sent(node)?;
    let local_out = node.store().outgoing_contacts()?;
    let mut rows: Vec<PathRow> = Vec::new();
    for m in &migrations {
        if let Some(item) = m.catalogue_item() {
            if !rows.iter().any(|r| r.path_id == item.id) {
                rows.push(PathRow {
                    path_id: item.id.clone(),
                    migration: Some(m.clone()),
                    offer: offers.iter().find(|o| o.path_id == item.id).cloned(),
                });
            }
        }
    }
    for o in &offers {
        if !rows.iter().any(|r| r.path_id == o.path_id) {
            rows.push(PathRow {
                path_id: o.path_id.clone(),
                migration: None,
                offer: Some(o.clone()),
            });
        }
    }
    let outside: Vec<&MigrationPath> = migrations
        .iter()
        .filter(|m| m.catalogue_item().is_none())
        .collect();
    let fetched = match live {
        Live::Fetched(l, r) => Some((l, r)),
        _ => None,
    };
    let waiting = fetched.map_or(0, |(_, r)| {
        r.incoming
            .iter()
            .filter(|i| i.status == "no_answer_yet")
            .count()
    });
    let body = html! {
        p { (c.t(
            "Finden Sie Verwaltungen auf einem ähnlichen Migrationspfad. Für jeden Pfad entscheiden Sie, ob Sie auffindbar sind: Der Aggregator erfährt dann den Pfad, Ihre Phase und die Kohortenmerkmale Ihrer Anmeldung. Andere sehen nur ein Pseudonym. Ihre Kontaktkarte geht erst hinaus, wenn beide Seiten zugestimmt haben, und nur Ende-zu-Ende-verschlüsselt.",
            "Find administrations on a similar migration path. For each path you decide whether you can be found: the aggregator then learns the path, your stage and the cohort attributes of your enrolment. Others see only a pseudonym. Your contact card leaves only once both sides said yes, and only end-to-end encrypted.")) }
        @if let Some(p) = problem {
            div class="problem" role="alert" { p { (p) } }
        } @else if entry.is_some() {
            div class="problem" role="alert" {
                p { (c.t("Nicht gesendet. Das Problem steht beim Formular; Ihre Angaben sind erhalten.", "Not sent. The problem is shown at the form; your entries are kept.")) }
            }
        }
        (live_status(c, live))
        @if waiting > 0 {
            div class="warning" role="status" {
                p { (waiting) " " (c.t("Kontaktanfrage(n) warten auf eine Antwort.", "contact request(s) await an answer.")) }
            }
        }
        @if rows.is_empty() {
            p { (c.t(
                "Noch kein Migrationspfad zu einem Produkt des Katalogs erfasst. Erfassen Sie zuerst einen Pfad unter „Migrationspfade“.",
                "No migration path to a product of the catalogue recorded yet. Record a path under “Migration paths” first.")) }
        }
        @for (idx, row) in rows.iter().enumerate() {
            (path_section(c, idx, row, fetched.map(|(l, _)| l.as_slice()), fetched.map(|(_, r)| r), &local_out, entry))
        }
        @if !outside.is_empty() {
            p class="hint" {
                (c.t("Nicht im Katalog und daher nicht anbietbar:", "Not in the catalogue and so not offerable:")) " "
                @for (i, m) in outside.iter().enumerate() {
                    @if i > 0 { ", " }
                    (m.from_product) " → " (m.to_product)
                }
            }
        }
        h2 { (c.t("Gesendete Stufen", "Stages sent")) }
        @if sent.is_empty() {
            p { (c.t("Noch nichts an den Aggregator gesendet.", "Nothing sent to the aggregator yet.")) }
        } @else {
            table {
                caption { (c.t("Was der Aggregator über Ihre Angebote erfahren hat", "What the aggregator learnt about your offers")) }
                thead { tr {
                    th scope="col" { (c.t("Gesendet", "Sent")) }
                    th scope="col" { (c.t("Pfad", "Path")) }
                    th scope="col" { (c.t("Phase", "Stage")) }
                    th scope="col" { (c.t("Anlass", "Why")) }
                    th scope="col" { (c.t("Bestätigt", "Acknowledged")) }
                } }
                tbody {
                    @for e in sent.iter().rev() {
                        tr {
                            td { (layout::date_time(e.sent_at, c.lang)) }
                            td { (path_label(&e.path_id, c.lang)) }
                            td { (stage_label(&e.stage, c.lang)) }
                            td { (why_label(c, &e.why)) }
                            td { (yes_no(c, e.acknowledged)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(c, c.t("Peers", "Peers"), body))
}

fn live_status(c: &Ctx<'_>, live: &Live) -> Markup {
    html! {
        @match live {
            Live::NotConfigured => div class="warning" role="status" {
                p { (c.t(
                    "Kein Aggregator eingerichtet: Dieser Knoten kennt keine Adresse oder keinen Schlüssel eines Aggregators (aggregator_url und aggregator_key in node.toml). Ohne Aggregator gibt es kein Peer-Matching.",
                    "No aggregator is configured: this node knows no aggregator address or key (aggregator_url and aggregator_key in node.toml). Without an aggregator there is no peer matching.")) }
            },
            Live::Failed(e) => div class="warning" role="status" {
                p {
                    @if e.is_transient() {
                        (c.t("Der Aggregator ist nicht erreichbar. Treffer und Anfragen können gerade nicht geladen werden; gezeigt wird, was dieser Knoten selbst weiß.",
                             "The aggregator cannot be reached. Matches and requests cannot be loaded now; shown is what this node knows itself."))
                    } @else {
                        (c.t("Der Aggregator hat die Anfrage nicht beantwortet; gezeigt wird, was dieser Knoten selbst weiß.",
                             "The aggregator did not answer the query; shown is what this node knows itself."))
                    }
                    " (" (e.localised(c.lang)) ")"
                }
            },
            Live::Skipped => p class="hint" { (c.t("Treffer und Anfragen wurden nicht neu geladen.", "Matches and requests were not loaded again.")) " "
                a href=(ctx::with_lang("/peers", c.lang)) { (c.t("Seite neu laden", "Reload the page")) } },
            Live::NoOffers => p class="hint" { (c.t(
                "Sie bieten noch keinen Migrationspfad an. Mit einem Angebot werden Sie für diesen Pfad auffindbar und sehen Ihre Treffer.",
                "You do not offer any migration path yet. An offer makes you findable for that path and shows your matches.")) },
            Live::Fetched(..) => {},
        }
    }
}

fn path_section(
    c: &Ctx<'_>,
    idx: usize,
    row: &PathRow,
    lists: Option<&[PathMatches]>,
    requests: Option<&peers::RequestsView>,
    local_out: &[peers::OutgoingContact],
    entry: Option<&OfferEntry>,
) -> Markup {
    let lang = c.lang;
    let heading = format!("path-{idx}");
    let offered = row.offer.as_ref().filter(|o| !o.withdrawing);
    let withdrawing = row.offer.as_ref().is_some_and(|o| o.withdrawing);
    let list = lists.and_then(|l| l.iter().find(|l| l.path_id == row.path_id));
    let incoming: Vec<&IncomingView> = requests
        .map(|r| {
            r.incoming
                .iter()
                .filter(|i| i.path_id == row.path_id)
                .collect()
        })
        .unwrap_or_default();
    let outgoing: Vec<&OutgoingView> = requests
        .map(|r| {
            r.outgoing
                .iter()
                .filter(|o| o.path_id == row.path_id)
                .collect()
        })
        .unwrap_or_default();
    let entry = entry.filter(|e| e.path_id == row.path_id);
    let local_stage = row.migration.as_ref().map(|m| m.stage.key().to_string());
    let held = offered.and_then(|o| {
        o.held_stage.clone().or_else(|| {
            local_stage
                .clone()
                .filter(|s| *s != o.stage && o.share_stage_changes != StageSharing::Always)
        })
    });
    html! {
        section aria-labelledby=(heading) {
            h2 id=(heading) { (path_label(&row.path_id, lang)) }
            @if let Some(m) = &row.migration {
                p { (c.t("Ihr Pfad:", "Your path:")) " " (m.from_product) " → " (m.to_product) ", "
                    (c.t("Phase", "stage")) " " (m.stage.label(lang)) }
            }
            h3 { (c.t("Angebot", "Offer")) }
            @if withdrawing {
                div class="warning" role="status" { p {
                    (c.t("Rücknahme ausstehend: noch nicht vom Aggregator bestätigt; das Angebot kann bis dahin noch gelistet sein. Sie wird erneut gesendet, sobald der Aggregator erreichbar ist.",
                         "Withdrawal pending: not yet acknowledged by the aggregator; until then the offer may still be listed. It is sent again once the aggregator can be reached."))
                } }
            } @else if let Some(o) = offered {
                dl class="facts" {
                    dt { (c.t("Auffindbar seit", "Findable since")) }
                    dd { (layout::date_time(o.offered_at, lang)) }
                    dt { (c.t("Phase beim Aggregator", "Stage at the aggregator")) }
                    dd { (stage_label(&o.stage, lang)) @if !o.acknowledged { " (" (c.t("noch nicht bestätigt", "not yet acknowledged")) ")" } }
                    dt { (c.t("Stufenänderungen", "Stage changes")) }
                    dd { (sharing_label(c, o.share_stage_changes)) }
                }
                (card_view(c, &o.card, c.t("Ihre Kontaktkarte (geht erst nach beiderseitiger Zustimmung hinaus)", "Your contact card (leaves only after both sides said yes)")))
                @if let Some(h) = &held {
                    div class="warning" role="status" {
                        p { strong { (c.t("Stufenänderung wartet auf Bestätigung:", "Stage change waits for confirmation:")) } " "
                            (stage_label(&o.stage, lang)) " → " (stage_label(h, lang)) ". "
                            @if o.share_stage_changes == StageSharing::Never {
                                (c.t("Ihr Angebot sendet Stufenänderungen nie; Bestätigen sendet diese eine trotzdem.", "Your offer never sends stage changes; confirming sends this one all the same."))
                            } @else {
                                (c.t("Sie wird erst gesendet, wenn Sie sie bestätigen.", "It is sent only once you confirm it."))
                            }
                        }
                        @if c.may(Action::Approve) {
                            form method="post" action=(ctx::with_lang("/peers/confirm", lang)) {
                                (csrf_field(c))
                                input type="hidden" name="path" value=(row.path_id);
                                button type="submit" { (c.t("Stufenänderung senden", "Send the stage change")) }
                            }
                        }
                    }
                }
                @if c.may(Action::Approve) {
                    form method="post" action=(ctx::with_lang("/peers/withdraw", lang)) {
                        (csrf_field(c))
                        input type="hidden" name="path" value=(row.path_id);
                        p class="hint" { (c.t("Zurückziehen: Sie verschwinden sofort aus allen Trefferlisten; offene Anfragen dazu werden geschlossen.", "Withdraw: you vanish from every match list at once; open requests on it are closed.")) }
                        button type="submit" class="secondary" { (c.t("Angebot zurückziehen", "Withdraw the offer")) }
                    }
                    details open[entry.is_some()] {
                        summary { (c.t("Kontaktkarte oder Einstellung ändern", "Change the contact card or setting")) }
                        (offer_form(c, idx, row, entry))
                    }
                }
            } @else {
                p { (c.t("Nicht angeboten: Niemand findet Sie für diesen Pfad.", "Not offered: nobody finds you for this path.")) }
                @if c.may(Action::Approve) {
                    (offer_form(c, idx, row, entry))
                } @else {
                    p class="hint" { (c.t("Anbieten darf nur die Rolle Freigabe.", "Only the role approver may offer.")) }
                }
            }
            @if offered.is_some() {
                h3 { (c.t("Treffer", "Matches")) }
                (matches_view(c, idx, row, list))
            }
            @if requests.is_some() {
                h3 { (c.t("Kontaktanfragen", "Contact requests")) }
                (incoming_view(c, idx, &incoming))
                (outgoing_view(c, idx, &outgoing))
            }
            @let cards = received(requests.is_some(), &incoming, &outgoing, local_out, &row.path_id);
            @if !cards.is_empty() {
                h3 { (c.t("Erhaltene Kontaktkarten", "Contact cards received")) }
                div class="cards" {
                    @for (pseudonym, card) in &cards {
                        (card_view(c, card, &format!("{} {pseudonym}", c.t("Von", "From"))))
                    }
                }
            }
        }
    }
}

/// The cards received for a path: from the requests just fetched, else those kept by the node.
fn received(
    fetched: bool,
    incoming: &[&IncomingView],
    outgoing: &[&OutgoingView],
    local_out: &[peers::OutgoingContact],
    path_id: &str,
) -> Vec<(String, ContactCard)> {
    if fetched {
        incoming
            .iter()
            .filter_map(|i| i.card.clone().map(|c| (i.pseudonym.clone(), c)))
            .chain(
                outgoing
                    .iter()
                    .filter_map(|o| o.card.clone().map(|c| (o.pseudonym.clone(), c))),
            )
            .collect()
    } else {
        local_out
            .iter()
            .filter(|o| o.path_id == path_id)
            .filter_map(|o| o.peer_card.clone().map(|c| (o.pseudonym.clone(), c)))
            .collect()
    }
}

fn offer_form(c: &Ctx<'_>, idx: usize, row: &PathRow, entry: Option<&OfferEntry>) -> Markup {
    let lang = c.lang;
    let given: [String; 5] = match (entry, &row.offer) {
        (Some(e), _) => e.card.clone(),
        (None, Some(o)) => [
            o.card.organisation.clone(),
            o.card.name.clone(),
            o.card.email.clone(),
            o.card.phone.clone(),
            o.card.note.clone(),
        ],
        (None, None) => [
            c.node().profile().map(|p| p.name).unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
    };
    let sharing = entry
        .and_then(|e| StageSharing::parse(&e.sharing))
        .or(row.offer.as_ref().map(|o| o.share_stage_changes))
        .unwrap_or_default();
    let labels = [
        (c.t("Organisation", "Organisation"), ""),
        (
            c.t("Kontaktperson oder Funktion", "Contact person or function"),
            c.t("Pflichtangabe.", "Required."),
        ),
        (
            c.t("E-Mail", "E-mail"),
            c.t(
                "E-Mail oder Telefon ist Pflicht.",
                "E-mail or phone is required.",
            ),
        ),
        (c.t("Telefon", "Phone"), ""),
        (
            c.t("Notiz für die Gegenseite", "Note for the other side"),
            c.t(
                "Zum Beispiel, was Sie teilen oder erfahren möchten.",
                "For example what you would like to share or learn.",
            ),
        ),
    ];
    html! {
        form method="post" action=(ctx::with_lang("/peers/offer", lang)) novalidate {
            (csrf_field(c))
            input type="hidden" name="path" value=(row.path_id);
            @if let Some(p) = entry.and_then(|e| e.problem.as_deref()) {
                div class="problem" id=(format!("p{idx}-offer-error")) { p { (p) } }
            }
            fieldset {
                legend { (c.t("Kontaktkarte", "Contact card")) }
                @for (i, field) in CARD_FIELDS.iter().enumerate() {
                    @let id = format!("p{idx}-{field}");
                    @let hint_id = format!("{id}-hint");
                    @let err_id = format!("{id}-error");
                    @let problem = entry.and_then(|e| e.problems[i].as_deref());
                    @let (label, hint) = labels[i];
                    @let described: Vec<&str> = [(!hint.is_empty()).then_some(hint_id.as_str()), problem.map(|_| err_id.as_str())].into_iter().flatten().collect();
                    label for=(id) { (label) }
                    @if !hint.is_empty() { p class="hint" id=(hint_id) { (hint) } }
                    (field_error(&err_id, problem))
                    @if *field == "note" {
                        textarea id=(id) name=(field) rows="3"
                            aria-invalid=[problem.map(|_| "true")]
                            aria-describedby=[(!described.is_empty()).then(|| described.join(" "))] { (given[i]) }
                    } @else {
                        input type="text" id=(id) name=(field) value=(given[i])
                            autocomplete=(autocomplete(field))
                            aria-invalid=[problem.map(|_| "true")]
                            aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
                    }
                }
            }
            fieldset {
                legend { (c.t("Spätere Stufenänderungen (auch ein Zurückrollen)", "Later stage changes (a roll-back too)")) }
                @for s in [StageSharing::Ask, StageSharing::Always, StageSharing::Never] {
                    @let id = format!("p{idx}-sharing-{}", s.key());
                    div {
                        input type="radio" id=(id) name="sharing" value=(s.key()) checked[s == sharing];
                        label class="inline" for=(id) { (sharing_label(c, s)) }
                    }
                }
            }
            p class="hint" { (c.t(
                "Mit dem Absenden stimmen Sie zu, dass der Aggregator diesen Pfad und Ihre aktuelle Phase erfährt und Sie unter einem Pseudonym als Treffer zeigt.",
                "By sending you consent that the aggregator learns this path and your current stage and lists you as a match under a pseudonym.")) }
            p { button type="submit" {
                @if row.offer.as_ref().is_some_and(|o| !o.withdrawing) {
                    (c.t("Angebot aktualisieren", "Update the offer"))
                } @else {
                    (c.t("Auffindbar werden (anbieten)", "Become findable (offer)"))
                }
            } }
        }
    }
}

fn matches_view(c: &Ctx<'_>, idx: usize, row: &PathRow, list: Option<&PathMatches>) -> Markup {
    html! {
        @match list {
            None => p class="hint" { (c.t("Keine Trefferliste geladen.", "No match list loaded.")) },
            Some(l) => {
                @if let Some(p) = &l.problem {
                    p { (c.t("Nicht verfügbar:", "Not available:")) " " (p) }
                } @else if l.matches.is_empty() {
                    p { (c.t("Noch niemand sonst bietet diesen oder einen verwandten Pfad an.", "Nobody else offers this or a related path yet.")) }
                } @else {
                    table {
                        caption { (c.t("Die besten Treffer", "The best matches")) " (" (l.matches.len()) " " (c.t("von", "of")) " " (l.candidates) " " (c.t("Kandidaten", "candidates")) ")" }
                        thead { tr {
                            th scope="col" { "Pseudonym" }
                            th scope="col" { (c.t("Pfad", "Path")) }
                            th scope="col" { (c.t("Phase", "Stage")) }
                            th scope="col" { (c.t("Art", "Kind")) }
                            th scope="col" { (c.t("Größe", "Size")) }
                            th scope="col" class="num" { (c.t("Punkte", "Score")) }
                            th scope="col" { (c.t("Begründung", "Why")) }
                            th scope="col" { (c.t("Kontakt", "Contact")) }
                        } }
                        tbody {
                            @for m in &l.matches {
                                (match_row(c, idx, row, m))
                            }
                        }
                    }
                    p class="hint" { (c.t(
                        "Punkte: gleicher Pfad +10, gleiche Art +3, gleiche/benachbarte Größenklasse +2/+1, weiter fortgeschritten +2, gleiche Phase +1.",
                        "Score: same path +10, same kind +3, same/neighbouring size class +2/+1, further along +2, same stage +1.")) }
                }
            }
        }
    }
}

fn match_row(c: &Ctx<'_>, idx: usize, row: &PathRow, m: &MatchView) -> Markup {
    let lang = c.lang;
    html! {
        tr {
            th scope="row" { code { (m.pseudonym) } }
            td {
                @if m.same_path {
                    (c.t("derselbe Pfad", "the same path"))
                } @else {
                    (c.t("anderer Pfad:", "other path:")) " " (path_by_id(&m.path_id).map(|p| p.product).unwrap_or("?"))
                }
            }
            td { (stage_label(&m.stage, lang)) }
            td { (kind_label(&m.kind, lang)) }
            td { (m.size_class) }
            td class="num" { (m.score) }
            td { ul {
                @for (r, p) in &m.parts { li { (reason_label(r, lang)) " +" (p) } }
            } }
            td {
                @if m.requested {
                    (c.t("angefragt", "requested"))
                } @else if c.may(Action::Approve) {
                    form method="post" action=(ctx::with_lang("/peers/contact", lang)) {
                        (csrf_field(c))
                        input type="hidden" name="path" value=(row.path_id);
                        input type="hidden" name="pseudonym" value=(m.pseudonym);
                        button type="submit" class="secondary" id=(format!("p{idx}-contact-{}", m.pseudonym)) {
                            (c.t("Kontakt anfragen", "Ask for contact")) span class="visually-hidden" { " " (m.pseudonym) }
                        }
                    }
                } @else {
                    "–"
                }
            }
        }
    }
}

fn incoming_view(c: &Ctx<'_>, idx: usize, incoming: &[&IncomingView]) -> Markup {
    let lang = c.lang;
    html! {
        @if incoming.is_empty() {
            p { (c.t("Keine eingehenden Anfragen.", "No incoming requests.")) }
        } @else {
            table {
                caption { (c.t("Eingehende Anfragen", "Incoming requests")) }
                thead { tr {
                    th scope="col" { (c.t("Anfrage", "Request")) }
                    th scope="col" { (c.t("Von", "From")) }
                    th scope="col" { (c.t("Pfad und Phase", "Path and stage")) }
                    th scope="col" { (c.t("Art und Größe", "Kind and size")) }
                    th scope="col" { (c.t("Angefragt", "Requested")) }
                    th scope="col" { (c.t("Status", "Status")) }
                    th scope="col" { (c.t("Antwort", "Answer")) }
                } }
                tbody {
                    @for i in incoming {
                        tr {
                            th scope="row" { code { (i.request_id) } }
                            td { code { (i.pseudonym) } }
                            td { (path_label(&i.requester_path_id, lang)) ", " (stage_label(&i.stage, lang)) }
                            td { (kind_label(&i.kind, lang)) ", " (i.size_class) }
                            td { (layout::date_time(i.requested_at, lang)) }
                            td { (status_label(&i.status, lang))
                                @if let Some(p) = &i.problem { br; (c.t("Problem:", "Problem:")) " " (p) } }
                            td {
                                @if i.status == "no_answer_yet" && c.may(Action::Approve) {
                                    form method="post" action=(ctx::with_lang("/peers/answer", lang)) {
                                        (csrf_field(c))
                                        input type="hidden" name="request_id" value=(i.request_id);
                                        button type="submit" name="answer" value="accept" id=(format!("p{idx}-accept-{}", i.request_id)) {
                                            (c.t("Annehmen", "Accept")) span class="visually-hidden" { " " (i.request_id) }
                                        }
                                        " "
                                        button type="submit" name="answer" value="decline" class="secondary" {
                                            (c.t("Ablehnen", "Decline")) span class="visually-hidden" { " " (i.request_id) }
                                        }
                                    }
                                    p class="hint" { (c.t("Annehmen übergibt Ihre Kontaktkarte verschlüsselt; eine Ablehnung erfährt die Gegenseite nicht.", "Accepting hands over your contact card, encrypted; the other side never learns of a decline.")) }
                                } @else {
                                    "–"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn outgoing_view(c: &Ctx<'_>, _idx: usize, outgoing: &[&OutgoingView]) -> Markup {
    let lang = c.lang;
    html! {
        @if outgoing.is_empty() {
            p { (c.t("Keine ausgehenden Anfragen.", "No outgoing requests.")) }
        } @else {
            table {
                caption { (c.t("Ausgehende Anfragen (bis zur Annahme, auch nach einer Ablehnung: „noch keine Antwort“)", "Outgoing requests (until accepted, and after a decline too: “no answer yet”)")) }
                thead { tr {
                    th scope="col" { (c.t("Anfrage", "Request")) }
                    th scope="col" { (c.t("An", "To")) }
                    th scope="col" { (c.t("Pfad", "Path")) }
                    th scope="col" { (c.t("Angefragt", "Requested")) }
                    th scope="col" { (c.t("Status", "Status")) }
                    th scope="col" { (c.t("Eigene Karte übergeben", "Own card handed over")) }
                } }
                tbody {
                    @for o in outgoing {
                        tr {
                            th scope="row" { code { (o.request_id) } }
                            td { code { (o.pseudonym) } }
                            td { (path_label(&o.target_path_id, lang)) }
                            td { (layout::date_time(o.requested_at, lang)) }
                            td { (status_label(&o.status, lang))
                                @if let Some(p) = &o.problem { br; (c.t("Problem:", "Problem:")) " " (p) } }
                            td { (yes_no(c, o.own_card_sent)) }
                        }
                    }
                }
            }
        }
    }
}

/// A contact card as a box with a heading-less title and one line per filled field.
fn card_view(c: &Ctx<'_>, card: &ContactCard, title: &str) -> Markup {
    let rows = [
        (c.t("Organisation", "Organisation"), &card.organisation),
        (c.t("Kontakt", "Contact"), &card.name),
        (c.t("E-Mail", "E-mail"), &card.email),
        (c.t("Telefon", "Phone"), &card.phone),
        (c.t("Notiz", "Note"), &card.note),
    ];
    html! {
        div class="card" {
            p { strong { (title) } }
            dl class="facts" {
                @for (label, value) in rows {
                    @if !value.trim().is_empty() {
                        dt { (label) }
                        dd { (value) }
                    }
                }
            }
        }
    }
}

fn sharing_label(c: &Ctx<'_>, s: StageSharing) -> &'static str {
    match s {
        StageSharing::Ask => c.t(
            "erst nach meiner Bestätigung senden",
            "send only once I confirm",
        ),
        StageSharing::Always => c.t("automatisch senden", "send automatically"),
        StageSharing::Never => c.t("nie senden", "never send"),
    }
}

fn why_label(c: &Ctx<'_>, why: &str) -> String {
    match why {
        "offer" => c.t("Angebot", "offer").into(),
        "confirm" => c
            .t("bestätigte Stufenänderung", "confirmed stage change")
            .into(),
        "always" => c
            .t(
                "automatisch (Einstellung des Angebots)",
                "automatic (the offer's setting)",
            )
            .into(),
        "retry" => c.t("Wiederholung", "repeated").into(),
        other => other.to_string(),
    }
}

fn yes_no(c: &Ctx<'_>, b: bool) -> &'static str {
    if b {
        c.t("ja", "yes")
    } else {
        c.t("nein", "no")
    }
}

fn autocomplete(field: &str) -> &'static str {
    match field {
        "organisation" => "organization",
        "name" => "name",
        "email" => "email",
        "phone" => "tel",
        _ => "off",
    }
}
