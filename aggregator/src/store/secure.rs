//! Mode secure: the ceremonies of the DKG relay, their messages, and the trustee phases of closed
//! secure rounds (announcements, noise and decryption posts). Trees are opened on first use.
//!
//! Every `put_*` is followed by a durable [`Store::commit`]; posts are claimed with a
//! compare-and-swap, so that of two different messages for the same slot exactly one is stored
//! and an identical repetition finds its own bytes.

use sovbench_core::kv::{self, get_json, put_json};

use super::Store;
use crate::error::AggError;
use crate::model::StoredCeremony;

const CEREMONIES: &str = "ceremonies";
const DKG_MESSAGES: &str = "dkg_messages";
const SECURE_ROUNDS: &str = "secure_rounds";
const TRUSTEE_POSTS: &str = "trustee_posts";

/// Where a DKG message sits on the board: sender, step (1 to 4), recipient (step 3; else 0).
pub type DkgSlot = (u32, u8, u32);

fn dkg_key(ceremony: &str, slot: DkgSlot) -> Vec<u8> {
    let mut k = kv::pair_key(ceremony.as_bytes(), &[]);
    k.extend_from_slice(&slot.0.to_be_bytes());
    k.push(slot.1);
    k.extend_from_slice(&slot.2.to_be_bytes());
    k
}

fn post_key(round_id: &str, kind: u8, trustee: u32) -> Vec<u8> {
    let mut k = kv::pair_key(round_id.as_bytes(), &[kind]);
    k.extend_from_slice(&trustee.to_be_bytes());
    k
}

impl Store {
    fn secure_tree(&self, name: &str) -> Result<kv::Tree, AggError> {
        Ok(self.db.open_tree(name)?)
    }

    /// Stores a new ceremony durably; false if the id is taken.
    pub fn put_ceremony(&self, id: &str, c: &StoredCeremony) -> Result<bool, AggError> {
        let tree = self.secure_tree(CEREMONIES)?;
        let value = serde_json::to_vec(c)?;
        let claimed = tree.compare_and_swap(id.as_bytes(), None as Option<&[u8]>, Some(value))?;
        if claimed.is_err() {
            return Ok(false);
        }
        self.commit()?;
        Ok(true)
    }

    /// A ceremony by id.
    pub fn ceremony(&self, id: &str) -> Result<Option<StoredCeremony>, AggError> {
        Ok(get_json(&self.secure_tree(CEREMONIES)?, id.as_bytes())?)
    }

    /// All ceremonies, by id.
    pub fn ceremonies(&self) -> Result<Vec<(String, StoredCeremony)>, AggError> {
        let mut out = Vec::new();
        for entry in self.secure_tree(CEREMONIES)?.iter() {
            let (k, v) = entry?;
            out.push((
                String::from_utf8_lossy(&k).into_owned(),
                serde_json::from_slice(&v)?,
            ));
        }
        Ok(out)
    }

    /// Stores a DKG message durably unless its slot is taken; returns the bytes stored before in
    /// that slot, if any (then nothing is written).
    pub fn put_dkg_message(
        &self,
        ceremony: &str,
        slot: DkgSlot,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, AggError> {
        let tree = self.secure_tree(DKG_MESSAGES)?;
        match tree.compare_and_swap(dkg_key(ceremony, slot), None as Option<&[u8]>, Some(msg))? {
            Ok(()) => {
                self.commit()?;
                Ok(None)
            }
            Err(e) => Ok(e.current.map(|v| v.to_vec())),
        }
    }

    /// Every stored DKG message of a ceremony with its slot, in slot order.
    pub fn dkg_messages(&self, ceremony: &str) -> Result<Vec<(DkgSlot, Vec<u8>)>, AggError> {
        let prefix = kv::pair_key(ceremony.as_bytes(), &[]);
        let mut out = Vec::new();
        for entry in self.secure_tree(DKG_MESSAGES)?.scan_prefix(&prefix) {
            let (k, v) = entry?;
            let s = &k[prefix.len()..];
            if s.len() != 9 {
                continue;
            }
            let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            out.push(((be(&s[0..4]), s[4], be(&s[5..9])), v.to_vec()));
        }
        Ok(out)
    }

    /// Stores a record of a secure round (`name`: `noise`, `decrypt`, `state`) durably.
    pub fn put_secure_record(
        &self,
        round_id: &str,
        name: &str,
        value: &[u8],
    ) -> Result<(), AggError> {
        let tree = self.secure_tree(SECURE_ROUNDS)?;
        tree.insert(kv::pair_key(round_id.as_bytes(), name.as_bytes()), value)?;
        self.commit()
    }

    /// A record of a secure round.
    pub fn secure_record(&self, round_id: &str, name: &str) -> Result<Option<Vec<u8>>, AggError> {
        let tree = self.secure_tree(SECURE_ROUNDS)?;
        Ok(tree
            .get(kv::pair_key(round_id.as_bytes(), name.as_bytes()))?
            .map(|v| v.to_vec()))
    }

    /// A JSON record of a secure round.
    pub fn secure_json<T: serde::de::DeserializeOwned>(
        &self,
        round_id: &str,
        name: &str,
    ) -> Result<Option<T>, AggError> {
        let tree = self.secure_tree(SECURE_ROUNDS)?;
        Ok(get_json(
            &tree,
            &kv::pair_key(round_id.as_bytes(), name.as_bytes()),
        )?)
    }

    /// Stores a JSON record of a secure round durably.
    pub fn put_secure_json<T: serde::Serialize>(
        &self,
        round_id: &str,
        name: &str,
        value: &T,
    ) -> Result<(), AggError> {
        let tree = self.secure_tree(SECURE_ROUNDS)?;
        put_json(
            &tree,
            &kv::pair_key(round_id.as_bytes(), name.as_bytes()),
            value,
        )?;
        self.commit()
    }

    /// Stores a trustee's post (`kind` 1: noise shares, 2: decryption shares) durably unless the
    /// trustee posted one of that kind before; returns the earlier bytes, if any.
    pub fn put_trustee_post(
        &self,
        round_id: &str,
        kind: u8,
        trustee: u32,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, AggError> {
        let tree = self.secure_tree(TRUSTEE_POSTS)?;
        let key = post_key(round_id, kind, trustee);
        match tree.compare_and_swap(key, None as Option<&[u8]>, Some(msg))? {
            Ok(()) => {
                self.commit()?;
                Ok(None)
            }
            Err(e) => Ok(e.current.map(|v| v.to_vec())),
        }
    }

    /// The trustee posts of a kind for a round, by trustee index.
    pub fn trustee_posts(&self, round_id: &str, kind: u8) -> Result<Vec<(u32, Vec<u8>)>, AggError> {
        let prefix = kv::pair_key(round_id.as_bytes(), &[kind]);
        let mut out = Vec::new();
        for entry in self.secure_tree(TRUSTEE_POSTS)?.scan_prefix(&prefix) {
            let (k, v) = entry?;
            let s = &k[prefix.len()..];
            if let Ok(b) = <[u8; 4]>::try_from(s) {
                out.push((u32::from_be_bytes(b), v.to_vec()));
            }
        }
        Ok(out)
    }
}
