//! Search keys of names: lower-cased NFC words, plus a copy without
//! diacritics where it differs, so "sahin" finds "Şahin" and "Петр" finds
//! "Петров". Keys compare bytewise (PostgreSQL's C collation), so a prefix is
//! an index range in any script.

use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

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
    keys
}

/// What keys must start with to match what the user typed (trimmed,
/// lower-cased, NFC), or `None` when nothing searchable was typed.
pub fn typed_prefix(typed: &str) -> Option<String> {
    let lowered = sort_key(typed.trim());
    (!lowered.is_empty()).then_some(lowered)
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
    fn pattern_escapes_wildcards() {
        assert_eq!(prefix_pattern(" Pe%"), Some("pe\\%%".to_owned()));
        assert_eq!(prefix_pattern("  "), None);
        assert_eq!(prefix_pattern("ПЕТ"), Some("пет%".to_owned()));
    }
}
