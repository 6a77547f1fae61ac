//! Dutch local time (Europe/Amsterdam) for opening hours, without a time-zone database:
//! CET (UTC+1), and CEST (UTC+2) from the last Sunday of March to the last Sunday of October,
//! switching at 01:00 UTC (EU rule since 1996).

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday as ChronoWeekday,
};

use super::hours::Weekday;

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    let last = first_of_next - Duration::days(1);
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

/// The offset of Dutch local time from UTC at `t`, in hours.
pub fn amsterdam_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let start = Utc.from_utc_datetime(
        &last_sunday(year, 3)
            .and_hms_opt(1, 0, 0)
            .unwrap_or_default(),
    );
    let end = Utc.from_utc_datetime(
        &last_sunday(year, 10)
            .and_hms_opt(1, 0, 0)
            .unwrap_or_default(),
    );
    if t >= start && t < end { 2 } else { 1 }
}

/// Day of the week and minute of the day in Dutch local time.
pub fn amsterdam_weekday_minute(t: DateTime<Utc>) -> (Weekday, u16) {
    let local = t + Duration::hours(amsterdam_offset_hours(t));
    let day = match local.weekday() {
        ChronoWeekday::Mon => Weekday::Monday,
        ChronoWeekday::Tue => Weekday::Tuesday,
        ChronoWeekday::Wed => Weekday::Wednesday,
        ChronoWeekday::Thu => Weekday::Thursday,
        ChronoWeekday::Fri => Weekday::Friday,
        ChronoWeekday::Sat => Weekday::Saturday,
        ChronoWeekday::Sun => Weekday::Sunday,
    };
    (day, (local.hour() * 60 + local.minute()) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn summer_and_winter_time_switch_on_the_last_sundays() {
        assert_eq!(amsterdam_offset_hours(at("2026-03-29T00:59:59Z")), 1);
        assert_eq!(amsterdam_offset_hours(at("2026-03-29T01:00:00Z")), 2);
        assert_eq!(amsterdam_offset_hours(at("2026-10-25T00:59:59Z")), 2);
        assert_eq!(amsterdam_offset_hours(at("2026-10-25T01:00:00Z")), 1);
    }

    #[test]
    fn local_weekday_and_minute_cross_midnight() {
        // Monday 23:30 UTC in winter is Tuesday 00:30 in Amsterdam.
        assert_eq!(
            amsterdam_weekday_minute(at("2026-11-23T23:30:00Z")),
            (Weekday::Tuesday, 30)
        );
        assert_eq!(
            amsterdam_weekday_minute(at("2026-07-06T07:00:00+00:00")),
            (Weekday::Monday, 9 * 60)
        );
    }
}
