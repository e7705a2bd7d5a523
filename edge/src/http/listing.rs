//! The query of every paged listing, read and validated in one place.
//!
//! `?q=&page=&per_page=&after=` and a listing's own parameters such as `sort`, and the queries of
//! the sync runs (`page`) and of the audit log (`before`, `limit`, `target`): each parameter at
//! most once, none unknown, numbers in range, searches within what D1 can match. A mistake is a
//! `400 invalid_query` problem (a malformed request, unlike a body's `422 invalid_input`) whose
//! detail names the parameter and what it accepts.

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::{AUDIT_AREAS, AuditActionFilter, AuditFilter};

use crate::error::ApiError;

/// D1's limit on a `LIKE` pattern, in bytes (the `SQLITE_LIMIT_LIKE_PATTERN_LENGTH` limit, which
/// D1 sets to 50): a longer pattern fails the statement.
const MAX_LIKE_PATTERN_BYTES: usize = 50;
/// The longest search (`q`) in bytes: the pattern made of it adds a `%` on each side.
pub const MAX_SEARCH_BYTES: usize = MAX_LIKE_PATTERN_BYTES - 2;
/// The last page a numbered listing may ask for (a bound on the OFFSET D1 scans).
pub const MAX_PAGE: u32 = 100_000;

/// The runs per page of `GET /api/v1/sync/runs`.
pub const SYNC_RUNS_PER_PAGE: u32 = 25;
/// The last page of runs a listing may ask for (a bound on the OFFSET D1 scans).
pub const MAX_SYNC_RUNS_PAGE: u32 = 10_000;

/// Deliveries a webhook endpoint's log shows by default, and at most (`limit`).
pub const DELIVERIES_SHOWN: u32 = 50;
/// See [`DELIVERIES_SHOWN`].
pub const MOST_DELIVERIES_SHOWN: u32 = 200;
/// The longest cursor (`after`) a keyset listing accepts, in bytes.
const MAX_CURSOR_BYTES: usize = 2_048;
/// The longest parameter name echoed back in a detail; longer names are cut.
const MAX_ECHOED_NAME_CHARS: usize = 40;

/// How `GET /api/v1/groups` pages.
pub const GROUP_PAGING: Paging =
    Paging { default_per_page: 100, max_per_page: 1_000, keyset: false };

/// How `GET /api/v1/groups/{id}/members` pages: by a cursor, because an OFFSET deep into a
/// group of 100,000 members would make D1 walk every member before it.
pub const MEMBER_PAGING: Paging = Paging { default_per_page: 50, max_per_page: 200, keyset: true };

/// How `GET /api/v1/users` and `GET /api/v1/invitations` page.
pub const PEOPLE_PAGING: Paging = Paging { default_per_page: 50, max_per_page: 200, keyset: false };

/// The sorts of `GET /api/v1/groups` (`sort=`).
pub const GROUP_SORTS: [&str; 5] = ["name", "-name", "members", "-members", "source"];

/// How a listing pages.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// Rows per page when `per_page` is absent.
    pub default_per_page: u32,
    /// The largest `per_page`.
    pub max_per_page: u32,
    /// `true`: pages follow a cursor (`after`); `false`: pages are numbered (`page`).
    pub keyset: bool,
}

/// A listing's query, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The search (`q`), empty when absent.
    pub search: String,
    /// The page (from 1) of a numbered listing; always 1 for a keyset listing.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Where a keyset page starts: after this row (decoded from `after`).
    pub after: Option<Cursor>,
}

