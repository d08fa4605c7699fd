//! Display helpers shared by the node's and the aggregator's output.

use crate::i18n::Lang;
use crate::pb;

/// Characters of a client-supplied string that error messages repeat.
pub const ECHO_CHARS: usize = 64;

/// A client-supplied string as error messages repeat it: at most [`ECHO_CHARS`] characters, with
/// "…" when cut. Status messages travel in HTTP/2 headers, which clients limit (often to 8 KiB);
/// repeating a 60 KB id would turn a refusal into a transport error.
pub fn echo(s: &str) -> String {
    match s.char_indices().nth(ECHO_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

/// Localised reason for a suppressed cell.
pub fn suppression_text(cell: &pb::Cell, lang: Lang, k: Option<u32>) -> String {
    let text = match pb::Suppression::try_from(cell.suppression).unwrap_or(pb::Suppression::None) {
        pb::Suppression::BelowMinCohort => match k {
            Some(k) => format!(
                "{} (< {k})",
                lang.pick("zu wenige Teilnehmende", "too few contributors")
            ),
            None => lang
                .pick("zu wenige Teilnehmende", "too few contributors")
                .to_string(),
        },
        pb::Suppression::TooFewReports => format!(
            "{} ({})",
            lang.pick("zu wenige Meldungen", "too few reports"),
            cell.reporters
        ),
        pb::Suppression::TooImprecise => lang
            .pick(
                "zu ungenau (Intervall zu breit)",
                "too imprecise (interval too wide)",
            )
            .to_string(),
        pb::Suppression::Implausible => lang
            .pick(
                "unplausibel (Schätzwert außerhalb des möglichen Bereichs)",
                "implausible (estimate outside the possible range)",
            )
            .to_string(),
        pb::Suppression::NotInGrid => lang
            .pick(
                "nicht im Raster der Runde (verschlüsselter Modus)",
                "not in the round's grid (mode secure)",
            )
            .to_string(),
        pb::Suppression::None => cell.suppression_reason.clone(),
    };
    if cell.fallback_cohort.is_empty() {
        text
    } else {
        format!(
            "{text}; {} {}",
            lang.pick("siehe", "see"),
            cell.fallback_cohort
        )
    }
}

/// A value clipped into `[lo, hi]` for display, with a marker `*` when it was clipped. Unbiased
/// estimates under local noise can fall outside the possible range; the data keeps them as they
/// are.
pub fn clipped(v: f64, lo: f64, hi: f64) -> String {
    if v < lo {
        format!("{lo:.2}*")
    } else if v > hi {
        format!("{hi:.2}*")
    } else {
        format!("{v:.2} ")
    }
}

/// A whole number with thousands separators: `3.840.000` (de) or `3,840,000` (en).
pub fn thousands(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = lang.pick(".", ",");
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

/// A gRPC status as one line for a log or an error: `Code: message`, then its causes. A status
/// made by the client from a transport error (tonic's "transport error") keeps what happened in
/// its causes, e.g. the TLS alert with which the server refused the handshake; a status sent by
/// the server has none.
pub fn status_chain(s: &tonic::Status) -> String {
    let mut line = format!("{:?}: {}", s.code(), s.message());
    let mut cause = std::error::Error::source(s);
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// An error and its causes as one line, `outer: cause: cause`, leaving out a cause whose text
/// the line already holds (many errors embed their source in their own message). What the
/// command lines print.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_cuts_long_client_strings_at_a_character_boundary() {
        assert_eq!(echo("r-1"), "r-1");
        let exact = "x".repeat(ECHO_CHARS);
        assert_eq!(echo(&exact), exact);
        let long = "ä".repeat(60_000);
        let e = echo(&long);
        assert_eq!(e.chars().count(), ECHO_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(3_840_000, Lang::De), "3.840.000");
        assert_eq!(thousands(3_840_000, Lang::En), "3,840,000");
        assert_eq!(thousands(999, Lang::De), "999");
        assert_eq!(thousands(0, Lang::En), "0");
    }

    #[test]
    fn an_error_chain_says_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("{path}: {source}")]
        struct Embeds {
            path: String,
            source: std::io::Error,
        }
        #[derive(Debug, thiserror::Error)]
        #[error("reading the inventory")]
        struct Wraps(#[source] Embeds);
        let e = Wraps(Embeds {
            path: "inventar.csv".into(),
            source: std::io::Error::other("line 3: bad"),
        });
        assert_eq!(
            error_chain(&e),
            "reading the inventory: inventar.csv: line 3: bad"
        );
    }
}
