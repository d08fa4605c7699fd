//! Peers (`/peers`): per migration path the offer (the consent to be findable, with the contact
//! card), the matches with their explained scores, contact requests in both directions, the
//! contact cards received, and stage changes that wait for confirmation. Reading needs
//! [`Action::Read`]; everything that sends something to the aggregator on a person's decision
//! (offer, confirm, withdraw, ask for contact, answer) needs [`Action::Approve`].
//!
//! The page fetches the match lists and the requests from the aggregator. As the daemon does,
//! this completes only what an approver consented to already: withdrawals decided, stage changes
//! an offer shares automatically, and the own card of a request the other side accepted.
//! Without an aggregator, or with one that cannot be reached, the page says so and shows what
//! the node knows itself.

mod render;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sovbench_core::i18n::Lang;
use sovbench_core::paths::stage_label;
use sovbench_core::peers::{ContactCard, MAX_CARD_FIELD};

use crate::error::NodeError;
use crate::peers::{self, PathMatches, RequestsView, StageSharing};
use crate::people::Action;
use crate::present::peers::path_label;
use crate::web::ctx::Ctx;
use crate::web::error::WebError;
use crate::web::form::Fields;
use crate::web::site::Site;

/// How many matches per path the page asks for.
const MATCH_LIMIT: u32 = 10;

/// The names of the card's fields in the offer form, in the order of [`card_fields`].
pub(crate) const CARD_FIELDS: [&str; 5] = ["organisation", "name", "email", "phone", "note"];

/// What the aggregator told this request, or why it could not.
pub(crate) enum Live {
    /// Not asked: no aggregator configured.
    NotConfigured,
    /// Not asked: no path is offered (there is nothing to match).
    NoOffers,
    /// Not asked again after a failed form (the page shows what the node knows).
    Skipped,
    /// The match lists and the requests.
    Fetched(Vec<PathMatches>, RequestsView),
    /// The aggregator could not be reached, or refused.
    Failed(NodeError),
}

/// The offer form as given, with its problems (field-level, and one for the form as a whole).
#[derive(Default)]
pub(crate) struct OfferEntry {
    /// The catalogue path id of the form.
    pub path_id: String,
    /// organisation, name, email, phone, note, as given.
    pub card: [String; 5],
    /// Sharing of stage changes, as given.
    pub sharing: String,
    /// A problem per card field.
    pub problems: [Option<String>; 5],
    /// A problem of the form as a whole.
    pub problem: Option<String>,
}

/// `GET /peers`.
pub async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let live = fetch(&c).await?;
    Ok(render::page(&c, &live, None, None)?.into_response())
}

