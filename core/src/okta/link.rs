//! Reading the `next` URL out of `Link` headers (RFC 8288) as Okta sends them: `self` and `next`
//! on separate header lines, or joined into one value with commas (as Workers' `Headers.get`
//! joins repeated headers).

/// The target of the first `rel="next"` link among the given `Link` header values.
pub(crate) fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    values.into_iter().flat_map(split_links).find_map(|link| {
        let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
        params.split(';').any(is_next_rel).then_some(target)
    })
}

/// Splits one header value into links at the commas outside `<…>` (URLs may hold commas).
fn split_links(value: &str) -> Vec<&str> {
    let mut links = Vec::new();
    let mut in_target = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            '<' => in_target = true,
            '>' => in_target = false,
            ',' if !in_target => {
                links.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    links.push(&value[start..]);
    links
}

/// Whether a link parameter is `rel=next`, quoted or not, possibly among other relation types.
fn is_next_rel(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else { return false };
    name.trim().eq_ignore_ascii_case("rel")
        && value
            .trim()
            .trim_matches('"')
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("next"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SELF: &str = r#"<https://acme.okta.com/api/v1/groups?limit=200>; rel="self""#;
    const NEXT: &str = r#"<https://acme.okta.com/api/v1/groups?after=00g2&limit=200>; rel="next""#;

    #[test]
    fn next_is_found_on_its_own_header_line() {
        assert_eq!(
            next_link([SELF, NEXT]),
            Some("https://acme.okta.com/api/v1/groups?after=00g2&limit=200")
        );
    }

    #[test]
    fn next_is_found_in_a_comma_joined_value() {
        let joined = format!("{SELF}, {NEXT}");
        assert_eq!(
            next_link([joined.as_str()]),
            Some("https://acme.okta.com/api/v1/groups?after=00g2&limit=200")
        );
    }

    #[test]
    fn only_self_means_the_last_page() {
        assert_eq!(next_link([SELF]), None);
        assert_eq!(next_link([]), None);
    }

    #[test]
    fn unquoted_and_multi_valued_rels_count() {
        assert_eq!(next_link(["<https://a/x>; rel=next"]), Some("https://a/x"));
        assert_eq!(next_link([r#"<https://a/y>; REL="prev next""#]), Some("https://a/y"));
        assert_eq!(next_link([r#"<https://a/z>; rel="nextpage""#]), None);
    }

    #[test]
    fn commas_inside_the_target_do_not_split_it() {
        let value =
            r#"<https://a/x?filter=a,b>; rel="self", <https://a/x?filter=a,b&after=2>; rel="next""#;
        assert_eq!(next_link([value]), Some("https://a/x?filter=a,b&after=2"));
    }
}
