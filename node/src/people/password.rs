//! Argon2id password hashes (the argon2 crate's defaults: 19 MiB, 2 passes, 1 lane, as OWASP
//! recommends), stored as PHC strings.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;

use super::PeopleError;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing cost is bounded).
const MAX_PASSWORD_BYTES: usize = 1024;

/// Checks the password rules: at least [`MIN_PASSWORD_CHARS`] characters, at most 1 KiB.
pub fn check_password_rules(password: &str) -> Result<(), PeopleError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(PeopleError::WeakPassword);
    }
    Ok(())
}

/// The Argon2id hash of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, PeopleError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PeopleError::Hash(e.to_string()))
}

/// Whether `password` matches the stored `hash`. A password over 1 KiB never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The work of one verification, for unknown names (no timing difference to a wrong password).
pub(super) fn burn(password: &str) {
    let _ = hash_password(
        password
            .get(..MAX_PASSWORD_BYTES.min(password.len()))
            .unwrap_or(""),
    );
}
