//! Numbers in inventory files, written the German or the English way (docs/INVENTORY.md,
//! "Numbers in files").
//!
//! Every numeric column of an inventory holds a whole number (users, months, euros per
//! workplace), so the rules are:
//!
//! - spaces (also no-break spaces) and apostrophes group thousands: `1 234`, `1'234`;
//! - `.` and `,` both present: the last one is the decimal separator, the other groups
//!   thousands: `1.234,5` and `1,234.5` are both 1234.5;
//! - one of them, more than once: it groups thousands (`1.234.567`);
//! - one of them, once, followed by exactly three digits after a non-zero group of one to three
//!   digits: it groups thousands (`1.234` and `1,234` are 1234). A whole-number column cannot
//!   mean 1.234, and money has two decimal places, never three;
//! - otherwise it is the decimal separator (`12,50`, `12.5`, `0,500`).
//!
//! Groups after the first must have exactly three digits; anything else (`1.23.456`, `1,2,3`) is
//! refused rather than guessed. A value with a non-zero fraction is refused in a whole-number
//! column (`12,50` users), never silently turned into 1250 or rounded.

/// A non-negative decimal number as written: its whole part and its fractional digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// The whole part.
    pub(crate) whole: u64,
    /// The digits after the decimal separator (possibly empty).
    pub(crate) fraction: String,
}

impl Written {
    /// The whole number, if the fraction is zero.
    pub(crate) fn whole_number(&self) -> Option<u64> {
        self.fraction
            .chars()
            .all(|c| c == '0')
            .then_some(self.whole)
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks thousands groups: a first group of one to three digits, then groups of three.
fn grouped(groups: &[&str]) -> bool {
    match groups.split_first() {
        Some((first, rest)) => {
            digits(first) && first.len() <= 3 && rest.iter().all(|g| g.len() == 3 && digits(g))
        }
        None => false,
    }
}

/// Reads a number written with German or English separators; the error says what is wrong.
pub(crate) fn parse_written(text: &str) -> Result<Written, String> {
    let bad = || format!("{text:?} is not a number");
    let s: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\'' | '’' => ' ',
            c => c,
        })
        .collect();
    if s.is_empty() {
        return Err(bad());
    }
    if s.starts_with('-') {
        return Err(format!("{text:?} is negative"));
    }
    // Spaces group thousands.
    let spaced: Vec<&str> = s.split(' ').collect();
    if spaced.len() > 1 && !spaced.iter().all(|g| !g.is_empty()) {
        return Err(bad());
    }
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let (int_part, fraction) = match (dots, commas) {
        (0, 0) => (s.as_str(), ""),
        (d, c) if d > 0 && c > 0 => {
            // The last separator is the decimal one, and it occurs once.
            let last = s.rfind(['.', ',']).ok_or_else(bad)?;
            let dec = &s[last..last + 1];
            if s.matches(dec).count() != 1 {
                return Err(format!(
                    "{text:?} is not a number: {dec:?} appears both as thousands and as decimal separator"
                ));
            }
            (&s[..last], &s[last + 1..])
        }
        _ => {
            let sep = if dots > 0 { '.' } else { ',' };
            let parts: Vec<&str> = s.split(sep).collect();
            let first = parts[0].trim_start_matches(' ');
            let thousands = parts.len() > 2
                || (parts[1].len() == 3
                    && digits(parts[1])
                    && !first.is_empty()
                    && !first.replace(' ', "").starts_with('0'));
            if thousands {
                (s.as_str(), "")
            } else {
                let at = s.find(sep).ok_or_else(bad)?;
                (&s[..at], &s[at + 1..])
            }
        }
    };
    if !fraction.is_empty() && !digits(fraction) {
        return Err(bad());
    }
    let groups: Vec<&str> = int_part.split(['.', ',', ' ']).collect();
    let whole: String = if groups.len() == 1 {
        if !digits(groups[0]) {
            return Err(bad());
        }
        groups[0].to_string()
    } else if grouped(&groups) {
        groups.concat()
    } else {
        return Err(format!(
            "{text:?} is not a number: thousands separators must be followed by groups of three digits"
        ));
    };
    let whole = whole
        .parse::<u64>()
        .map_err(|_| format!("{text:?} is too large"))?;
    Ok(Written {
        whole,
        fraction: fraction.to_string(),
    })
}

