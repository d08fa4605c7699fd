//! `sovbench-node peers`: peer matching with double opt-in.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::{json_line, json_pretty, Out};
use crate::node::Node;
use crate::peers::{
    self, LocalOffer, OfferReport, PathMatches, RequestsView, StageSent, StageSharing,
    WithdrawReport,
};
use crate::present::peers as present;

/// `peers --json`: the match lists (and, with offers, the requests).
#[derive(Serialize)]
struct MatchesJson {
    paths: Vec<PathMatches>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<RequestsView>,
    /// Paths whose withdrawal the aggregator has not acknowledged yet.
    withdrawals_pending: Vec<String>,
}

/// `peers offers --json`: the offers (with pending withdrawals and held stage changes) and
/// every stage sent.
#[derive(Serialize)]
struct OffersJson {
    offers: Vec<LocalOffer>,
    stages_sent: Vec<StageSent>,
}

/// `peers offer|offers|contact|decline|withdraw --json`: one key naming what happened.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum DoneJson {
    Offered(OfferReport),
    Confirmed(OfferReport),
    RequestId(String),
    Declined(String),
    Withdrawn(WithdrawReport),
}

/// `peers accept --json`.
#[derive(Serialize)]
struct AcceptedJson {
    accepted: String,
    requests: RequestsView,
}

/// Peer matching actions. Without an action: the best matches for every offered path.
#[derive(Debug, Subcommand)]
pub enum PeersAction {
    /// Make the administration findable for one migration path (explicit consent, per path).
    ///
    /// PATH is a migration id (`sovbench-node migration list`) or a catalogue path id
    /// (path.<category>.<product>). The aggregator learns that you offer this path, your stage
    /// and the cohort attributes of your enrolment; other administrations see only a pseudonym
    /// that differs per path and per viewer. The contact card stays on this node until both sides
    /// have said yes. Offering again updates the stage and, if given, the card.
    /// Later stage changes (including a roll-back) leave the node only as
    /// --share-stage-changes allows: `ask` (default) holds them until `peers confirm PATH`.
    Offer {
        /// Migration id or catalogue path id.
        path: String,
        /// When a changed stage may be sent: ask (hold until `peers confirm`), always, never
        /// (default: the earlier offer's setting, else ask).
        #[arg(long, value_name = "ask|always|never", value_parser = parse_sharing)]
        share_stage_changes: Option<StageSharing>,
        /// TOML file with the card: organisation, name, email, phone, note.
        #[arg(long, value_name = "FILE")]
        card: Option<PathBuf>,
        /// Organisation (e.g. "Stadt Musterstadt, Amt für Digitalisierung").
        #[arg(long)]
        organisation: Option<String>,
        /// Contact person or function.
        #[arg(long)]
        name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Telephone number.
        #[arg(long)]
        phone: Option<String>,
        /// A note for the peer (what you would like to share or learn).
        #[arg(long)]
        note: Option<String>,
    },
    /// The administration's own offers, their contact cards, held stage changes, pending
    /// withdrawals and every stage sent.
    Offers,
    /// Send a held stage change of an offered path (your consent to disclose it).
    Confirm {
        /// Migration id or catalogue path id.
        path: String,
    },
    /// Ask a listed peer for contact (it sees the request and may accept or decline).
    Contact {
        /// The pseudonym from `sovbench-node peers`.
        pseudonym: String,
        /// Your path under which the peer was listed (default: from the last match list).
        #[arg(long)]
        path: Option<String>,
    },
    /// Incoming and outgoing contact requests, with the contact cards exchanged so far.
    ///
    /// Also hands over your card for requests the other side has accepted. A declined request
    /// shows as "no answer yet": a requester never learns of a decline.
    Requests,
    /// Accept an incoming request: your card goes to the requester, and theirs to you.
    Accept {
        /// Request id from `sovbench-node peers requests`.
        request_id: String,
    },
    /// Decline an incoming request. The requester keeps seeing "no answer yet".
    Decline {
        /// Request id from `sovbench-node peers requests`.
        request_id: String,
    },
    /// Withdraw the offer of a path: you vanish from every match list at once, and unanswered
    /// requests on it are closed. If the aggregator cannot be reached, the withdrawal stays
    /// pending (exit code 3) and `serve` and every later command that talks to the aggregator
    /// send it.
    Withdraw {
        /// Migration id or catalogue path id.
        path: String,
    },
}

