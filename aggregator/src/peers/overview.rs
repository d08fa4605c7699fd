//! The operator's overview of peer matching: offers per path and stage, requests by state. It
//! names no administration.

use std::collections::BTreeMap;

use super::desk::Desk;
use crate::model::ContactStatus;

/// What the operator sees of peer matching.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeerOverview {
    /// Number of offers.
    pub offer_count: usize,
    /// Offers per path id and stage.
    pub offers: BTreeMap<String, BTreeMap<String, usize>>,
    /// Unanswered requests.
    pub pending: usize,
    /// Accepted requests (cards exchanged or on their way).
    pub accepted: usize,
    /// Declined requests.
    pub declined: usize,
    /// Requests closed by a withdrawal or revocation before an answer.
    pub closed: usize,
}

impl Desk {
    /// Overview for the operator: offers per path and stage, and requests by state. Names no
    /// administration.
    pub fn overview(&self) -> PeerOverview {
        let state = self.lock();
        let mut offers: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for o in state.book.offers() {
            *offers
                .entry(o.path_id.clone())
                .or_default()
                .entry(o.stage.key().to_string())
                .or_default() += 1;
        }
        let count = |s: ContactStatus| state.requests.values().filter(|r| r.status == s).count();
        PeerOverview {
            offer_count: state.book.offer_count(),
            offers,
            pending: count(ContactStatus::Pending),
            accepted: count(ContactStatus::Accepted),
            declined: count(ContactStatus::Declined),
            closed: count(ContactStatus::Closed),
        }
    }
}
