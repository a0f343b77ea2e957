//! Properties of the business zone against the UK rule written out by hand: British Summer Time runs from
//! 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (the rule since 1996).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use lpaflow_core::BusinessZone;
use proptest::prelude::*;

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid") - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

/// The UK offset at `t`, from the rule alone.
fn uk_offset(t: DateTime<Utc>) -> Duration {
    let at_one = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("valid"));
    let starts = at_one(last_sunday(t.year(), 3));
    let ends = at_one(last_sunday(t.year(), 10));
    if starts <= t && t < ends {
        Duration::hours(1)
    } else {
        Duration::zero()
    }
}

proptest! {
    #[test]
    fn london_dates_follow_the_uk_summer_time_rule(secs in 946_684_800i64..2_208_988_800) {
        let t = DateTime::from_timestamp(secs, 0).expect("in range");
        let london = BusinessZone::LONDON;
        prop_assert_eq!(london.date_of(t), (t + uk_offset(t)).date_naive());
    }

    #[test]
    fn every_instant_lies_in_its_local_day(secs in 946_684_800i64..2_208_988_800) {
        let t = DateTime::from_timestamp(secs, 0).expect("in range");
        let london = BusinessZone::LONDON;
        let day = london.date_of(t);
        let (start, end) = (london.start_of(day), london.end_of(day));
        prop_assert!(start <= t && t < end, "{t} not in [{start}, {end})");
        prop_assert!([23, 24, 25].contains(&(end - start).num_hours()));
        prop_assert_eq!(london.date_of(start), day);
        prop_assert_eq!(london.date_of(end - Duration::seconds(1)), day);
    }
}
