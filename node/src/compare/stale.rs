//! Whether a publication is stale for this node ([`staleness`]): a newer publication the node has
//! already seen, a later round the node took part in whose results it cannot contain, or simply
//! its age. `compare` refuses an offered "latest" publication that is stale in the first two
//! ways once that round has closed ([`super::check_publication`]); every display of a comparison
//! names the round and shows these flags, so that a stale comparison is never shown silently.

use prost::Message as _;
use serde::Serialize;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use crate::error::NodeError;
use crate::node::Node;

/// A publication older than this many days is flagged as old (rounds are quarterly).
pub const STALE_AFTER_DAYS: i64 = 120;

/// Why a publication is stale for this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Stale {
    /// The node has already verified a later publication of another round.
    NewerPublication {
        /// Its round.
        round_id: String,
        /// When it was published (Unix seconds).
        published_at: i64,
    },
    /// The node took part in a later round (its latest), which this publication predates: its
    /// own latest submission is not in it.
    LaterRound {
        /// The round.
        round_id: String,
        /// When it closes or closed (Unix seconds).
        closes_at: i64,
        /// Whether it has closed (by the node's clock).
        closed: bool,
    },
    /// Published more than [`STALE_AFTER_DAYS`] days ago.
    Old {
        /// Its age in whole days.
        days: i64,
    },
}

impl Stale {
    /// The flag as people read it.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Stale::NewerPublication {
                round_id,
                published_at,
            } => format!(
                "{} {round_id} ({} {})",
                lang.pick(
                    "es gibt eine neuere Veröffentlichung: Runde",
                    "there is a newer publication: round"
                ),
                lang.pick("veröffentlicht", "published"),
                format_utc(*published_at)
            ),
            Stale::LaterRound {
                round_id,
                closes_at,
                closed,
            } => format!(
                "{} {round_id}{} ({} {}); {}",
                lang.pick(
                    "Ihre Verwaltung hat an Runde",
                    "your administration took part in round"
                ),
                lang.pick(" teilgenommen", ""),
                if *closed {
                    lang.pick("geschlossen", "closed")
                } else {
                    lang.pick("schließt", "closes")
                },
                format_utc(*closes_at),
                lang.pick(
                    "deren Ergebnisse sind hier noch nicht enthalten",
                    "its results are not in this publication"
                )
            ),
            Stale::Old { days } => format!(
                "{} {days} {} ({} {STALE_AFTER_DAYS} {})",
                lang.pick("veröffentlicht vor", "published"),
                lang.pick("Tagen", "days ago"),
                lang.pick("Schwelle", "threshold"),
                lang.pick("Tage", "days")
            ),
        }
    }
}

/// Every reason why `publication` is stale for `node` now; empty when it is current.
pub fn staleness(node: &Node, publication: &pb::Publication) -> Result<Vec<Stale>, NodeError> {
    let mut flags = Vec::new();
    if let Some(seen) = node.store().latest_publication()? {
        if let Some(pb::payload::Body::Publication(p)) = decode_body(&seen) {
            if p.published_at > publication.published_at && p.round_id != publication.round_id {
                flags.push(Stale::NewerPublication {
                    round_id: p.round_id,
                    published_at: p.published_at,
                });
            }
        }
    }
    let now = node.now();
    let mut latest_taken: Option<pb::RoundParams> = None;
    for entry in node.store().ledger()? {
        let Some(msg) = node.store().round(&entry.round_id)? else {
            continue;
        };
        if let Some(pb::payload::Body::Round(r)) = decode_body(&msg) {
            if latest_taken
                .as_ref()
                .is_none_or(|l| r.opens_at > l.opens_at)
            {
                latest_taken = Some(r);
            }
        }
    }
    if let Some(r) = latest_taken {
        if r.round_id != publication.round_id && publication.published_at < r.closes_at {
            flags.push(Stale::LaterRound {
                round_id: r.round_id,
                closes_at: r.closes_at,
                closed: r.closes_at <= now,
            });
        }
    }
    let days = (now - publication.published_at).div_euclid(86_400);
    if days > STALE_AFTER_DAYS {
        flags.push(Stale::Old { days });
    }
    Ok(flags)
}

/// The body of a stored signed message (stored messages were verified when they arrived).
pub(crate) fn decode_body(msg: &pb::SignedMessage) -> Option<pb::payload::Body> {
    pb::Payload::decode(msg.payload.as_slice()).ok()?.body
}
