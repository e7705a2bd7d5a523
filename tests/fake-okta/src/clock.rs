//! Wall-clock helpers: epoch milliseconds, Okta's ISO 8601 timestamps and the RFC 7231 `Date`
//! header format, written out here (a few lines of calendar arithmetic) instead of pulling a
//! date crate into the fake.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`, the format of every Okta timestamp.
pub(crate) fn iso8601(ms: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_iso8601(&mut out, ms);
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends [`iso8601`] of `ms` (years 0 to 9999), digit by digit: user pages write six of these
/// per user, and `format!` made them a large share of a page's time in debug builds.
pub(crate) fn write_iso8601(out: &mut Vec<u8>, ms: i64) {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let fields: [(i64, u32, u8); 7] = [
        (year, 4, b'-'),
        (i64::from(month), 2, b'-'),
        (i64::from(day), 2, b'T'),
        (rem / 3600, 2, b':'),
        (rem % 3600 / 60, 2, b':'),
        (rem % 60, 2, b'.'),
        (millis, 3, b'Z'),
    ];
    for (n, width, then) in fields {
        for place in (0..width).rev() {
            out.push(b'0' + (n / 10_i64.pow(place) % 10) as u8);
        }
        out.push(then);
    }
}

/// The IMF-fixdate of RFC 7231 (`Sun, 06 Nov 1994 08:49:37 GMT`) for `Date` headers.
pub(crate) fn http_date(epoch_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = epoch_secs.div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let rem = epoch_secs.rem_euclid(86_400);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_with_milliseconds() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_423_217_488_123), "2015-02-06T10:11:28.123Z");
    }

    #[test]
    fn http_date_matches_the_rfc_example() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn leap_days_are_counted() {
        assert_eq!(iso8601(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
    }
}
