//! Identifiers an operator chooses: round ids and trustee ceremony ids. One grammar for both,
//! checked where they are created (`round open`, `committee create`):
//!
//! `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`
//!
//! Such an id is a plain file name and URL path segment, is never taken for an option on a
//! command line, and never starts a spreadsheet formula in an exported CSV row (`-A2` would:
//! a cell starting with `-`, `+`, `=` or `@` is evaluated by Excel and LibreOffice).
//!
//! ```
//! use sovbench_core::ids::is_plain_id;
//! assert!(is_plain_id("2026-q4"));
//! assert!(!is_plain_id("-A2"));
//! ```

/// The longest id, in bytes (ASCII only, so also in characters).
pub const MAX_ID_LEN: usize = 64;

/// The grammar in words, English, for error messages.
pub const ID_RULE_EN: &str =
    "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

/// The grammar in words, German, for error messages.
pub const ID_RULE_DE: &str = "1 bis 64 Buchstaben, Ziffern, '.', '_' oder '-', beginnend mit \
                              einem Buchstaben oder einer Ziffer";

/// Whether `id` follows the grammar of operator-chosen ids (see the module documentation).
pub fn is_plain_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= MAX_ID_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_with_a_letter_or_digit_and_hold_only_plain_characters() {
        for ok in [
            "2026-q4",
            "a",
            "Q",
            "7",
            "verbund-nord.2026_v2",
            &"x".repeat(64),
        ] {
            assert!(is_plain_id(ok), "{ok:?}");
        }
        for bad in [
            "",
            "-A2",
            "+1",
            "=1+1",
            "@SUM(A1)",
            ".hidden",
            "_x",
            "a b",
            "a/b",
            "a\tb",
            "ä",
            &"x".repeat(65),
        ] {
            assert!(!is_plain_id(bad), "{bad:?}");
        }
    }
}
