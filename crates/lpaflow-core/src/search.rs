//! What lists find and sort an instance by, as the rules say: a title (for LPAs, the donor's name) and search
//! terms (references, names, postcodes, dates of birth). The store keeps both beside the instance, in step
//! with it, in an ordinary index that answers "some term starts with this word" on every backend; a query is
//! a few words that must all match. Terms are normalised here, once, for the rules that emit them and the
//! callers that search: lower case, letters and digits only, so `O'Brien`, `o brien`... match as people type.

/// A word an instance is found by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SearchTerm {
    /// The normalised text ([`normalize`]): never empty.
    pub text: String,
    /// Personal data (a name, a postcode, a date of birth): only callers allowed to see personal data may
    /// search by it. References and other identifiers are not personal.
    pub personal: bool,
}

impl SearchTerm {
    /// A personal term from `raw`, normalised; `None` when nothing searchable is left.
    pub fn personal(raw: &str) -> Option<Self> {
        Self::of(raw, true)
    }

    /// A term that is not personal data (a reference), normalised; `None` when nothing searchable is left.
    pub fn public(raw: &str) -> Option<Self> {
        Self::of(raw, false)
    }

    /// A term keeps at most [`MAX_WORD`] characters: a query word is never longer, so a prefix search finds
    /// it all the same, and an index entry stays small whatever a paper application holds.
    fn of(raw: &str, personal: bool) -> Option<Self> {
        let text: String = normalize(raw).chars().take(MAX_WORD).collect();
        (!text.is_empty()).then_some(Self { text, personal })
    }
}

/// How lists show, sort and find an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findable {
    /// What a list shows and sorts by (personal data for LPAs: shown to caseworkers only).
    pub title: Option<String>,
    /// The terms a search matches, sorted and without repeats.
    pub terms: Vec<SearchTerm>,
}

impl Findable {
    /// A findable with `title` and `terms` (sorted, repeats removed; a term both personal and not is kept as
    /// not personal, the wider).
    pub fn new(title: Option<String>, mut terms: Vec<SearchTerm>) -> Self {
        terms.sort_by(|a, b| a.text.cmp(&b.text).then(a.personal.cmp(&b.personal)));
        terms.dedup_by(|later, kept| later.text == kept.text);
        Self { title, terms }
    }
}

/// The longest word a query may hold (longer words cannot match: terms are shorter).
pub const MAX_WORD: usize = 64;

/// The most words a query may hold.
pub const MAX_WORDS: usize = 8;

/// `raw` in the form terms are stored: lower case, letters and digits only.
pub fn normalize(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a query, normalised, empty ones dropped. A date typed `31/01/1950`, `31-01-1950` or
/// `1950-01-31` becomes the one word a date of birth is stored as (`19500131`, see [`date_term`]).
pub fn query_words(q: &str) -> Vec<String> {
    q.split_whitespace()
        .map(|w| date_term(w).unwrap_or_else(|| normalize(w)))
        .filter(|w| !w.is_empty())
        .collect()
}

/// A date as one term, `YYYYMMDD`, from `YYYY-MM-DD`, `DD/MM/YYYY` or `DD-MM-YYYY` (day and month may have
/// one digit); `None` when `raw` is not such a date.
pub fn date_term(raw: &str) -> Option<String> {
    let parts: Vec<&str> = raw.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| (1..=max).contains(n));
    let (y, m, d) = (
        y.parse::<u32>().ok().filter(|_| y.len() == 4)?,
        number(m, 12)?,
        number(d, 31)?,
    );
    (b.len() <= 2 && [a, c].iter().all(|p| p.len() <= 4)).then(|| format!("{y:04}{m:02}{d:02}"))
}

/// Every suffix of `word` at least `min` characters long, `word` itself first: with a prefix match, a query
/// finds any part of an identifier (`EFGH` finds `M-ABCD-EFGH-JKLM`).
pub fn suffixes(word: &str, min: usize) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .filter(|i| chars.len() - i >= min.max(1))
        .map(|i| chars[i..].iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_letters_and_digits() {
        assert_eq!(normalize("O'Brien"), "obrien");
        assert_eq!(normalize("Smith-Jones"), "smithjones");
        assert_eq!(normalize("SW1A 1AA"), "sw1a1aa");
        assert_eq!(normalize("Zoë"), "zoë");
        assert_eq!(normalize("--"), "");
    }

    #[test]
    fn a_query_splits_into_words_and_reads_dates_as_one() {
        assert_eq!(query_words("  Ada  LOVELACE "), ["ada", "lovelace"]);
        assert_eq!(query_words("31/01/1950"), ["19500131"]);
        assert_eq!(query_words("1950-1-31"), ["19500131"]);
        assert_eq!(query_words("7-3-1950"), ["19500307"]);
        assert_eq!(query_words("M-ABCD-EFGH"), ["mabcdefgh"]);
        assert_eq!(query_words("- '"), Vec::<String>::new());
    }

    #[test]
    fn only_real_dates_become_date_terms() {
        assert_eq!(date_term("31/13/1950"), None);
        assert_eq!(date_term("32/01/1950"), None);
        assert_eq!(date_term("31/01/50"), None);
        assert_eq!(date_term("ABCD-EFGH-JKLM"), None);
        assert_eq!(date_term("1950-01-31").as_deref(), Some("19500131"));
    }

    #[test]
    fn a_term_is_cut_to_the_longest_word_a_query_holds() {
        let long = SearchTerm::personal(&"x".repeat(5000)).unwrap();
        assert_eq!(long.text.chars().count(), MAX_WORD);
    }

    #[test]
    fn suffixes_reach_down_to_the_minimum() {
        assert_eq!(suffixes("abcdef", 4), ["abcdef", "bcdef", "cdef"]);
        assert_eq!(suffixes("ab", 4), Vec::<String>::new());
    }

    #[test]
    fn a_findable_keeps_each_term_once_and_the_wider_when_both() {
        let f = Findable::new(
            None,
            vec![
                SearchTerm::personal("Ada").unwrap(),
                SearchTerm::public("ada").unwrap(),
                SearchTerm::personal("Lovelace").unwrap(),
                SearchTerm::personal("lovelace").unwrap(),
            ],
        );
        assert_eq!(
            f.terms,
            [
                SearchTerm::public("ada").unwrap(),
                SearchTerm::personal("lovelace").unwrap()
            ]
        );
    }
}
