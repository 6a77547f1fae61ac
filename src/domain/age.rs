//! Age ranges in whole years. The Jeugdwet covers young people up to 18, with extensions to 23
//! and some provisions (e.g. for young carers) up to 27.

/// The oldest age a provision in this registry can be for.
pub const MAX_AGE: u8 = 27;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRange {
    min: u8,
    max: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeError {
    #[error("ages must be between 0 and {MAX_AGE}, got {0}")]
    OutOfRange(i64),
    #[error("minimum age {min} is above maximum age {max}")]
    Inverted { min: i64, max: i64 },
}

impl AgeRange {
    pub fn new(min: i64, max: i64) -> Result<Self, AgeError> {
        for age in [min, max] {
            if !(0..=i64::from(MAX_AGE)).contains(&age) {
                return Err(AgeError::OutOfRange(age));
            }
        }
        if min > max {
            return Err(AgeError::Inverted { min, max });
        }
        Ok(Self {
            min: min as u8,
            max: max as u8,
        })
    }

    pub fn min(self) -> u8 {
        self.min
    }

    pub fn max(self) -> u8 {
        self.max
    }

    /// Whether a child of `age` (whole years) may use the provision.
    pub fn contains(self, age: u8) -> bool {
        (self.min..=self.max).contains(&age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_ranges_are_bounded_and_ordered() {
        let r = AgeRange::new(4, 12).expect("valid");
        assert!(r.contains(4) && r.contains(12) && !r.contains(13) && !r.contains(3));
        assert_eq!(
            AgeRange::new(12, 4),
            Err(AgeError::Inverted { min: 12, max: 4 })
        );
        assert_eq!(AgeRange::new(-1, 4), Err(AgeError::OutOfRange(-1)));
        assert_eq!(AgeRange::new(0, 28), Err(AgeError::OutOfRange(28)));
        assert!(AgeRange::new(0, 27).is_ok());
    }
}