impl Listing {
    /// The rows a numbered page skips.
    pub fn offset(&self) -> u32 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// Reads the query of `req` as a listing paged as `paging`; `own` is offered every other
/// parameter first and answers whether it took it (`sort`, …).
#[cfg(target_arch = "wasm32")]
pub(crate) fn listing(
    req: &worker::Request,
    paging: Paging,
    own: impl FnMut(&str, &str) -> Result<bool, ApiError>,
) -> Result<Listing, ApiError> {
    parse(&query_pairs(req)?, paging, own)
}

/// [`listing`] on query pairs: pure, so it is tested natively.
pub fn parse(
    pairs: &[(String, String)],
    paging: Paging,
    mut own: impl FnMut(&str, &str) -> Result<bool, ApiError>,
) -> Result<Listing, ApiError> {
    let mut listing =
        Listing { search: String::new(), page: 1, per_page: paging.default_per_page, after: None };
    refuse_repeated(pairs)?;
    for (name, value) in pairs {
        match name.as_str() {
            "q" => listing.search = search(value)?,
            "per_page" => {
                listing.per_page = number(value, 1, paging.max_per_page).ok_or_else(|| {
                    invalid_query(
                        "per_page",
                        format!("a number between 1 and {}", paging.max_per_page),
                    )
                })?;
            }
            "page" if !paging.keyset => {
                listing.page = number(value, 1, MAX_PAGE).ok_or_else(|| {
                    invalid_query("page", format!("a page number from 1 to {MAX_PAGE}"))
                })?;
            }
            "after" if paging.keyset => {
                listing.after = Some(Cursor::decode(value).ok_or_else(|| {
                    invalid_query(
                        "after",
                        "not a cursor of this listing: pass the next_after of the page before",
                    )
                })?);
            }
            other => {
                // A listing's own parameters are query parameters too, whatever error its
                // handler built.
                if !own(other, value).map_err(into_query_error)? {
                    return Err(not_a_parameter(other));
                }
            }
        }
    }
    Ok(listing)
}

/// Reads a search: within D1's `LIKE` pattern limit once its wildcards are escaped (bytes, not
/// characters: `é` is two), and without control characters (no name or email holds one).
fn search(value: &str) -> Result<String, ApiError> {
    let escaped = value.bytes().filter(|b| matches!(b, b'%' | b'_' | b'\\')).count();
    if value.len() + escaped > MAX_SEARCH_BYTES {
        return Err(invalid_query(
            "q",
            format!(
                "at most {MAX_SEARCH_BYTES} bytes (a letter such as é takes two, and % _ \\ \
                 count twice)"
            ),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid_query("q", "no control characters"));
    }
    Ok(value.to_owned())
}

/// The page of `GET /api/v1/sync/runs?page=`, at most `max_page`.
pub fn sync_runs_page(pairs: &[(String, String)], max_page: u32) -> Result<u32, ApiError> {
    refuse_repeated(pairs)?;
    let mut page = 1;
    for (name, value) in pairs {
        match name.as_str() {
            "page" => {
                page = number(value, 1, max_page).ok_or_else(|| {
                    invalid_query("page", format!("a page number from 1 to {max_page}"))
                })?;
            }
            other => return Err(not_a_parameter(other)),
        }
    }
    Ok(page)
}

/// The query of `GET /api/v1/audit` (and of its CSV export): paging and filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    /// Entries with a smaller id than this.
    pub before: Option<i64>,
    /// Entries per page.
    pub limit: u32,
    /// Which entries.
    pub filter: AuditFilter,
}

/// The largest entry id `before` accepts: ids are bound to D1 as JavaScript numbers, exact up
/// to 2^53 - 1.
const MAX_ENTRY_ID: i64 = (1 << 53) - 1;

/// Reads the audit log's query: its paging and its filters.
///
/// `limit` goes from 1 to `max_limit` (default `default_limit`); the filters are `target` and
/// `actor` (1 to `max_text_bytes` bytes), `action` (an action or an area of the ones core lists)
/// and the days `from` and `to`.
pub fn audit_query(
    pairs: &[(String, String)],
    default_limit: u32,
    max_limit: u32,
    max_text_bytes: usize,
) -> Result<AuditQuery, ApiError> {
    refuse_repeated(pairs)?;
    let mut query = AuditQuery { limit: default_limit, ..AuditQuery::default() };
    let text = |name: &str, value: &str| {
        if value.is_empty() || value.len() > max_text_bytes || value.chars().any(char::is_control) {
            return Err(invalid_query(name, format!("1 to {max_text_bytes} bytes of text")));
        }
        Ok(Some(value.to_owned()))
    };
    let day = |name: &str, value: &str| {
        calendar_day(value)
            .map(|d| Some(d.to_owned()))
            .ok_or_else(|| invalid_query(name, "a day written YYYY-MM-DD"))
    };
    for (name, value) in pairs {
        match name.as_str() {
            "before" => {
                query.before = Some(number(value, 1, MAX_ENTRY_ID).ok_or_else(|| {
                    invalid_query("before", "an entry id (the id of the last entry of a page)")
                })?);
            }
            "limit" => {
                query.limit = number(value, 1, max_limit).ok_or_else(|| {
                    invalid_query("limit", format!("a number between 1 and {max_limit}"))
                })?;
            }
            "target" => query.filter.target = text("target", value)?,
            "actor" => query.filter.actor = text("actor", value)?,
            "action" => {
                let filter = AuditActionFilter::parse(value).ok_or_else(|| {
                    let areas: Vec<&str> = AUDIT_AREAS.iter().map(|(area, _)| *area).collect();
                    invalid_query(
                        "action",
                        format!(
                            "an action such as group.roles_set, or one of {}",
                            areas.join(", ")
                        ),
                    )
                })?;
                query.filter.action = Some(filter);
            }
            "from" => query.filter.from = day("from", value)?,
            "to" => query.filter.to = day("to", value)?,
            other => return Err(not_a_parameter(other)),
        }
    }
    if let (Some(from), Some(to)) = (&query.filter.from, &query.filter.to)
        && to < from
    {
        return Err(invalid_query("to", format!("a day on or after from ({from})")));
    }
    Ok(query)
}

/// `value` when it is a day of the calendar written `YYYY-MM-DD` (so that, as text, days sort
/// as they follow each other and compare with the RFC 3339 times the log keeps).
fn calendar_day(value: &str) -> Option<&str> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes.get(range.clone()).filter(|d| d.iter().all(u8::is_ascii_digit))?;
        value[range].parse::<u32>().ok()
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some(value)
}

