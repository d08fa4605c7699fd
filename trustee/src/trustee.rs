//! The [`Trustee`]: its data directory, identity, store and link to the aggregator; `init` and
//! `open`. The DKG is in [`crate::dkg`], the round work in [`crate::work`], `status` in
//! [`crate::status`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sovbench_core::envelope::Identity;

use crate::client::Client;
use crate::config::Config;
use crate::error::TrusteeError;
use crate::model::Membership;
use crate::store::Store;

/// File name of the Ed25519 identity key (PKCS#8, mode 0600) in the data directory.
pub const KEY_FILE: &str = "trustee.key";
/// Folder of the store in the data directory.
pub const STORE_DIR: &str = "store";

/// One trustee of the committee: holds one share of the committee key, runs unattended and is
/// only a client of the aggregator.
#[derive(Debug)]
pub struct Trustee {
    pub(crate) dir: PathBuf,
    pub(crate) identity: Identity,
    pub(crate) config: Mutex<Config>,
    pub(crate) store: Store,
    pub(crate) client: Client,
}

/// What the trustee owns in its data directory: set to 0700/0600 at every start.
const OWNED: [&str; 3] = [KEY_FILE, crate::config::FILE, STORE_DIR];

fn create_private_dir(dir: &Path) -> Result<(), TrusteeError> {
    sovbench_core::private::create_dir(dir).map_err(|e| TrusteeError::io(dir, e))
}

impl Trustee {
    /// Creates a trustee in `dir` (mode 0700): a new Ed25519 identity (`trustee.key`, 0600),
    /// `trustee.toml` naming the aggregator and its key, and an empty store. Refuses a directory
    /// that holds a trustee already.
    pub fn init(
        dir: &Path,
        aggregator_url: &str,
        aggregator_key_b64: &str,
    ) -> Result<Trustee, TrusteeError> {
        let config = Config {
            aggregator_url: aggregator_url.trim().to_string(),
            aggregator_key: aggregator_key_b64.trim().to_string(),
            committee_fingerprint: None,
            aggregator_ca: None,
            client_cert: None,
            client_key: None,
            allow_plaintext: false,
        };
        config.check()?;
        if dir.join(KEY_FILE).exists() || dir.join(crate::config::FILE).exists() {
            return Err(TrusteeError::Exists(dir.display().to_string()));
        }
        create_private_dir(dir)?;
        Identity::create_file(&dir.join(KEY_FILE))?;
        config.save(dir)?;
        Trustee::open(dir)
    }

    /// Opens the trustee in `dir`. Fails while another process holds its store.
    pub fn open(dir: &Path) -> Result<Trustee, TrusteeError> {
        Trustee::open_waiting(dir, std::time::Duration::from_secs(2))
    }

    /// [`Trustee::open`], waiting at most `wait` for another process's lock on the store.
    pub fn open_waiting(dir: &Path, wait: std::time::Duration) -> Result<Trustee, TrusteeError> {
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            return Err(TrusteeError::NotInitialised(dir.display().to_string()));
        }
        let config = Config::load(dir)?;
        let aggregator_key = config.check()?;
        let identity = Identity::load_file(&key_path)?;
        // Warns about what others could read, then makes it private (the key share).
        sovbench_core::private::secure_data_dir(dir, &OWNED)
            .map_err(|e| TrusteeError::io(dir, e))?;
        let store = Store::open_waiting(&dir.join(STORE_DIR), wait)?;
        let client = Client::with_tls(
            &config.aggregator_url,
            aggregator_key,
            crate::client::client_tls(dir, &config),
        );
        Ok(Trustee {
            dir: dir.to_path_buf(),
            identity,
            config: Mutex::new(config),
            store,
            client,
        })
    }

    /// The trustee's raw Ed25519 public key.
    pub fn public_key(&self) -> &[u8] {
        self.identity.public_key()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> Config {
        match self.config.lock() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Records the committee fingerprint in `trustee.toml`.
    pub(crate) fn save_fingerprint(&self, fp: &[u8; 32]) -> Result<(), TrusteeError> {
        let mut c = match self.config.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        c.committee_fingerprint = Some(hex::encode(fp));
        c.save(&self.dir)
    }

    /// The committee membership, or [`TrusteeError::NoCommittee`].
    pub fn membership(&self) -> Result<Membership, TrusteeError> {
        self.store.membership()?.ok_or(TrusteeError::NoCommittee)
    }
}

#[cfg(test)]
mod tests;
