//! The business time zone: the zone whose calendar the rules speak of.
//!
//! Instants are stored and exchanged as UTC, but people and the law count in local days: an LPA signed at
//! 00:30 on 15 June in London was signed on 15 June, not on 14 June as its UTC date says, and a deadline that
//! ends "at the end of a day" ends at local midnight (GMT or BST as the date requires). Every conversion between
//! an instant and a calendar date goes through [`BusinessZone`], so no rule can fall back on the UTC date by
//! accident. The IANA database is compiled in (`chrono-tz`), so results do not depend on the host's zone files.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt;

/// An IANA time zone used for every calendar rule. `Copy`, cheap to pass around.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusinessZone(Tz);

impl BusinessZone {
    /// UTC: local dates are UTC dates (generic workflows that declare no zone).
    pub const UTC: Self = Self(Tz::UTC);
    /// England and Wales: GMT in winter, BST in summer.
    pub const LONDON: Self = Self(Tz::Europe__London);

    /// Reads an IANA name such as `Europe/London`.
    pub fn parse(name: &str) -> Result<Self, String> {
        name.trim().parse::<Tz>().map(Self).map_err(|_| {
            format!(
                "{name:?} is not a time zone of the IANA database; use a name such as \"Europe/London\""
            )
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// The local wall-clock time of an instant (for display).
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.0).naive_local()
    }

    /// The instant rendered as RFC 3339 with the local offset (`2026-06-15T00:30:00+01:00`).
    pub fn rfc3339(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).to_rfc3339()
    }

    /// The local offset's abbreviation at an instant (`GMT`, `BST`).
    pub fn abbreviation(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).format("%Z").to_string()
    }

    /// The first instant of a local day. Where a clock change skips local midnight, the day begins when the
    /// clock jumps (the first local time that exists).
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(NaiveTime::MIN);
        match self.0.from_local_datetime(&midnight) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
            LocalResult::None => {
                // The gap begins at local midnight: the clock reads midnight under the offset in force a day
                // earlier, and that instant is where the new offset takes over.
                let day_before = self
                    .0
                    .from_utc_datetime(&(midnight - chrono::TimeDelta::days(1)));
                let offset = chrono::Offset::fix(day_before.offset());
                (midnight - offset).and_utc()
            }
        }
    }

    /// The first instant after a local day: its "end of day".
    pub fn end_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.start_of(
            date.checked_add_days(Days::new(1))
                .unwrap_or(NaiveDate::MAX),
        )
    }

    /// The instant a local wall-clock time names (a form's input). A time that happens twice (the hour the
    /// clocks go back) is taken the first time; one that never happens (the hour they go forward) is refused.
    pub fn instant_of(&self, local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => Err(format!(
                "{} does not exist in {}: the clocks went forward over it",
                local.format("%Y-%m-%d %H:%M"),
                self.name()
            )),
        }
    }
}

impl Default for BusinessZone {
    fn default() -> Self {
        Self::UTC
    }
}

impl fmt::Display for BusinessZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn a_summer_night_in_london_belongs_to_the_local_day() {
        let z = BusinessZone::LONDON;
        assert_eq!(z.date_of(at("2026-06-15T00:30:00+01:00")), d("2026-06-15"));
        assert_eq!(
            BusinessZone::UTC.date_of(at("2026-06-15T00:30:00+01:00")),
            d("2026-06-14")
        );
        assert_eq!(z.date_of(at("2026-01-15T00:30:00Z")), d("2026-01-15"));
        assert_eq!(z.abbreviation(at("2026-06-15T12:00:00Z")), "BST");
        assert_eq!(z.abbreviation(at("2026-01-15T12:00:00Z")), "GMT");
    }

    #[test]
    fn london_days_start_at_local_midnight_on_both_sides_of_the_clock_changes() {
        let z = BusinessZone::LONDON;
        // 2026: clocks go forward on 29 March, back on 25 October.
        assert_eq!(z.start_of(d("2026-03-29")), at("2026-03-29T00:00:00Z"));
        assert_eq!(z.start_of(d("2026-03-30")), at("2026-03-29T23:00:00Z"));
        assert_eq!(z.start_of(d("2026-10-25")), at("2026-10-24T23:00:00Z"));
        assert_eq!(z.start_of(d("2026-10-26")), at("2026-10-26T00:00:00Z"));
        assert_eq!(z.end_of(d("2026-03-29")), at("2026-03-29T23:00:00Z"));
        // 23 and 25 hours long.
        assert_eq!(
            (z.end_of(d("2026-03-29")) - z.start_of(d("2026-03-29"))).num_hours(),
            23
        );
        assert_eq!(
            (z.end_of(d("2026-10-25")) - z.start_of(d("2026-10-25"))).num_hours(),
            25
        );
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2022-09-11 (offset -4 to -3).
        let z = BusinessZone::parse("America/Santiago").expect("zone");
        assert_eq!(z.start_of(d("2022-09-11")), at("2022-09-11T04:00:00Z"));
        assert_eq!(z.date_of(z.start_of(d("2022-09-11"))), d("2022-09-11"));
    }

    #[test]
    fn local_form_times_become_instants() {
        let z = BusinessZone::LONDON;
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("local");
        assert_eq!(
            z.instant_of(local("2026-07-01T09:00")),
            Ok(at("2026-07-01T08:00:00Z"))
        );
        assert_eq!(
            z.instant_of(local("2026-10-25T01:30")),
            Ok(at("2026-10-25T00:30:00Z"))
        );
        let skipped = z
            .instant_of(local("2026-03-29T01:30"))
            .expect_err("in the gap");
        assert!(skipped.contains("clocks went forward"), "{skipped}");
    }

    #[test]
    fn unknown_zones_are_named_in_the_error() {
        let e = BusinessZone::parse("Europe/Londres").expect_err("unknown");
        assert!(e.contains("Europe/Londres") && e.contains("IANA"), "{e}");
        assert_eq!(
            BusinessZone::parse("Europe/London"),
            Ok(BusinessZone::LONDON)
        );
    }
}
