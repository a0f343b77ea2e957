//! Which characters text from outside may hold. Names, addresses, reasons and notes are shown to people (the
//! console, OPG's systems, printed LPAs) and stored in databases: a NUL cannot be stored in PostgreSQL text,
//! control characters corrupt logs and terminals, and bidirectional overrides or zero-width characters make
//! one name look like another (or hide text). So every text field refuses them; free text may still hold line
//! breaks and tabs. One function, used by the LPA rules' field readers and the API's own bodies alike.

/// What kind of text is being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// One line: names, towns, references.
    Line,
    /// Free text, which may hold line breaks and tabs: reasons, details, restrictions.
    Free,
}

/// The first character `text` may not hold, with its position (in characters) and why; `None` when the text is
/// clean.
pub fn refused_char(text: &str, kind: TextKind) -> Option<String> {
    text.chars().enumerate().find_map(|(at, c)| {
        let why = why_refused(c, kind)?;
        Some(format!(
            "must not contain {why} (U+{:04X} at character {})",
            u32::from(c),
            at + 1
        ))
    })
}

fn why_refused(c: char, kind: TextKind) -> Option<&'static str> {
    match c {
        '\n' | '\r' | '\t' if kind == TextKind::Free => None,
        '\0' => Some("a NUL character"),
        '\u{1}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some("a control character"),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("a bidirectional override or isolate")
        }
        '\u{200b}'..='\u{200d}' | '\u{feff}' => Some("a zero-width character"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, kind: TextKind, refused: bool) {
        assert_eq!(
            refused_char(text, kind).is_some(),
            refused,
            "{text:?} as {kind:?}"
        );
    }

    #[test]
    fn control_bidi_and_zero_width_characters_are_refused_and_free_text_keeps_line_breaks() {
        for (text, line, free) in [
            ("Zoë O'Brien-Smith", false, false),
            ("李小龍 محمد", false, false),
            ("a\0b", true, true),
            ("a\u{1}b", true, true),
            ("a\u{7f}b", true, true),
            ("a\u{85}b", true, true),
            ("a\u{9f}b", true, true),
            ("first\nsecond", true, false),
            ("first\r\n\tsecond", true, false),
            ("evil\u{202e}txt.exe", true, true),
            ("a\u{202a}b", true, true),
            ("a\u{2066}b", true, true),
            ("a\u{2069}b", true, true),
            ("a\u{200b}b", true, true),
            ("a\u{200d}b", true, true),
            ("\u{feff}bom", true, true),
            ("a\u{200e}b", false, false),
        ] {
            check(text, TextKind::Line, line);
            check(text, TextKind::Free, free);
        }
        assert_eq!(
            refused_char("ab\u{202e}", TextKind::Line).as_deref(),
            Some("must not contain a bidirectional override or isolate (U+202E at character 3)")
        );
    }
}
