//! Dutch text matching: case and diacritics folding, a light stemmer, and tokenising.

/// Lower case without diacritics: "Café" → "cafe", "Oüdë" → "oude".
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        };
        out.push(folded);
    }
    out
}

/// The folded words of a text, split on anything that is not a letter or digit.
pub fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    fold_split(s)
}

fn fold_split(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// A light Dutch stemmer, enough for plurals and the spelling changes they bring:
/// "bibliotheken" and "bibliotheek" → "bibliothek"; "cursussen" and "cursus" → "cursus";
/// "ouders" → "ouder"; "mogelijkheden" → "mogelijkheid". Input must be folded.
pub fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    if w.len() <= 3 || !w.is_ascii() {
        return w;
    }
    if let Some(base) = w.strip_suffix("heden") {
        return format!("{base}heid");
    }
    if w.len() > 4 && w.ends_with("en") {
        w.truncate(w.len() - 2);
        undouble_consonant(&mut w);
    } else if w.ends_with('s') && !w.ends_with("ss") {
        let before = w.as_bytes()[w.len() - 2];
        if b"rlnmejbpkgdtfw".contains(&before) {
            w.truncate(w.len() - 1);
        }
    } else if w.len() > 4 && w.ends_with('e') && !w.ends_with("ee") {
        w.truncate(w.len() - 1);
        undouble_consonant(&mut w);
    }
    undouble_vowel(&mut w);
    w
}

/// "less" → "les": a doubled final consonant comes from a short vowel before a suffix.
fn undouble_consonant(w: &mut String) {
    let b = w.as_bytes();
    let n = b.len();
    if n >= 3 && b[n - 1] == b[n - 2] && !is_vowel(b[n - 1]) {
        w.truncate(n - 1);
    }
}

/// "theek" → "thek": a long vowel is written double only in a closed syllable.
fn undouble_vowel(w: &mut String) {
    let b = w.as_bytes();
    let n = b.len();
    if n >= 4
        && !is_vowel(b[n - 1])
        && is_vowel(b[n - 2])
        && b[n - 2] == b[n - 3]
        && b[n - 2] != b'i'
    {
        w.remove(n - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_diacritics() {
        assert_eq!(fold("Café Ëxtra"), "cafe extra");
        assert_eq!(
            words("Jeugd- en Gezinscoach (CJG)").collect::<Vec<_>>(),
            ["jeugd", "en", "gezinscoach", "cjg"]
        );
    }

    #[test]
    fn plurals_and_singulars_share_a_stem() {
        for (a, b) in [
            ("bibliotheken", "bibliotheek"),
            ("cursussen", "cursus"),
            ("ouders", "ouder"),
            ("mogelijkheden", "mogelijkheid"),
            ("sportclubs", "sportclub"),
            ("bomen", "boom"),
            ("lessen", "les"),
            ("groepen", "groep"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        assert_ne!(stem("huis"), stem("hui"));
    }
}
