//! Calendar arithmetic for the rules: ages on a date and the windows of `shared/DOMAIN.md` section 5.
//!
//! Windows are calendar months and years (a month added to 31 August ends on the last day of February), never
//! fixed numbers of days, except where the rule itself is in days. A window is described by its *last day*: an
//! act on that day is in time, one on the day after is late. Instants become dates in the business zone
//! ([`lpaflow_core::BusinessZone`], UK local time for the OPG), never in UTC.

use chrono::{Months, NaiveDate};

/// Age in whole years on `on` of someone born on `born`. Someone born on 29 February turns a year older on
/// 1 March in years without one.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

/// `date` plus `months` calendar months (clamped to the month's last day); saturates at the latest date.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The last day of a window of `months` calendar months starting on `start`.
pub fn last_day_within_months(start: NaiveDate, months: u32) -> NaiveDate {
    add_months(start, months)
}

/// The last day of the "two years less one day" window starting on `start`.
pub fn last_day_two_years_less_a_day(start: NaiveDate) -> NaiveDate {
    add_months(start, 24).pred_opt().unwrap_or(NaiveDate::MIN)
}

/// True if `later` falls within `months` calendar months of `earlier` (on or after it, and on or before the
/// same day `months` later, clamped to the month's end): "within 3 months" of 30 November runs to 28 February.
pub fn within_months(earlier: NaiveDate, later: NaiveDate, months: u32) -> bool {
    earlier <= later && later <= last_day_within_months(earlier, months)
}

/// Whole days from `from` to `to` (negative if `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[track_caller]
    fn check_age(born: &str, on: &str, age: i32) {
        assert_eq!(age_on(d(born), d(on)), age, "born {born}, on {on}");
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        check_age("2008-03-15", "2026-03-14", 17);
        check_age("2008-03-15", "2026-03-15", 18);
        check_age("2008-02-29", "2026-02-28", 17);
        check_age("2008-02-29", "2026-03-01", 18);
        check_age("2008-02-29", "2028-02-29", 20);
        check_age("1926-01-01", "2026-01-01", 100);
    }

    #[test]
    fn windows_end_on_their_last_day() {
        assert_eq!(last_day_within_months(d("2025-08-31"), 6), d("2026-02-28"));
        assert_eq!(
            last_day_two_years_less_a_day(d("2025-01-10")),
            d("2027-01-09")
        );
        assert_eq!(
            last_day_two_years_less_a_day(d("2024-02-29")),
            d("2026-02-27")
        );
        assert_eq!(days_between(d("2025-01-01"), d("2025-04-01")), 90);
    }

    #[test]
    fn within_months_counts_calendar_months_not_days() {
        // 92 days, inside 3 calendar months.
        assert!(within_months(d("2025-06-01"), d("2025-09-01"), 3));
        assert!(!within_months(d("2025-06-01"), d("2025-09-02"), 3));
        // 89 days across February, and the month's end clamps.
        assert!(within_months(d("2025-11-30"), d("2026-02-28"), 3));
        assert!(!within_months(d("2025-11-30"), d("2026-03-01"), 3));
        assert!(within_months(d("2025-06-01"), d("2025-06-01"), 3));
        assert!(!within_months(d("2025-06-02"), d("2025-06-01"), 3));
    }
}

/// A date as people read it in texts (`3 Dec 2026`): the one format of findings, refusals and the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub NaiveDate);

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%-d %b %Y"))
    }
}

/// An instant as people read it in texts, in the business zone (`00:00 GMT on 4 Jan 2027`).
pub fn moment(at: chrono::DateTime<chrono::Utc>, zone: lpaflow_core::BusinessZone) -> String {
    format!(
        "{} {} on {}",
        zone.local(at).format("%H:%M"),
        zone.abbreviation(at),
        Day(zone.date_of(at))
    )
}

#[cfg(test)]
mod day_tests {
    use super::*;
    use lpaflow_core::Rules;

    #[test]
    fn dates_read_as_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        assert_eq!(Day(d).to_string(), "3 Dec 2026");
        let at = chrono::DateTime::parse_from_rfc3339("2026-07-01T23:00:00Z")
            .expect("time")
            .to_utc();
        assert_eq!(
            moment(at, crate::LpaRules::default().zone()),
            "00:00 BST on 2 Jul 2026"
        );
    }
}
