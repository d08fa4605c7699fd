//! The in-memory match index of peer matching: every offer by category, with compact profiles
//! for the ranking's inner loop, and the per-viewer pseudonyms. It holds only what the store
//! holds ([`super::Desk`] writes the store first).

use std::collections::HashMap;

use sovbench_core::paths::path_by_id;
use sovbench_core::pb;
use sovbench_core::peers::{self, CompactProfile, OfferProfile, PseudonymKey};
use sovbench_core::vocab::Category;

use crate::model::StoredOffer;

/// The offers of one category, with their compact profiles at the same positions.
#[derive(Debug, Default)]
struct CategoryList {
    offers: Vec<StoredOffer>,
    compact: Vec<Compact>,
    /// Position of each (node key, path id) in `offers`.
    index: HashMap<(Vec<u8>, String), usize>,
}

/// What the matching's inner loop reads of an offer.
#[derive(Debug, Clone, Copy)]
struct Compact {
    profile: CompactProfile,
    /// First eight bytes of the node key (a quick inequality test).
    key: u64,
    seq: u64,
}

fn key_prefix(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(key) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}

/// The in-memory match index: every offer by category, with the pseudonym key.
#[derive(Debug)]
pub struct PeerBook {
    key: PseudonymKey,
    by_category: HashMap<Category, CategoryList>,
    next_seq: u64,
}

/// One ranked match, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedMatch {
    /// The peer's pseudonym for this viewer.
    pub pseudonym: String,
    /// The peer's offer.
    pub offer: StoredOffer,
    /// Score.
    pub score: i32,
    /// Its parts.
    pub parts: Vec<(pb::ScoreReason, i32)>,
}

fn profile(o: &StoredOffer) -> OfferProfile<'_> {
    OfferProfile {
        path_id: &o.path_id,
        category: o.category,
        stage: o.stage,
        kind: o.attributes.kind,
        size: o.attributes.size,
    }
}

impl PeerBook {
    /// An empty book with the pseudonym secret.
    pub fn new(secret: &[u8]) -> PeerBook {
        PeerBook {
            key: PseudonymKey::new(secret),
            by_category: HashMap::new(),
            next_seq: 1,
        }
    }

    /// The position the next offer or update takes in the order of offers.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Every offer.
    pub fn offers(&self) -> impl Iterator<Item = &StoredOffer> {
        self.by_category.values().flat_map(|l| l.offers.iter())
    }

    /// Adds or replaces an offer (same node, same path). Offers outside the catalogue or with
    /// an unknown stage are ignored (the service refuses them before they get here).
    pub fn insert_offer(&mut self, offer: StoredOffer) {
        let Some(profile) = CompactProfile::new(&profile(&offer)) else {
            tracing::warn!(path = %offer.path_id, stage = offer.stage.key(), "offer outside the catalogue ignored");
            return;
        };
        self.next_seq = self.next_seq.max(offer.seq + 1);
        let compact = Compact {
            profile,
            key: key_prefix(&offer.node_key),
            seq: offer.seq,
        };
        let list = self.by_category.entry(offer.category).or_default();
        let id = (offer.node_key.clone(), offer.path_id.clone());
        match list.index.get(&id) {
            Some(&i) => {
                list.offers[i] = offer;
                list.compact[i] = compact;
            }
            None => {
                list.index.insert(id, list.offers.len());
                list.offers.push(offer);
                list.compact.push(compact);
            }
        }
    }

    /// Removes an offer; returns it if there was one.
    pub fn remove_offer(&mut self, node_key: &[u8], path_id: &str) -> Option<StoredOffer> {
        let category = category_of(path_id)?;
        let list = self.by_category.get_mut(&category)?;
        let i = list
            .index
            .remove(&(node_key.to_vec(), path_id.to_string()))?;
        list.compact.swap_remove(i);
        let removed = list.offers.swap_remove(i);
        if let Some(moved) = list.offers.get(i) {
            list.index
                .insert((moved.node_key.clone(), moved.path_id.clone()), i);
        }
        Some(removed)
    }

    /// A node's offer for a path.
    pub fn offer(&self, node_key: &[u8], path_id: &str) -> Option<&StoredOffer> {
        let category = category_of(path_id)?;
        let list = self.by_category.get(&category)?;
        let i = *list.index.get(&(node_key.to_vec(), path_id.to_string()))?;
        list.offers.get(i)
    }

    /// All offers of a node.
    pub fn offers_of(&self, node_key: &[u8]) -> Vec<StoredOffer> {
        self.by_category
            .values()
            .flat_map(|l| l.offers.iter())
            .filter(|o| o.node_key == node_key)
            .cloned()
            .collect()
    }

    /// Number of offers.
    pub fn offer_count(&self) -> usize {
        self.by_category.values().map(|l| l.offers.len()).sum()
    }

    /// The pseudonym of `subject` on `path_id` for `viewer`.
    pub fn pseudonym(&self, viewer: &[u8], subject: &[u8], path_id: &str) -> String {
        self.key.pseudonym(viewer, subject, path_id)
    }