/// Reads a whole number (a count, months, whole euros); refuses fractions, naming the value.
pub(crate) fn parse_whole(text: &str, what: &str) -> Result<u32, String> {
    let w = parse_written(text)?;
    let n = w.whole_number().ok_or_else(|| {
        format!(
            "{text:?} is not a whole number (it reads as {}.{}); {what} must be a whole number",
            w.whole, w.fraction
        )
    })?;
    u32::try_from(n).map_err(|_| format!("{text:?} is too large"))
}

/// Renders a spreadsheet number so that [`parse_written`] reads it back exactly: a fraction of
/// exactly three digits would read as a thousands group, so it gets a trailing zero.
pub(crate) fn spreadsheet_number(n: f64) -> String {
    let s = n.to_string();
    match s.split_once('.') {
        Some((_, f)) if f.len() == 3 => format!("{s}0"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (u64, String) {
        let w = parse_written(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (w.whole, w.fraction)
    }

    #[test]
    fn german_and_english_separators_are_read_as_written() {
        assert_eq!(read("1.234,5"), (1234, "5".into()));
        assert_eq!(read("1,234.5"), (1234, "5".into()));
        assert_eq!(read("12,50"), (12, "50".into()));
        assert_eq!(read("12.50"), (12, "50".into()));
        assert_eq!(read("12.5"), (12, "5".into()));
        assert_eq!(read("1 234"), (1234, String::new()));
        assert_eq!(read("1\u{a0}234,00"), (1234, "00".into()));
        assert_eq!(read("1.234.567"), (1_234_567, String::new()));
        assert_eq!(read("1,234,567.25"), (1_234_567, "25".into()));
        assert_eq!(read("6000"), (6000, String::new()));
        assert_eq!(read("400.0"), (400, "0".into()));
        // The rule for one separator followed by three digits: thousands.
        assert_eq!(read("1.234"), (1234, String::new()));
        assert_eq!(read("1,234"), (1234, String::new()));
        assert_eq!(
            read("0,500"),
            (0, "500".into()),
            "a leading zero is no thousands group"
        );
        assert_eq!(read("1.2345"), (1, "2345".into()));
    }

    #[test]
    fn malformed_numbers_are_refused_not_guessed() {
        for s in [
            "",
            "-3",
            "1.23.456",
            "1,2,3",
            "12a",
            "1.234,5,6",
            "1,234.567,8",
            ".5x",
            "1  234",
            "1 23",
        ] {
            assert!(parse_written(s).is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn whole_number_columns_refuse_fractions_instead_of_dropping_the_separator() {
        // The old reader removed every '.', so "12.50" became 1250 and "12.5" 125.
        for s in ["12.50", "12.5", "12,50", "1.234,5"] {
            let e = parse_whole(s, "users").unwrap_err();
            assert!(e.contains("not a whole number"), "{s}: {e}");
        }
        assert_eq!(parse_whole("1.234", "users"), Ok(1234));
        assert_eq!(parse_whole("6.000,00", "euros"), Ok(6000));
        assert_eq!(parse_whole("6,000.00", "euros"), Ok(6000));
        assert_eq!(parse_whole("400.0", "users"), Ok(400));
        assert!(parse_whole("99999999999", "users").is_err());
    }

    #[test]
    fn spreadsheet_numbers_read_back_exactly() {
        for n in [1.234, 12.5, 0.125, 3.0, 1234.5] {
            let w = parse_written(&spreadsheet_number(n)).unwrap();
            let back: f64 = format!("{}.{}0", w.whole, w.fraction).parse().unwrap();
            assert_eq!(back, n, "{n}");
        }
    }
}
