//! Search keys of names: lower-cased NFC words, plus copies without
//! diacritics and without apostrophes where they differ, so "sahin" finds
//! "Şahin", "toxtayev" and "to'xtayev" find "Toʻxtayev", and "Петр" finds
//! "Петров". Keys compare bytewise, so a prefix matches the same way in any
//! script (`name_index` keeps them in a sorted map).
//!
//! What a desk types goes through the same steps: it is split into words
//! where names are split (spaces, hyphens, commas...), and a person matches
//! when every typed word begins one of their keys, in any order.

use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

/// Most words a typed search may have.
pub const MAX_TYPED_WORDS: usize = 8;

/// The canonical apostrophe keys are written with.
const APOSTROPHE: char = '\'';

/// Marks that people type, or that names are written with, for an
/// apostrophe-like letter: the ASCII apostrophe and backtick, the acute
/// accent, typographic quotes, the modifier letters of Uzbek (ʻ U+02BB),
/// Ukrainian (ʼ U+02BC), Hawaiian ʻokina, Arabic and Hebrew
/// transliteration (ʾ ʿ), primes, Armenian and full-width apostrophes.
pub fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{00B4}'
            | '\u{02B9}'
            | '\u{02BB}'
            | '\u{02BC}'
            | '\u{02BD}'
            | '\u{02BE}'
            | '\u{02BF}'
            | '\u{02C8}'
            | '\u{055A}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201B}'
            | '\u{2032}'
            | '\u{A78B}'
            | '\u{A78C}'
            | '\u{FF07}'
    )
}

/// Where names (and what is typed) split into words: spaces, hyphens and
/// dashes of any script, and punctuation that separates parts of a name.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{00AD}' | '\u{058A}' | '\u{05BE}' | '\u{1400}' | '\u{1806}' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2E3A}'
                    | '\u{2E3B}'
                    | '\u{30A0}'
                    | '\u{FE58}'
                    | '\u{FE63}'
                    | '\u{FF0D}'
                    | '\u{2212}'
                    | ','
                    | '\u{060C}'
                    | '\u{3001}'
                    | '\u{FF0C}'
                    | '.'
                    | '\u{3002}'
                    | ';'
                    | ':'
                    | '/'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '"'
                    | '\u{00AB}'
                    | '\u{00BB}'
                    | '\u{201C}'
                    | '\u{201D}'
                    | '\u{201E}'
                    | '\u{30FB}'
                    | '\u{00B7}'
        )
}

/// Lower-cased NFC form of a whole name: the sort key.
pub fn sort_key(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    super::validate::nfc(name).to_lowercase()
}

/// The words of a name or of typed text: lower-cased, NFC, every
/// apostrophe-like mark written as `'`.
fn words(text: &str) -> Vec<String> {
    let lowered = sort_key(text);
    let canonical: String = if lowered.chars().any(|c| is_apostrophe(c) && c != APOSTROPHE) {
        lowered
            .chars()
            .map(|c| if is_apostrophe(c) { APOSTROPHE } else { c })
            .collect()
    } else {
        lowered
    };
    canonical
        .split(is_separator)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
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

/// The word without its apostrophes, or `None` when it has none (or is
/// nothing else).
fn unquote(word: &str) -> Option<String> {
    if !word.contains(APOSTROPHE) {
        return None;
    }
    let bare: String = word.chars().filter(|c| *c != APOSTROPHE).collect();
    (!bare.is_empty()).then_some(bare)
}

/// Every key under which a participant with these names is found: each
/// word, and its forms without diacritics and without apostrophes.
pub fn name_keys<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    };
    for name in names {
        for word in words(name) {
            let folded = fold(&word);
            let bare = unquote(&word);
            push(word);
            if let Some(folded) = folded {
                push(folded);
            }
            if let Some(bare) = bare {
                if let Some(both) = fold(&bare) {
                    push(both);
                }
                push(bare);
            }
        }
    }
    // A key that begins another key of the same person is not needed: every
    // prefix of "ann" is also a prefix of "anna", so the person is found
    // under the longer key alone.
    let all = keys.clone();
    keys.retain(|k| {
        !all.iter()
            .any(|other| other.len() > k.len() && other.starts_with(k.as_str()))
    });
    keys
}