/// The query pairs of `req`. Percent-encodings that are not UTF-8 decode to U+FFFD, so every
/// value is text.
#[cfg(target_arch = "wasm32")]
pub(crate) fn query_pairs(req: &worker::Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req.url().map_err(|_| invalid_query("url", "unreadable"))?;
    Ok(url.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect())
}

/// A number from `min` to `max` written in plain decimal digits (no sign, no fraction, no
/// exponent: `+5`, `5.0` and `1e3` are refused rather than guessed at).
fn number<T: std::str::FromStr + PartialOrd>(value: &str, min: T, max: T) -> Option<T> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|n| *n >= min && *n <= max)
}

fn refuse_repeated(pairs: &[(String, String)]) -> Result<(), ApiError> {
    for (index, (name, _)) in pairs.iter().enumerate() {
        if pairs[..index].iter().any(|(seen, _)| seen == name) {
            return Err(invalid_query(&shown(name), "is given more than once"));
        }
    }
    Ok(())
}

fn not_a_parameter(name: &str) -> ApiError {
    invalid_query(&shown(name), "is not a parameter of this listing")
}

/// A bad query parameter `name`: see [`ApiError::invalid_query`].
pub fn invalid_query(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_query(name, message)
}

/// An `invalid_input` error (how handlers word a bad value) as the query error it is here.
fn into_query_error(error: ApiError) -> ApiError {
    match error {
        ApiError::Client { code: ProblemCode::InvalidInput, detail, field } => {
            ApiError::Client { code: ProblemCode::InvalidQuery, detail, field }
        }
        other => other,
    }
}

/// A parameter name as echoed in a detail: control characters escaped, cut when long, since
/// the caller chose it.
fn shown(name: &str) -> String {
    let mut shown: String =
        name.chars().take(MAX_ECHOED_NAME_CHARS).flat_map(char::escape_default).collect();
    if name.chars().count() > MAX_ECHOED_NAME_CHARS {
        shown.push('…');
    }
    shown
}

/// A keyset position: the sort key and the id of the last row of the page before. Sent as
/// opaque text, the hex of each part joined by a dot (only `[0-9a-f.]`: safe in a URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The row's sort key (e.g. its email, `""` when it has none).
    pub key: String,
    /// The row's id, which breaks ties of the key.
    pub id: String,
}

impl Cursor {
    /// The cursor as text.
    pub fn encode(&self) -> String {
        format!("{}.{}", hex(&self.key), hex(&self.id))
    }

