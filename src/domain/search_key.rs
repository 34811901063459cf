//! Search keys of names: lower-cased NFC words, plus a copy without
//! diacritics where it differs, so "sahin" finds "Şahin" and "Петр" finds
//! "Петров". PostgreSQL keeps a participant's keys in a `tsvector` and
//! compares them bytewise, so a prefix matches the same way in any script.

use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};
use uuid::Uuid;

/// Lower-cased NFC form of a whole name: the sort key.
pub fn sort_key(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    super::validate::nfc(name).to_lowercase()
}

/// The word with diacritics removed (NFD, combining marks dropped), or
/// `None` when it has none to remove.
fn fold(word: &str) -> Option<String> {
    if word.is_ascii() {
        return None;
    }
    let folded: String = word
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect();
    (folded != word).then_some(folded)
}

/// Every key under which a participant with these names is found.
pub fn name_keys<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut keys = Vec::new();
    for name in names {
        let lowered = sort_key(name);
        let mut push = |k: String| {
            if !k.is_empty() && !keys.contains(&k) {
                keys.push(k);
            }
        };
        for word in lowered.split(|c: char| c.is_whitespace() || c == '-' || c == ',') {
            push(word.to_owned());
            if let Some(folded) = fold(word) {
                push(folded);
            }
        }
        // The whole name too, so "ivan pe" can match "Ivan Petrov" typed as
        // one string, and names in scripts written without spaces.
        if lowered.contains(char::is_whitespace) {
            push(lowered.clone());
        }
    }
    // A key that begins another key of the same person is not needed: every
    // prefix of "al" is also a prefix of "al mansouri", so the person is
    // found under the longer key alone. This drops the first word of every
    // name of several words, and every prefix still finds the same people.
    let all = keys.clone();
    keys.retain(|k| {
        !all.iter()
            .any(|other| other.len() > k.len() && other.starts_with(k.as_str()))
    });
    keys
}

/// What keys must start with to match what the user typed (trimmed,
/// lower-cased, NFC), or `None` when nothing searchable was typed.
pub fn typed_prefix(typed: &str) -> Option<String> {
    let lowered = sort_key(typed.trim());
    (!lowered.is_empty()).then_some(lowered)
}

/// The keys of a participant of `event` as a `tsvector` literal. Each
/// lexeme is the event id (32 hex digits), a space and the key, quoted
/// whole so that PostgreSQL stores it as written (no parsing, no stemming;
/// backslashes and quotes escaped by a backslash). The event in front keeps
/// each event's keys together in the index, as the event id did in front
/// of the key table's keys: a prefix reads its own event's matches only.
pub fn terms_literal(event: Uuid, keys: &[String]) -> String {
    let event = event.simple().to_string();
    let mut literal = String::with_capacity(keys.iter().map(|k| k.len() + 36).sum());
    for key in keys {
        if !literal.is_empty() {
            literal.push(' ');
        }
        push_quoted(&mut literal, &event, key);
    }
    literal
}

/// The `tsquery` literal matching every key of `event` that starts with
/// `prefix`.
pub fn prefix_query(event: Uuid, prefix: &str) -> String {
    let mut query = String::with_capacity(prefix.len() + 38);
    push_quoted(&mut query, &event.simple().to_string(), prefix);
    query.push_str(":*");
    query
}

fn push_quoted(out: &mut String, event: &str, key: &str) {
    out.push('\'');
    out.push_str(event);
    out.push(' ');
    for c in key.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

/// The LIKE pattern of keys starting with `prefix` (wildcards escaped).
pub fn like_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The LIKE pattern that matches keys starting with what the user typed.
/// Returns `None` when nothing searchable was typed.
pub fn prefix_pattern(typed: &str) -> Option<String> {
    typed_prefix(typed).map(|prefix| like_pattern(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cover_words_and_folded_forms() {
        let keys = name_keys(["Ahmet", "Şahin", "Ахмет Шахин"]);
        assert!(keys.contains(&"şahin".to_owned()));
        assert!(keys.contains(&"sahin".to_owned()));
        assert!(keys.contains(&"шахин".to_owned()));
        assert!(keys.contains(&"ахмет шахин".to_owned()));
        // "ахмет" begins "ахмет шахин": the longer key finds the same people.
        assert!(!keys.contains(&"ахмет".to_owned()));
    }

    #[test]
    fn a_key_that_begins_another_is_dropped() {
        assert_eq!(
            name_keys(["Mohammed", "Al Mansouri"]),
            ["mohammed", "mansouri", "al mansouri"]
        );
        // Each prefix of a dropped key still matches a kept one.
        let kept = name_keys(["Ivan", "Petrov", "Иван Петров"]);
        for typed in ["и", "ив", "иван", "иван п", "pet", "iv"] {
            assert!(kept.iter().any(|k| k.starts_with(typed)), "{typed}");
        }
        assert_eq!(name_keys(["Ann", "Anna"]), ["anna"]);
    }

    #[test]
    fn ascii_and_other_scripts_get_the_same_treatment() {
        assert_eq!(sort_key("McDonald O'Neil"), "mcdonald o'neil");
        assert_eq!(sort_key("ÇELİK"), "çeli̇k");
        // Decomposed input is composed first: "é" as e + U+0301.
        assert_eq!(sort_key("Jose\u{301}"), "josé");
        assert_eq!(name_keys(["Jose\u{301}"]), ["josé", "jose"]);
        assert_eq!(name_keys(["Anna-Lena"]), ["anna", "lena"]);
        assert_eq!(name_keys(["王伟"]), ["王伟"]);
    }

    #[test]
    fn literals_quote_every_key_whole_behind_the_event() {
        let event = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let e = "0123456789abcdef0123456789abcdef";
        let keys = [
            "o'neil".to_owned(),
            "a\\b".to_owned(),
            "иван петров".to_owned(),
        ];
        assert_eq!(
            terms_literal(event, &keys),
            format!("'{e} o\\'neil' '{e} a\\\\b' '{e} иван петров'")
        );
        assert_eq!(terms_literal(event, &[]), "");
        assert_eq!(prefix_query(event, "o'n"), format!("'{e} o\\'n':*"));
        assert_eq!(prefix_query(event, "王"), format!("'{e} 王':*"));
    }

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(prefix_pattern(" Pe%"), Some("pe\\%%".to_owned()));
        assert_eq!(prefix_pattern("  "), None);
        assert_eq!(prefix_pattern("ПЕТ"), Some("пет%".to_owned()));
    }
}
