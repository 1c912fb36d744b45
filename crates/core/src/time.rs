//! Timestamps: audit records carry UTC `CreationTime` as `YYYY-MM-DDTHH:MM:SS` (sometimes with a
//! fraction, `Z` or an offset). Parsed by hand because it runs once per record on the load path.
//! Everything is kept as Unix seconds (UTC).

use chrono::{DateTime, Local, TimeZone, Utc};

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in month `m` of year `y` (proleptic Gregorian).
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Seconds since the epoch of a date and time, or `None` for one that does not exist
/// (2024-02-30, 13:61): such a date is refused, not moved into the next month.
fn checked_epoch(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo)
        || !(1..=days_in_month(y, mo)).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parses an ISO-8601 UTC timestamp as written in AuditData (`2023-09-26T01:56:15`), with an
/// optional fraction, `Z`, or `+hh:mm`/`-hh:mm` offset. Also accepts PowerShell 5.1's
/// `/Date(1663264162000)/`.
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(ms) = s
        .strip_prefix("/Date(")
        .or_else(|| s.strip_prefix("\\/Date("))
    {
        let end = ms.find(|c: char| !(c.is_ascii_digit() || c == '-'))?;
        return ms[..end].parse::<i64>().ok().map(|v| v.div_euclid(1000));
    }
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut t = checked_epoch(
        digits(&b[0..4])?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    )?;
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    match rest {
        [] | [b'Z'] | [b'z'] => {}
        [sign @ (b'+' | b'-'), hh1, hh2, b':', mm1, mm2]
        | [sign @ (b'+' | b'-'), hh1, hh2, mm1, mm2] => {
            let (hh, mm) = (digits(&[*hh1, *hh2])?, digits(&[*mm1, *mm2])?);
            // Real offsets run from -12:00 to +14:00.
            if hh > 14 || mm > 59 {
                return None;
            }
            let off = hh * 3600 + mm * 60;
            t -= if *sign == b'+' { off } else { -off };
        }
        _ => return None,
    }
    Some(t)
}

/// Parses the locale-formatted dates that wrapper columns carry (`9/20/2023 4:05:03 AM`,
/// `4/26/2021, 7:17:10.000 AM`, `15.09.2022 17:49:22`) and ISO forms. Only a fallback for
/// exports without `CreationTime`; the zone is taken as UTC.
pub fn parse_loose(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = parse_iso(s) {
        return Some(t);
    }
    let upper = s.to_ascii_uppercase();
    let (body, pm) = if let Some(b) = upper.strip_suffix("PM") {
        (b.trim_end(), Some(true))
    } else if let Some(b) = upper.strip_suffix("AM") {
        (b.trim_end(), Some(false))
    } else {
        (upper.as_str(), None)
    };
    let body = body.replace(',', " ");
    let mut parts = body.split_whitespace();
    let date = parts.next()?;
    let time = parts.next().unwrap_or("0:00:00");
    let (y, mo, d) = if date.contains('/') {
        let mut it = date.split('/');
        let (m, d, y) = (it.next()?, it.next()?, it.next()?);
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    } else if date.contains('.') {
        let mut it = date.split('.');
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    } else {
        let mut it = date.split('-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    };
    let time = time.split('.').next()?;
    let mut it = time.split(':');
    let mut h: i64 = it.next()?.parse().ok()?;
    let mi: i64 = it.next()?.parse().ok()?;
    let sec: i64 = it.next().unwrap_or("0").parse().ok()?;
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    checked_epoch(y, mo, d, h, mi, sec)
}

/// RFC 3339 in UTC, as the CLI prints it: `2024-03-12T04:59:00Z`.
pub fn rfc3339(t: i64) -> String {
    match DateTime::<Utc>::from_timestamp(t, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => t.to_string(),
    }
}

/// Display zone of the TUI: audit times are UTC; the investigator may flip to local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    Local,
}

impl Zone {
    pub fn next(self) -> Zone {
        match self {
            Zone::Utc => Zone::Local,
            Zone::Local => Zone::Utc,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zone::Utc => "UTC",
            Zone::Local => "local",
        }
    }

    /// Formats `t` with a chrono format string in this zone.
    pub fn format(self, t: i64, fmt: &str) -> String {
        let Some(utc) = DateTime::<Utc>::from_timestamp(t, 0) else {
            return t.to_string();
        };
        match self {
            Zone::Utc => utc.format(fmt).to_string(),
            Zone::Local => Local
                .from_utc_datetime(&utc.naive_utc())
                .format(fmt)
                .to_string(),
        }
    }
}

/// `1h 05m`, `3d 4h`, `42s`: durations in the session list.
pub fn short_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        86_400..=863_999 => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_audit_creation_time_forms() {
        let base = parse_iso("2023-09-26T01:56:15").unwrap();
        assert_eq!(rfc3339(base), "2023-09-26T01:56:15Z");
        assert_eq!(parse_iso("2023-09-26T01:56:15Z"), Some(base));
        assert_eq!(parse_iso("2023-09-26T01:56:15.0000000Z "), Some(base));
        assert_eq!(parse_iso("2023-09-26T03:56:15+02:00"), Some(base));
        assert_eq!(parse_iso("/Date(1695693375000)/"), Some(base));
        assert_eq!(parse_iso("2023-13-26T01:56:15"), None);
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn dates_and_offsets_that_do_not_exist_are_refused() {
        assert_eq!(parse_iso("2024-02-30T10:00:00"), None, "not moved to March");
        assert_eq!(parse_iso("2023-02-29T10:00:00"), None);
        assert!(parse_iso("2024-02-29T10:00:00").is_some(), "a leap day");
        assert!(parse_iso("2000-02-29T10:00:00").is_some());
        assert_eq!(parse_iso("1900-02-29T10:00:00"), None);
        assert_eq!(parse_iso("2024-04-31T10:00:00"), None);
        assert_eq!(parse_iso("2024-04-30T10:00:00+25:00"), None);
        assert_eq!(parse_iso("2024-04-30T10:00:00+05:75"), None);
        assert_eq!(parse_loose("2/30/2024 10:00:00 AM"), None);
    }

    #[test]
    fn parses_locale_wrapper_dates() {
        let t = parse_iso("2023-09-20T16:05:03").unwrap();
        assert_eq!(parse_loose("9/20/2023 4:05:03 PM"), Some(t));
        assert_eq!(parse_loose("9/20/2023, 4:05:03.000 PM"), Some(t));
        assert_eq!(parse_loose("20.09.2023 16:05:03"), Some(t));
        assert_eq!(parse_loose("9/20/2023 12:05:03 AM"), Some(t - 16 * 3600));
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(42), "42s");
        assert_eq!(short_duration(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(short_duration(2 * 86_400 + 3600), "2d01h");
    }
}