    /// The cursor of `text`, if it is one.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() > MAX_CURSOR_BYTES {
            return None;
        }
        let (key, id) = text.split_once('.')?;
        let id = unhex(id)?;
        (!id.is_empty()).then_some(Self { key: unhex(key)?, id })
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2)
        || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NUMBERED: Paging = Paging { default_per_page: 50, max_per_page: 200, keyset: false };
    const KEYSET: Paging = Paging { default_per_page: 50, max_per_page: 200, keyset: true };

    fn query(pairs: &[(&str, &str)], paging: Paging) -> Result<Listing, String> {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        parse(&pairs, paging, |name, _| Ok(name == "sort")).map_err(|e| e.to_string())
    }

    #[test]
    fn an_empty_query_is_the_first_page_of_the_default_size() {
        let listing = query(&[], NUMBERED).unwrap();
        assert_eq!((listing.search.as_str(), listing.page, listing.per_page), ("", 1, 50));
        assert_eq!(listing.offset(), 0);
    }

    #[test]
    fn pages_sizes_and_searches_are_read() {
        let listing =
            query(&[("page", "3"), ("per_page", "200"), ("q", "ann"), ("sort", "x")], NUMBERED)
                .unwrap();
        assert_eq!((listing.page, listing.per_page, listing.offset()), (3, 200, 400));
        assert_eq!(listing.search, "ann");
    }

    #[test]
    fn out_of_range_and_unreadable_numbers_name_the_parameter() {
        for (name, value) in
            [("per_page", "0"), ("per_page", "201"), ("per_page", "x"), ("per_page", "-1")]
        {
            let error = query(&[(name, value)], NUMBERED).unwrap_err();
            assert!(error.contains("per_page: a number between 1 and 200"), "{error}");
        }
        for value in ["0", "100001", "1.5", ""] {
            let error = query(&[("page", value)], NUMBERED).unwrap_err();
            assert!(error.starts_with("page: "), "{error}");
        }
    }

    #[test]
    fn unknown_repeated_and_foreign_parameters_are_refused() {
        assert!(query(&[("limit", "5")], NUMBERED).unwrap_err().contains("limit: is not"));
        let twice = query(&[("per_page", "5"), ("per_page", "6")], NUMBERED).unwrap_err();
        assert!(twice.contains("per_page: is given more than once"), "{twice}");
        // Each listing pages one way.
        assert!(query(&[("after", "61.62")], NUMBERED).unwrap_err().contains("after: is not"));
        assert!(query(&[("page", "2")], KEYSET).unwrap_err().contains("page: is not"));
    }

    fn code(result: Result<impl std::fmt::Debug, ApiError>) -> (u16, String) {
        let problem = result.unwrap_err().to_problem();
        (problem.status, problem.code)
    }

    #[test]
    fn every_query_mistake_is_a_400_invalid_query() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
        };
        let bad = (400, "invalid_query".to_owned());
        let sort = |name: &str, value: &str| {
            if name != "sort" {
                return Ok(false);
            }
            if value == "name" { Ok(true) } else { Err(ApiError::invalid("sort", "one of name")) }
        };
        assert_eq!(code(parse(&pairs(&[("sort", "size")]), NUMBERED, sort)), bad, "own params");
        assert_eq!(code(parse(&pairs(&[("x", "1")]), NUMBERED, sort)), bad);
        assert_eq!(code(sync_runs_page(&pairs(&[("page", "0")]), 10)), bad);
        assert_eq!(code(sync_runs_page(&pairs(&[("page", "1"), ("page", "2")]), 10)), bad);
        assert_eq!(sync_runs_page(&pairs(&[("page", "10")]), 10).unwrap(), 10);
        for audit in [&[("limit", "0")][..], &[("before", "-1")], &[("target", "")], &[("y", "")]] {
            assert_eq!(code(audit_query(&pairs(audit), 50, 200, 320)), bad, "{audit:?}");
        }
        let read = audit_query(&pairs(&[("before", "9"), ("target", "t")]), 50, 200, 320).unwrap();
        let filter = AuditFilter { target: Some("t".into()), ..AuditFilter::default() };
        let expected = AuditQuery { before: Some(9), limit: 50, filter };
        assert_eq!(read, expected);
    }

    #[test]
    fn audit_filters_take_known_actions_real_days_and_a_range_in_order() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
        };
        let read = audit_query(
            &pairs(&[
                ("actor", "Ann"),
                ("action", "group"),
                ("from", "2024-02-29"),
                ("to", "2024-03-01"),
            ]),
            50,
            200,
            320,
        )
        .unwrap();
        let AuditFilter { actor, action, from, to, .. } = read.filter;
        assert_eq!(actor.as_deref(), Some("Ann"));
        assert_eq!(action, Some(AuditActionFilter::Area("group")));
        assert_eq!((from.as_deref(), to.as_deref()), (Some("2024-02-29"), Some("2024-03-01")));
        let bad = (400, "invalid_query".to_owned());
        for filter in [
            &[("action", "group.deleted")][..],
            &[("action", "")],
            &[("from", "2023-02-29")],
            &[("from", "2024-13-01")],
            &[("to", "2024-1-01")],
            &[("to", "2024-01-01T00:00:00Z")],
            &[("from", "２０２４-01-01")],
            &[("actor", "a\nb")],
            &[("from", "2024-03-02"), ("to", "2024-03-01")],
        ] {
            assert_eq!(code(audit_query(&pairs(filter), 50, 200, 320)), bad, "{filter:?}");
        }
    }

    #[test]
    fn numbers_are_plain_digits_in_range() {
        for value in ["", "+5", "-5", "5.0", "1e3", " 5", "5 ", "0x10", "NaN", "inf", "٥", "5\0"] {
            assert_eq!(number(value, 1_u32, 100), None, "{value:?}");
        }
        assert_eq!(number("99999999999999999999999", 1_u32, 100), None);
        assert_eq!(number("9007199254740992", 1, MAX_ENTRY_ID), None, "2^53 is not exact");
        assert_eq!(number("007", 1_u32, 100), Some(7));
    }

    #[test]
    fn a_search_fits_d1s_like_pattern_limit_in_bytes() {
        let fits = "a".repeat(MAX_SEARCH_BYTES);
        assert_eq!(query(&[("q", &fits)], NUMBERED).unwrap().search, fits);
        // 24 two-byte letters fit (48 bytes); 25 do not, though 25 characters are few.
        assert!(query(&[("q", &"é".repeat(24))], NUMBERED).is_ok());
        let error = query(&[("q", &"é".repeat(25))], NUMBERED).unwrap_err();
        assert!(error.starts_with("q: at most 48 bytes"), "{error}");
        assert!(query(&[("q", &"a".repeat(MAX_SEARCH_BYTES + 1))], NUMBERED).is_err());
        // Escaped wildcards take two bytes of the pattern.
        assert!(query(&[("q", &"%".repeat(24))], NUMBERED).is_ok());
        assert!(query(&[("q", &"_".repeat(25))], NUMBERED).is_err());
        for control in ["a\0b", "\t", "\u{7f}", "\u{85}"] {
            let error = query(&[("q", control)], NUMBERED).unwrap_err();
            assert!(error.contains("q: no control characters"), "{control:?}: {error}");
        }
        assert!(query(&[("q", "\u{202e}\u{200b}😀<script>' OR 1=1 --")], NUMBERED).is_ok());
    }

    #[test]
    fn names_chosen_by_the_caller_are_echoed_escaped_and_cut() {
        let name = format!("\u{0}{}", "n".repeat(100));
        let error = query(&[(&name, "1")], NUMBERED).unwrap_err();
        assert!(error.starts_with("\\u{0}nnn"), "{error}");
        assert!(error.contains("…: is not a parameter"), "{error}");
        assert!(error.len() < 120, "{error}");
    }

    #[test]
    fn a_cursor_survives_the_round_trip_and_garbage_is_refused() {
        let cursor = Cursor { key: "ann.lee+x@exämple.com".into(), id: "00u1".into() };
        let text = cursor.encode();
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.'), "{text}");
        assert_eq!(Cursor::decode(&text), Some(cursor));
        let no_email = Cursor { key: String::new(), id: "00u2".into() };
        assert_eq!(Cursor::decode(&no_email.encode()), Some(no_email));
        let listing = query(&[("after", &text)], KEYSET).unwrap();
        assert_eq!(listing.after.map(|c| c.id), Some("00u1".to_owned()));
        for garbage in ["", "zz", "61", "6.61", "61.", "61.6G", "ff.61", "61.ABCD"] {
            assert_eq!(Cursor::decode(garbage), None, "{garbage}");
            let error = query(&[("after", garbage)], KEYSET).unwrap_err();
            assert!(error.contains("after: not a cursor"), "{error}");
        }
        assert_eq!(Cursor::decode(&"6".repeat(MAX_CURSOR_BYTES + 2)), None);
    }
}
