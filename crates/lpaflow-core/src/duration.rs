//! Durations as written in workflow files: `28d`, `6h`, `90s`, `1d12h`, `2w`.
//!
//! Calendar units (months, years) are deliberately absent: their length depends on the start date, so a
//! deadline such as "six months after the identity check" is computed by the domain rules from dates, not
//! written as a fixed duration here.

use chrono::TimeDelta;

/// The longest duration a workflow may declare (100 years), so that `now + after` can never overflow.
pub const MAX_DURATION_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// Parses `28d`, `6h`, `30m`, `90s`, `2w` or a concatenation such as `1d12h`. Zero and negative values are refused.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("is empty; write a number and a unit, e.g. \"28d\"".to_owned());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let seconds_per_unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            other => {
                return Err(format!(
                    "{text:?} has the unit {other:?}; use s, m, h, d or w (e.g. \"28d\")"
                ));
            }
        };
        if digits.is_empty() {
            return Err(format!("{text:?} has a unit without a number before it"));
        }
        let amount: i64 = digits
            .parse()
            .map_err(|_| format!("{text:?} has a number too large to use"))?;
        digits.clear();
        total = amount
            .checked_mul(seconds_per_unit)
            .and_then(|s| total.checked_add(s))
            .filter(|s| *s <= MAX_DURATION_SECONDS)
            .ok_or_else(|| format!("{text:?} is longer than the 100-year limit"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "{text:?} ends with a number without a unit; add s, m, h, d or w"
        ));
    }
    if total == 0 {
        return Err(format!("{text:?} is zero; a timer must wait for some time"));
    }
    Ok(TimeDelta::seconds(total))
}

/// Formats a duration the way [`parse_duration`] reads it, largest units first (`2419200s` -> `28d`).
pub fn format_duration(d: TimeDelta) -> String {
    let mut left = d.num_seconds();
    if left <= 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if left >= size {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, seconds: i64) {
        assert_eq!(
            parse_duration(text),
            Ok(TimeDelta::seconds(seconds)),
            "{text}"
        );
    }

    #[test]
    fn parses_each_unit_and_combinations() {
        check("28d", 28 * 86_400);
        check("6h", 6 * 3600);
        check("30m", 1800);
        check("90s", 90);
        check("2w", 14 * 86_400);
        check("1d12h", 36 * 3600);
        check(" 5m ", 300);
    }

    #[test]
    fn refuses_bad_durations_with_a_reason() {
        for (text, needle) in [
            ("", "is empty"),
            ("28", "without a unit"),
            ("d", "without a number"),
            ("3y", "unit 'y'"),
            ("0d", "is zero"),
            ("99999999999w", "100-year limit"),
            ("-1d", "unit '-'"),
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn formats_back_to_the_same_duration() {
        for text in ["28d", "1d12h", "90s", "1h1m1s"] {
            let d = parse_duration(text).expect("valid");
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(TimeDelta::seconds(90)), "1m30s");
    }
}
