//! Weekly opening hours: a list of `day opens–closes` periods in local (Dutch) time.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub fn parse(s: &str) -> Result<Self, HoursError> {
        Weekday::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| HoursError(format!("'{s}' is not a day of the week (monday…sunday)")))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HoursError(String);

/// Minutes since midnight, 0..=1440 (`24:00` closes at the end of the day).
fn parse_clock(s: &str) -> Result<u16, HoursError> {
    let err = || HoursError(format!("'{s}' is not a time of day (HH:MM, 00:00-24:00)"));
    let (h, m) = s.split_once(':').ok_or_else(err)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(err());
    }
    let h: u16 = h.parse().map_err(|_| err())?;
    let m: u16 = m.parse().map_err(|_| err())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(err());
    }
    Ok(h * 60 + m)
}

fn format_clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One opening period on one day; `opens < closes`. A period over midnight is written as two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub day: Weekday,
    opens: u16,
    closes: u16,
}

impl Period {
    pub fn new(day: Weekday, opens: &str, closes: &str) -> Result<Self, HoursError> {
        let (o, c) = (parse_clock(opens)?, parse_clock(closes)?);
        if o >= c {
            return Err(HoursError(format!(
                "opens {opens} is not before closes {closes} (write a period over midnight as two)"
            )));
        }
        Ok(Self {
            day,
            opens: o,
            closes: c,
        })
    }

    pub fn opens(&self) -> String {
        format_clock(self.opens)
    }

    pub fn closes(&self) -> String {
        format_clock(self.closes)
    }

    /// Whether the period includes `minute` (since midnight) of `day`; closing time excluded.
    pub fn contains(&self, day: Weekday, minute: u16) -> bool {
        self.day == day && self.opens <= minute && minute < self.closes
    }
}

/// The wire shape of a period, shared by requests, responses and storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodText {
    pub day: String,
    pub opens: String,
    pub closes: String,
}

impl From<&Period> for PeriodText {
    fn from(p: &Period) -> Self {
        Self {
            day: p.day.as_str().to_owned(),
            opens: p.opens(),
            closes: p.closes(),
        }
    }
}

impl PeriodText {
    pub fn parse(&self) -> Result<Period, HoursError> {
        Period::new(Weekday::parse(&self.day)?, &self.opens, &self.closes)
    }
}

/// Periods must not overlap on the same day: overlapping hours are almost always a typo.
pub fn check_no_overlap(periods: &[Period]) -> Result<(), HoursError> {
    let mut sorted: Vec<&Period> = periods.iter().collect();
    sorted.sort_by_key(|p| (p.day, p.opens));
    for pair in sorted.windows(2) {
        if pair[0].day == pair[1].day && pair[1].opens < pair[0].closes {
            return Err(HoursError(format!(
                "periods on {} overlap ({}-{} and {}-{})",
                pair[0].day.as_str(),
                pair[0].opens(),
                pair[0].closes(),
                pair[1].opens(),
                pair[1].closes()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_well_formed() {
        let p = Period::new(Weekday::Monday, "09:00", "24:00").expect("valid");
        assert!(p.contains(Weekday::Monday, 9 * 60));
        assert!(p.contains(Weekday::Monday, 1439));
        assert!(!p.contains(Weekday::Tuesday, 600));
        assert!(Period::new(Weekday::Monday, "17:00", "09:00").is_err());
        assert!(Period::new(Weekday::Monday, "9:00", "10:00").is_err());
        assert!(Period::new(Weekday::Monday, "09:60", "10:00").is_err());
        assert!(Period::new(Weekday::Monday, "24:01", "24:00").is_err());
        assert!(Weekday::parse("maandag").is_err());
    }

    #[test]
    fn overlapping_periods_on_one_day_are_refused() {
        let a = Period::new(Weekday::Friday, "09:00", "12:00").expect("valid");
        let b = Period::new(Weekday::Friday, "11:00", "13:00").expect("valid");
        let c = Period::new(Weekday::Saturday, "11:00", "13:00").expect("valid");
        assert!(check_no_overlap(&[a, c]).is_ok());
        assert!(check_no_overlap(&[a, b]).is_err());
    }
}