    /// The best `limit` matches of `viewer`'s offer for `path_id`, ranked by score, then by the
    /// most recently updated offer; with the number of candidates. `None` if the viewer does not
    /// offer the path. Other offers of the viewer itself are never listed.
    pub fn matches(
        &self,
        viewer: &[u8],
        path_id: &str,
        limit: usize,
    ) -> Option<(Vec<RankedMatch>, usize)> {
        let own = self.offer(viewer, path_id)?;
        let me = profile(own);
        let mine = CompactProfile::new(&me)?;
        let viewer_prefix = key_prefix(viewer);
        let list = self.by_category.get(&own.category)?;
        // Top `limit` by (score, seq), kept in a min-heap: most candidates cost one comparison.
        // Scores are 0..=20 and seq < 2^48, so (score << 48 | seq) orders as (score, seq).
        let mut top: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
            std::collections::BinaryHeap::with_capacity(limit + 1);
        let mut candidates = 0;
        for (i, c) in list.compact.iter().enumerate() {
            if c.key == viewer_prefix && list.offers[i].node_key == viewer {
                continue;
            }
            let Some(points) = mine.points(&c.profile) else {
                continue;
            };
            candidates += 1;
            if limit == 0 {
                continue;
            }
            let rank = ((points.max(0) as u64) << 48) | (c.seq & ((1 << 48) - 1));
            if top.len() < limit {
                top.push(std::cmp::Reverse((rank, i)));
            } else if top.peek().is_some_and(|m| m.0 .0 < rank) {
                top.pop();
                top.push(std::cmp::Reverse((rank, i)));
            }
        }
        let mut scored: Vec<(u64, usize)> = top.into_iter().map(|r| r.0).collect();
        scored.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
        let out = scored
            .into_iter()
            .filter_map(|(_, i)| {
                let o = &list.offers[i];
                let (score, parts) = peers::score(&me, &profile(o))?;
                Some(RankedMatch {
                    pseudonym: self.key.pseudonym(viewer, &o.node_key, &o.path_id),
                    offer: o.clone(),
                    score,
                    parts,
                })
            })
            .collect();
        Some((out, candidates))
    }

    /// Finds the offer behind a pseudonym in `viewer`'s match candidates for `path_id`.
    pub fn resolve(&self, viewer: &[u8], path_id: &str, pseudonym: &str) -> Option<StoredOffer> {
        let category = category_of(path_id)?;
        self.by_category
            .get(&category)?
            .offers
            .iter()
            .filter(|o| o.node_key != viewer)
            .find(|o| self.key.pseudonym(viewer, &o.node_key, &o.path_id) == pseudonym)
            .cloned()
    }
}

/// The category of a catalogue path.
pub fn category_of(path_id: &str) -> Option<Category> {
    path_by_id(path_id).map(|p| p.category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
    use sovbench_core::vocab::Stage;

    fn offer(
        node: u8,
        path: &str,
        stage: &str,
        kind: Kind,
        size: SizeClass,
        seq: u64,
    ) -> StoredOffer {
        StoredOffer {
            node_key: vec![node; 32],
            path_id: path.into(),
            category: category_of(path).expect("catalogue path"),
            stage: Stage::from_key(stage).expect("known stage"),
            attributes: CohortAttributes {
                kind,
                state: "DE-NW".into(),
                size,
            },
            offered_at: 0,
            seq,
        }
    }

    const BBB: &str = "path.videokonferenzen.bigbluebutton";
    const ALFA: &str = "path.videokonferenzen.alfaview";

    #[test]
    fn the_book_ranks_by_score_then_recency_and_stays_consistent_under_removal() {
        let mut book = PeerBook::new(b"k");
        let g = Kind::Gemeinde;
        let m = SizeClass::Pop20kTo50k;
        book.insert_offer(offer(1, BBB, "geplant", g, m, 1));
        book.insert_offer(offer(1, ALFA, "pilot", g, m, 2)); // the viewer's own second offer
        book.insert_offer(offer(2, BBB, "rollout", g, m, 3)); // 17
        book.insert_offer(offer(3, BBB, "rollout", g, m, 4)); // 17, more recent
        book.insert_offer(offer(4, ALFA, "rollout", g, m, 5)); // 7
        book.insert_offer(offer(
            5,
            BBB,
            "erwogen",
            Kind::Land,
            SizeClass::Pop500kPlus,
            6,
        )); // 10
        let (list, candidates) = book.matches(&[1; 32], BBB, 10).unwrap();
        assert_eq!(candidates, 4, "own offers are never candidates");
        let order: Vec<(u8, i32)> = list
            .iter()
            .map(|r| (r.offer.node_key[0], r.score))
            .collect();
        assert_eq!(order, vec![(3, 17), (2, 17), (5, 10), (4, 7)]);
        let (top, _) = book.matches(&[1; 32], BBB, 2).unwrap();
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].offer.node_key[0], 3);
        assert!(book.matches(&[1; 32], BBB, 0).unwrap().0.is_empty());
        assert!(
            book.matches(&[9; 32], BBB, 10).is_none(),
            "no offer, no list"
        );
        // Re-offering updates in place; removal keeps the index right for the moved entry.
        book.insert_offer(offer(2, BBB, "abgeschlossen", g, m, 7));
        assert_eq!(book.offer_count(), 6);
        assert_eq!(book.remove_offer(&[2; 32], BBB).unwrap().seq, 7);
        assert!(book.offer(&[2; 32], BBB).is_none());
        assert_eq!(book.offer(&[5; 32], BBB).unwrap().seq, 6);
        let order: Vec<u8> = book
            .matches(&[1; 32], BBB, 10)
            .unwrap()
            .0
            .iter()
            .map(|r| r.offer.node_key[0])
            .collect();
        assert_eq!(order, vec![3, 5, 4]);
        // Pseudonyms resolve only for the viewer they were made for.
        let p = book.pseudonym(&[1; 32], &[3; 32], BBB);
        assert_eq!(
            book.resolve(&[1; 32], BBB, &p).unwrap().node_key,
            vec![3; 32]
        );
        assert!(book.resolve(&[4; 32], ALFA, &p).is_none());
    }
}