/// What the user typed, as words each of which must begin a key; `None`
/// when nothing was typed. Typed text made only of separators gives no
/// words: it matches nobody.
pub fn typed_words(typed: &str) -> Option<Vec<String>> {
    if typed.trim().is_empty() {
        return None;
    }
    let mut found: Vec<String> = Vec::new();
    for word in words(typed) {
        if !found.contains(&word) {
            found.push(word);
        }
    }
    Some(found)
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

/// The LIKE pattern that matches sort keys starting with what the user
/// typed (trimmed, lower-cased, NFC). Returns `None` when nothing
/// searchable was typed.
pub fn prefix_pattern(typed: &str) -> Option<String> {
    let lowered = sort_key(typed.trim());
    (!lowered.is_empty()).then(|| like_pattern(&lowered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(keys: &[String], typed: &str) -> bool {
        typed_words(typed).is_some_and(|words| {
            !words.is_empty()
                && words
                    .iter()
                    .all(|w| keys.iter().any(|k| k.starts_with(w.as_str())))
        })
    }

    #[test]
    fn keys_cover_words_and_folded_forms() {
        let keys = name_keys(["Ahmet", "Şahin", "Ахмет Шахин"]);
        for key in ["ahmet", "şahin", "sahin", "ахмет", "шахин"] {
            assert!(keys.contains(&key.to_owned()), "{key} in {keys:?}");
        }
        assert_eq!(keys.len(), 5, "{keys:?}");
    }

    #[test]
    fn a_key_that_begins_another_is_dropped() {
        assert_eq!(
            name_keys(["Mohammed", "Al Mansouri"]),
            ["mohammed", "al", "mansouri"]
        );
        assert_eq!(name_keys(["Ann", "Anna"]), ["anna"]);
    }

    #[test]
    fn every_typed_word_must_begin_a_key_in_any_order() {
        let keys = name_keys(["Ivan", "Petrov", "Иван Петров"]);
        for typed in [
            "и",
            "ив",
            "иван",
            "иван п",
            "петров иван",
            "pet",
            "iv",
            "ivan pe",
        ] {
            assert!(matches(&keys, typed), "{typed}");
        }
        for typed in ["ivanov", "ivan x", "петров иванов"] {
            assert!(!matches(&keys, typed), "{typed}");
        }
    }

    #[test]
    fn hyphenated_names_are_found_typed_whole_or_in_part() {
        let keys = name_keys(["Claude", "Lévy-Strauss"]);
        for typed in [
            "Lévy-Strauss",
            "Lévy-S",
            "levy-str",
            "strauss",
            "LÉVY",
            "claude lévy-s",
        ] {
            assert!(matches(&keys, typed), "{typed}");
        }
        let keys = name_keys(["Jae-won", "Kim", "김재원"]);
        for typed in ["Jae-won", "jae-w", "jae won", "won", "kim jae-"] {
            assert!(matches(&keys, typed), "{typed}");
        }
        let keys = name_keys(["Kuzma", "Petrov-Vodkin", "Кузьма Петрова-Водкина"]);
        for typed in ["Петрова-Водкина", "петрова-вод", "Водкина", "petrov-v"]
        {
            assert!(matches(&keys, typed), "{typed}");
        }
        // Other dashes split too.
        assert!(matches(&name_keys(["Anna–Lena"]), "anna-lena"));
        assert_eq!(name_keys(["Anna-Lena"]), ["anna", "lena"]);
    }

    #[test]
    fn apostrophe_letters_are_found_however_they_are_typed() {
        for written in [
            "Toʻxtayev",
            "To'xtayev",
            "To‘xtayev",
            "To’xtayev",
            "To`xtayev",
        ] {
            let keys = name_keys(["Gʻayrat", written]);
            for typed in [
                "Toʻxtayev",
                "To'xtayev",
                "To‘xtayev",
                "To’xtayev",
                "To`xtayev",
                "Toxtayev",
                "to'x",
                "tox",
                "g'ayrat",
                "gayrat",
                "gʻay",
            ] {
                assert!(matches(&keys, typed), "{typed} for {written}: {keys:?}");
            }
        }
        // Ukrainian (U+02BC), Hawaiian ʻokina, Arabic transliteration (ʿ).
        let keys = name_keys(["Мар\u{2BC}яна", "Kaʻahumanu", "Saʿid"]);
        for typed in [
            "мар'яна",
            "марʼя",
            "марян",
            "ka'ahu",
            "kaahumanu",
            "sa'id",
            "said",
            "Sa’id",
        ] {
            assert!(matches(&keys, typed), "{typed}: {keys:?}");
        }
        // A lone apostrophe is not a name.
        assert!(!matches(&keys, "'"));
    }

    #[test]
    fn ascii_and_other_scripts_get_the_same_treatment() {
        assert_eq!(sort_key("McDonald O'Neil"), "mcdonald o'neil");
        assert_eq!(sort_key("ÇELİK"), "çeli̇k");
        // Decomposed input is composed first: "é" as e + U+0301.
        assert_eq!(sort_key("Jose\u{301}"), "josé");
        assert_eq!(name_keys(["Jose\u{301}"]), ["josé", "jose"]);
        assert_eq!(name_keys(["王伟"]), ["王伟"]);
        assert_eq!(name_keys(["O'Neil"]), ["o'neil", "oneil"]);
    }

    #[test]
    fn typed_text_of_separators_only_matches_nobody() {
        assert_eq!(typed_words("  "), None);
        assert_eq!(typed_words(" - , "), Some(Vec::new()));
        assert_eq!(typed_words("Ivan ivan IVAN"), Some(vec!["ivan".to_owned()]));
    }

    #[test]
    fn pattern_escapes_wildcards() {
        assert_eq!(prefix_pattern(" Pe%"), Some("pe\\%%".to_owned()));
        assert_eq!(prefix_pattern("  "), None);
        assert_eq!(prefix_pattern("ПЕТ"), Some("пет%".to_owned()));
    }
}