fn parse_sharing(s: &str) -> Result<StageSharing, String> {
    StageSharing::parse(s).ok_or_else(|| format!("{s:?}: use ask, always or never"))
}

fn pending_withdrawals(node: &Node) -> anyhow::Result<Vec<String>> {
    Ok(peers::offers(node)?
        .into_iter()
        .filter(|o| o.withdrawing)
        .map(|o| o.path_id)
        .collect())
}

/// Runs `sovbench-node peers [ACTION]`; `Ok(true)` if something is still pending (a
/// withdrawal the aggregator has not acknowledged).
pub(super) async fn run(
    node: &Node,
    action: Option<PeersAction>,
    limit: u32,
    out: Out,
) -> anyhow::Result<bool> {
    let (lang, json_out) = (out.lang, out.json);
    match action {
        None => {
            let offers = peers::offers(node)?;
            if offers.is_empty() {
                if json_out {
                    json_line(&MatchesJson {
                        paths: Vec::new(),
                        requests: None,
                        withdrawals_pending: Vec::new(),
                    })?;
                } else {
                    print!("{}", present::no_offers(lang));
                }
                return Ok(false);
            }
            let lists = peers::matches(node, limit).await?;
            let requests = peers::requests(node).await?;
            let pending = pending_withdrawals(node)?;
            if json_out {
                json_pretty(&MatchesJson {
                    paths: lists,
                    requests: Some(requests),
                    withdrawals_pending: pending,
                })?;
            } else {
                print!("{}", present::withdrawals_pending(&pending, lang));
                print!("{}", present::matches(&lists, lang));
                print!("{}", present::pending_summary(&requests, lang));
            }
        }
        Some(PeersAction::Offer {
            path,
            share_stage_changes,
            card,
            organisation,
            name,
            email,
            phone,
            note,
        }) => {
            let card = peers::card_from(card, [organisation, name, email, phone, note])?;
            let r = peers::offer(node, &path, card, share_stage_changes).await?;
            if json_out {
                json_line(&DoneJson::Offered(r))?;
            } else {
                print!("{}", present::offered(&r, lang));
            }
        }
        Some(PeersAction::Offers) => {
            let offers = peers::offers(node)?;
            let stages_sent = peers::stages_sent(node)?;
            if json_out {
                json_pretty(&OffersJson {
                    offers,
                    stages_sent,
                })?;
            } else {
                print!("{}", present::offers(&offers, &stages_sent, lang));
            }
        }
        Some(PeersAction::Confirm { path }) => {
            let r = peers::confirm(node, &path).await?;
            if json_out {
                json_line(&DoneJson::Confirmed(r))?;
            } else {
                print!("{}", present::offered(&r, lang));
            }
        }
        Some(PeersAction::Contact { pseudonym, path }) => {
            let id = peers::contact(node, &pseudonym, path.as_deref()).await?;
            if json_out {
                json_line(&DoneJson::RequestId(id))?;
            } else {
                print!("{}", present::contact_sent(&id, lang));
            }
        }
        Some(PeersAction::Requests) => {
            let view = peers::requests(node).await?;
            if json_out {
                json_pretty(&view)?;
            } else {
                print!("{}", present::requests(&view, lang));
            }
        }
        Some(PeersAction::Accept { request_id }) => {
            peers::answer(node, request_id.trim(), true).await?;
            // Fetch again so that a card that is already there is opened and shown.
            let view = peers::requests(node).await?;
            if json_out {
                json_line(&AcceptedJson {
                    accepted: request_id,
                    requests: view,
                })?;
            } else {
                print!("{}", present::answered(&request_id, true, lang));
            }
        }
        Some(PeersAction::Decline { request_id }) => {
            peers::answer(node, request_id.trim(), false).await?;
            if json_out {
                json_line(&DoneJson::Declined(request_id))?;
            } else {
                print!("{}", present::answered(&request_id, false, lang));
            }
        }
        Some(PeersAction::Withdraw { path }) => {
            let r = peers::withdraw(node, &path).await?;
            let pending = r.pending;
            if json_out {
                json_line(&DoneJson::Withdrawn(r))?;
            } else {
                print!("{}", present::withdrawn(&r, lang));
            }
            return Ok(pending);
        }
    }
    Ok(!pending_withdrawals(node)?.is_empty())
}
