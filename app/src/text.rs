//! Text for people: Okta-sourced names made visibly inert, and times made readable. Pure, so it
//! is tested natively.

/// Okta text (group names, descriptions) as it is shown.
///
/// Every invisible or direction-changing character becomes a visible `⟨U+XXXX⟩`, so that no
/// name can hide characters or reverse the text around it to impersonate another group. Markup
/// needs no escaping here: the screens only ever render text nodes.
pub fn inert(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            shown.push_str(&format!("⟨U+{:04X}⟩", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Characters that render as nothing, or change the direction of the text around them.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'               // soft hyphen
                | '\u{061C}'         // Arabic letter mark
                | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
                | '\u{180E}'         // Mongolian vowel separator
                | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
                | '\u{202A}'..='\u{202E}' // embeddings and overrides
                | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                | '\u{2066}'..='\u{2069}' // isolates
                | '\u{206A}'..='\u{206F}' // deprecated format characters
                | '\u{FEFF}'         // zero-width no-break space
                | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
                | '\u{E0000}'..='\u{E007F}' // tags
        )
}

/// An RFC 3339 UTC time of the API (`2026-11-28T21:40:10.123Z`) as `2026-11-28 21:40 UTC`;
/// anything else is shown as it came.
pub fn when(iso: &str) -> String {
    match (iso.get(..10), iso.get(10..11), iso.get(11..16)) {
        (Some(date), Some("T"), Some(time)) if iso.ends_with('Z') => format!("{date} {time} UTC"),
        _ => iso.to_owned(),
    }
}

/// `1 group`, `2 groups`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub use groupsync_core::domain::thousands;

/// Which rows of a paged list are shown: `Showing 51–100 of 25,000 members`.
pub fn showing(first: u64, shown: u64, total: u64, noun: &str) -> String {
    let last = (first + shown).saturating_sub(1);
    format!("Showing {}–{} of {} {noun}", thousands(first), thousands(last), thousands(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_and_markup_are_shown_as_they_are() {
        assert_eq!(inert("Engineering"), "Engineering");
        assert_eq!(inert("<img src=x onerror=alert(1)>"), "<img src=x onerror=alert(1)>");
        assert_eq!(inert("Ventes – Île-de-France 日本"), "Ventes – Île-de-France 日本");
    }

    #[test]
    fn bidi_overrides_and_zero_width_characters_become_visible() {
        assert_eq!(inert("Admins\u{202E}nimdA"), "Admins⟨U+202E⟩nimdA");
        assert_eq!(inert("IT\u{200B}Admins"), "IT⟨U+200B⟩Admins");
        assert_eq!(inert("a\u{2067}b\u{2069}"), "a⟨U+2067⟩b⟨U+2069⟩");
        assert_eq!(inert("x\u{FEFF}\u{E0041}"), "x⟨U+FEFF⟩⟨U+E0041⟩");
        assert_eq!(inert("tab\there\nline"), "tab⟨U+0009⟩here⟨U+000A⟩line");
    }

    #[test]
    fn two_names_that_look_alike_stay_distinguishable() {
        assert_ne!(inert("IT Admins"), inert("IT Admins\u{200D}"));
    }

    #[test]
    fn api_times_read_as_minutes_in_utc() {
        assert_eq!(when("2026-11-28T21:40:10.123Z"), "2026-11-28 21:40 UTC");
        assert_eq!(when("2026-11-28T21:40:10Z"), "2026-11-28 21:40 UTC");
        assert_eq!(when("yesterday"), "yesterday");
        assert_eq!(when(""), "");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "group", "groups"), "1 group");
        assert_eq!(count(0, "group", "groups"), "0 groups");
    }

    #[test]
    fn pages_say_which_rows_they_show_with_thousands_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(25_000), "25,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(showing(1, 50, 25_000, "members"), "Showing 1–50 of 25,000 members");
        assert_eq!(showing(1_001, 1, 1_001, "members"), "Showing 1,001–1,001 of 1,001 members");
    }
}
