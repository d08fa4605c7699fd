//! Calendar helpers on Unix seconds (UTC), without a time-zone database.

/// Civil date (year, month, day) of a Unix timestamp, UTC.
pub fn civil_date(unix_secs: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` (also `DD.MM.YYYY`, as German spreadsheets write it) into days since
/// 1970-01-01; refuses impossible dates.
pub fn parse_date(text: &str) -> Option<i64> {
    let t = text.trim();
    let (y, m, d) = if let Some((d, rest)) = t.split_once('.') {
        let (m, y) = rest.split_once('.')?;
        (
            y.parse::<i64>().ok()?,
            m.parse::<u32>().ok()?,
            d.parse::<u32>().ok()?,
        )
    } else {
        let mut it = t.splitn(3, '-');
        (
            it.next()?.parse::<i64>().ok()?,
            it.next()?.parse::<u32>().ok()?,
            it.next()?.parse::<u32>().ok()?,
        )
    };
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Round-trips only if the day exists in that month.
    (civil_date(days * 86_400) == (y, m, d)).then_some(days)
}

/// `YYYY-MM-DD` of days since 1970-01-01.
pub fn format_days(days: i64) -> String {
    format_date(days * 86_400)
}

/// Calendar year (UTC) of a Unix timestamp.
pub fn year_of(unix_secs: i64) -> i64 {
    civil_date(unix_secs).0
}

/// `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(unix_secs: i64) -> String {
    let (y, m, d) = civil_date(unix_secs);
    let s = unix_secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3_600,
        (s % 3_600) / 60
    )
}

/// `YYYY-MM-DD`.
pub fn format_date(unix_secs: i64) -> String {
    let (y, m, d) = civil_date(unix_secs);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(951_782_400), (2000, 2, 29));
        assert_eq!(format_utc(1_798_675_200), "2026-12-31 00:00 UTC");
        assert_eq!(year_of(1_798_761_599), 2026);
        assert_eq!(year_of(1_798_761_600), 2027);
        assert_eq!(format_date(-86_400), "1969-12-31");
    }

    #[test]
    fn dates_parse_and_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(
            parse_date("2024-02-29").map(format_days).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_date("29.02.2024"), parse_date("2024-02-29"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("morgen"), None);
        for days in [-1000i64, 0, 365, 20_000, 60_000] {
            assert_eq!(parse_date(&format_days(days)), Some(days));
        }
    }
}
