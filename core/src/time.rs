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
}