/// `POST /peers/offer`: offers a path with a contact card (the consent to be findable), or
/// updates the offer.
pub async fn offer(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    let mut entry = OfferEntry {
        path_id: f.text("path"),
        sharing: f.text("sharing"),
        ..OfferEntry::default()
    };
    for (i, name) in CARD_FIELDS.iter().enumerate() {
        entry.card[i] = f.text(name);
    }
    let sharing = StageSharing::parse(&entry.sharing);
    check_card(&mut entry, c.lang);
    if sharing.is_none() {
        entry.problem = Some(
            c.t(
                "Bitte wählen, wann Stufenänderungen gesendet werden dürfen.",
                "Please choose when stage changes may be sent.",
            )
            .to_string(),
        );
    }
    if entry.problem.is_some() || entry.problems.iter().any(Option::is_some) {
        return again(&c, None, Some(&entry), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let card = card_fields(&entry.card);
    match peers::offer(c.node(), &entry.path_id, Some(card), sharing).await {
        Ok(r) => {
            let change = format!(
                "Peer-Matching: {} angeboten, Phase {} an den Aggregator gesendet / peer matching: offered {}, stage {} sent",
                r.path_id, r.stage, r.path_id, r.stage
            );
            let confirmation = format!(
                "{} {} ({}: {}). {}",
                if r.updated {
                    c.t("Angebot aktualisiert:", "Offer updated:")
                } else {
                    c.t("Angeboten:", "Offered:")
                },
                path_label(&r.path_id, c.lang),
                c.t("Phase", "stage"),
                stage_label(&r.stage, c.lang),
                c.t(
                    "Andere Verwaltungen sehen Sie nur unter einem Pseudonym; Ihre Kontaktkarte geht erst nach beiderseitiger Zustimmung hinaus.",
                    "Other administrations see you only under a pseudonym; your contact card leaves only after both sides said yes."
                )
            );
            c.done(&change, &confirmation, "/peers")
        }
        Err(e) => {
            let status = status_of(&e);
            entry.problem = Some(problem_text(&c, &e));
            again(&c, None, Some(&entry), status)
        }
    }
}

/// `POST /peers/confirm`: sends a held stage change of an offered path.
pub async fn confirm(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    match peers::confirm(c.node(), &f.text("path")).await {
        Ok(r) => c.done(
            &format!(
                "Peer-Matching: Stufenänderung von {} bestätigt, Phase {} gesendet / peer matching: stage change of {} confirmed, stage {} sent",
                r.path_id, r.stage, r.path_id, r.stage
            ),
            &format!(
                "{} {} ({}: {}).",
                c.t("Stufenänderung gesendet:", "Stage change sent:"),
                path_label(&r.path_id, c.lang),
                c.t("Phase", "stage"),
                stage_label(&r.stage, c.lang)
            ),
            "/peers",
        ),
        Err(e) => failed(&c, e),
    }
}

/// `POST /peers/withdraw`: withdraws the offer of a path (pending if the aggregator cannot be
/// reached; the daemon and every later contact send it).
pub async fn withdraw(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    match peers::withdraw(c.node(), &f.text("path")).await {
        Ok(r) => {
            let label = path_label(&r.path_id, c.lang);
            let confirmation = if r.pending {
                format!(
                    "{}: {label}. {}",
                    c.t("Rücknahme ausstehend", "Withdrawal pending"),
                    c.t(
                        "Der Aggregator ist nicht erreichbar; die Rücknahme wird gesendet, sobald er es wieder ist. Bis dahin kann das Angebot noch gelistet sein.",
                        "The aggregator cannot be reached; the withdrawal is sent once it can. Until then the offer may still be listed."
                    )
                )
            } else {
                format!(
                    "{} {label}. {}",
                    c.t("Zurückgezogen:", "Withdrawn:"),
                    c.t(
                        "Sie erscheinen in keiner Trefferliste mehr; offene Anfragen dazu sind geschlossen.",
                        "You no longer appear in any match list; open requests on it are closed."
                    )
                )
            };
            c.done(
                &format!(
                    "Peer-Matching: Angebot {} zurückgezogen{} / peer matching: offer {} withdrawn{}",
                    r.path_id,
                    if r.pending { " (ausstehend)" } else { "" },
                    r.path_id,
                    if r.pending { " (pending)" } else { "" }
                ),
                &confirmation,
                "/peers",
            )
        }
        Err(e) => failed(&c, e),
    }
}

/// `POST /peers/contact`: asks a listed peer for contact.
pub async fn contact(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    let pseudonym = f.text("pseudonym");
    let path = f.text("path");
    match peers::contact(c.node(), &pseudonym, Some(&path)).await {
        Ok(id) => c.done(
            &format!(
                "Peer-Matching: Kontakt mit {pseudonym} angefragt ({path}, Anfrage {id}) / peer matching: contact with {pseudonym} requested"
            ),
            &format!(
                "{} {pseudonym}. {}",
                c.t("Kontaktanfrage gestellt an", "Contact request sent to"),
                c.t(
                    "Bis zur Antwort (und auch nach einer Ablehnung) steht dort „noch keine Antwort“.",
                    "Until the answer (and after a decline too) it shows “no answer yet”."
                )
            ),
            "/peers",
        ),
        Err(e) => failed(&c, e),
    }
}

/// `POST /peers/answer`: accepts (`answer=accept`) or declines an incoming request.
pub async fn answer(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebError> {
    let c = Ctx::enter(&site, &headers, &uri, Action::Read).await?;
    let f = Fields::parse(&body, c.lang)?;
    c.check_form(f.csrf(), Action::Approve)?;
    let id = f.text("request_id");
    let accept = match f.get("answer") {
        Some("accept") => true,
        Some("decline") => false,
        _ => {
            let e = NodeError::Peers(
                c.t("Bitte annehmen oder ablehnen.", "Please accept or decline.")
                    .to_string(),
            );
            return failed(&c, e);
        }
    };
    match peers::answer(c.node(), &id, accept).await {
        Ok(()) => {
            let (log, confirmation) = if accept {
                (
                    format!("Peer-Matching: Anfrage {id} angenommen, Kontaktkarte verschlüsselt übergeben / peer matching: request {id} accepted, contact card handed over encrypted"),
                    format!(
                        "{} {id}. {}",
                        c.t("Angenommen:", "Accepted:"),
                        c.t(
                            "Ihre Kontaktkarte ist verschlüsselt unterwegs; die Karte der Gegenseite erscheint hier, sobald deren Knoten sie übergibt.",
                            "Your contact card is on its way, encrypted; the other side's card appears here once their node hands it over."
                        )
                    ),
                )
            } else {
                (
                    format!("Peer-Matching: Anfrage {id} abgelehnt / peer matching: request {id} declined"),
                    format!(
                        "{} {id}. {}",
                        c.t("Abgelehnt:", "Declined:"),
                        c.t(
                            "Die anfragende Verwaltung sieht weiterhin nur „noch keine Antwort“.",
                            "The requesting administration keeps seeing only “no answer yet”."
                        )
                    ),
                )
            };
            c.done(&log, &confirmation, "/peers")
        }
        Err(e) => failed(&c, e),
    }
}

/// The match lists and requests, if an aggregator is configured and a path is offered.
async fn fetch(c: &Ctx<'_>) -> Result<Live, WebError> {
    let node = c.node();
    if node.link().url().is_err() || node.config().aggregator_key().is_err() {
        return Ok(Live::NotConfigured);
    }
    if !peers::offers(node)?.iter().any(|o| !o.withdrawing)
        && node.store().outgoing_contacts()?.is_empty()
    {
        peers::deliver_pending(node).await;
        return Ok(Live::NoOffers);
    }
    let lists = match peers::matches(node, MATCH_LIMIT).await {
        Ok(l) => l,
        Err(e) => return Ok(Live::Failed(e)),
    };
    Ok(match peers::requests(node).await {
        Ok(r) => Live::Fetched(lists, r),
        Err(e) => Live::Failed(e),
    })
}

/// The page again after a failed form: what the node knows, the problem, and `status`.
fn again(
    c: &Ctx<'_>,
    problem: Option<&str>,
    entry: Option<&OfferEntry>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut res = render::page(c, &Live::Skipped, problem, entry)?.into_response();
    *res.status_mut() = status;
    Ok(res)
}

/// The page again with why an operation failed. A failure of the node itself stays an error.
fn failed(c: &Ctx<'_>, e: NodeError) -> Result<Response, WebError> {
    let status = status_of(&e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return Err(e.into());
    }
    again(c, Some(&problem_text(c, &e)), None, status)
}

/// 503 if the aggregator cannot be reached, 422 for what the person can change (no such
/// request, no offer, a refusal, no aggregator configured), 500 otherwise.
fn status_of(e: &NodeError) -> StatusCode {
    match e {
        NodeError::Unreachable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        NodeError::Peers(_) | NodeError::Config(_) | NodeError::Refused { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Why an operation failed, in the page's language, saying that nothing was sent.
fn problem_text(c: &Ctx<'_>, e: &NodeError) -> String {
    let head = match e {
        NodeError::Unreachable { .. } => c.t(
            "Der Aggregator ist nicht erreichbar; nichts wurde gesendet. Bitte später noch einmal versuchen.",
            "The aggregator cannot be reached; nothing was sent. Please try again later.",
        ),
        NodeError::Config(_) => c.t(
            "Kein Aggregator eingerichtet (aggregator_url und aggregator_key in node.toml); nichts wurde gesendet.",
            "No aggregator is configured (aggregator_url and aggregator_key in node.toml); nothing was sent.",
        ),
        _ => c.t("Nicht ausgeführt:", "Not done:"),
    };
    format!("{head} ({})", e.localised(c.lang))
}

/// Checks the card fields as [`ContactCard::validate`] does, naming the field.
fn check_card(entry: &mut OfferEntry, lang: Lang) {
    for (i, v) in entry.card.iter().enumerate() {
        if v.chars().count() > MAX_CARD_FIELD {
            entry.problems[i] = Some(format!(
                "{} {MAX_CARD_FIELD} {}",
                lang.pick("Höchstens", "At most"),
                lang.pick("Zeichen.", "characters.")
            ));
        }
    }
    let [_, name, email, phone, _] = &entry.card;
    if name.is_empty() && entry.problems[1].is_none() {
        entry.problems[1] = Some(
            lang.pick(
                "Bitte eine Kontaktperson oder Funktion angeben.",
                "Please give a contact person or function.",
            )
            .to_string(),
        );
    }
    if email.is_empty() && phone.is_empty() {
        entry.problems[2] = Some(
            lang.pick(
                "Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben.",
                "Please give an e-mail address or a telephone number.",
            )
            .to_string(),
        );
    } else if !email.is_empty() && !email.contains('@') && entry.problems[2].is_none() {
        entry.problems[2] = Some(format!(
            "„{email}“ {}",
            lang.pick("ist keine E-Mail-Adresse.", "is not an e-mail address.")
        ));
    }
}

/// The card of the offer form's fields.
fn card_fields(fields: &[String; 5]) -> ContactCard {
    let [organisation, name, email, phone, note] = fields.clone();
    ContactCard {
        organisation,
        name,
        email,
        phone,
        note,
    }
}
