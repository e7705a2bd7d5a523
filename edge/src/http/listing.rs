//! The query of every paged listing, read and validated in one place.
//!
//! `?q=&page=&per_page=&after=` and a listing's own parameters such as `sort`: each parameter at
//! most once, none unknown, numbers in range. A mistake is an `invalid_input` problem (422, as for a body) whose
//! detail names the parameter and what it accepts.

use crate::error::ApiError;

/// The longest search (`q`), in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The last page a numbered listing may ask for (a bound on the OFFSET D1 scans).
pub const MAX_PAGE: u32 = 100_000;
/// The longest cursor (`after`) a keyset listing accepts, in bytes.
const MAX_CURSOR_BYTES: usize = 2_048;

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
    let url = req.url().map_err(|_| ApiError::invalid("url", "unreadable"))?;
    let pairs: Vec<(String, String)> =
        url.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    parse(&pairs, paging, own)
}

/// [`listing`] on query pairs: pure, so it is tested natively.
pub fn parse(
    pairs: &[(String, String)],
    paging: Paging,
    mut own: impl FnMut(&str, &str) -> Result<bool, ApiError>,
) -> Result<Listing, ApiError> {
    let mut listing =
        Listing { search: String::new(), page: 1, per_page: paging.default_per_page, after: None };
    for (index, (name, value)) in pairs.iter().enumerate() {
        if pairs[..index].iter().any(|(seen, _)| seen == name) {
            return Err(ApiError::invalid(name, "is given more than once"));
        }
        match name.as_str() {
            "q" => {
                if value.chars().count() > MAX_SEARCH_CHARS {
                    return Err(ApiError::invalid(
                        "q",
                        format!("at most {MAX_SEARCH_CHARS} characters"),
                    ));
                }
                listing.search = value.clone();
            }
            "per_page" => {
                listing.per_page = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=paging.max_per_page).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "per_page",
                            format!("a number between 1 and {}", paging.max_per_page),
                        )
                    })?;
            }
            "page" if !paging.keyset => {
                listing.page =
                    value.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| {
                        ApiError::invalid("page", format!("a page number from 1 to {MAX_PAGE}"))
                    })?;
            }
            "after" if paging.keyset => {
                listing.after = Some(Cursor::decode(value).ok_or_else(|| {
                    ApiError::invalid(
                        "after",
                        "not a cursor of this listing: pass the next_after of the page before",
                    )
                })?);
            }
            other => {
                if !own(other, value)? {
                    return Err(ApiError::invalid(other, "is not a parameter of this listing"));
                }
            }
        }
    }
    Ok(listing)
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
        let long = "a".repeat(MAX_SEARCH_CHARS + 1);
        assert!(query(&[("q", &long)], NUMBERED).unwrap_err().contains("q: at most 200"));
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
