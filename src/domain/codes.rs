//! Identifiers from the CBS and the iJw standard. Parse, don't validate: a value of these types
//! is well formed; whether it *exists* is a question for the reference data.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(String);

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

code_type!(
    /// CBS municipality code, `GM` and four digits: `GM0748`.
    MunicipalityCode
);
impl MunicipalityCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        match s.strip_prefix("GM") {
            Some(rest) if is_digits(rest, 4) => Ok(Self(s.to_owned())),
            _ => Err(CodeError(format!(
                "'{s}' is not a CBS municipality code (GM followed by four digits, e.g. GM0748)"
            ))),
        }
    }
}

code_type!(
    /// CBS youth-care region code, `JZ` and two digits: `JZ36`.
    RegionCode
);
impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        match s.strip_prefix("JZ") {
            Some(rest) if is_digits(rest, 2) => Ok(Self(s.to_owned())),
            _ => Err(CodeError(format!(
                "'{s}' is not a CBS youth-care region code (JZ followed by two digits, e.g. JZ36)"
            ))),
        }
    }
}

/// Whether an area code names a wijk or a buurt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaLevel {
    Wijk,
    Buurt,
}

impl AreaLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Wijk => "wijk",
            AreaLevel::Buurt => "buurt",
        }
    }

    pub fn parse(s: &str) -> Result<Self, CodeError> {
        match s {
            "wijk" => Ok(AreaLevel::Wijk),
            "buurt" => Ok(AreaLevel::Buurt),
            _ => Err(CodeError(format!(
                "'{s}' is not an area level (wijk or buurt)"
            ))),
        }
    }
}

code_type!(
    /// CBS wijk (`WK074801`) or buurt (`BU07480101`) code. After the municipality's four digits
    /// the CBS uses digits or capital letters (`WK0363AF`).
    AreaCode
);
impl AreaCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        // ASCII first: the checks below slice by byte position.
        let tail_ok = |rest: &str, n: usize| {
            rest.is_ascii()
                && rest.len() == n
                && rest[..4].bytes().all(|b| b.is_ascii_digit())
                && rest[4..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        };
        let ok = match (s.strip_prefix("WK"), s.strip_prefix("BU")) {
            (Some(rest), _) => tail_ok(rest, 6),
            (_, Some(rest)) => tail_ok(rest, 8),
            _ => false,
        };
        if ok && s.is_ascii() {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!(
                "'{s}' is not a CBS wijk or buurt code (e.g. WK074801 or BU07480101)"
            )))
        }
    }

    pub fn level(&self) -> AreaLevel {
        if self.0.starts_with("WK") {
            AreaLevel::Wijk
        } else {
            AreaLevel::Buurt
        }
    }

    /// The municipality the CBS code itself names (its four digits).
    pub fn municipality(&self) -> MunicipalityCode {
        MunicipalityCode(format!("GM{}", &self.0[2..6]))
    }

    /// The wijk a buurt belongs to, by the CBS numbering (`BU07480101` → `WK074801`).
    pub fn wijk(&self) -> AreaCode {
        match self.level() {
            AreaLevel::Wijk => self.clone(),
            AreaLevel::Buurt => AreaCode(format!("WK{}", &self.0[2..8])),
        }
    }
}

code_type!(
    /// Four-digit Dutch postcode (PC4), 1000–9999: `4611`.
    Pc4
);
impl Pc4 {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        if is_digits(s, 4) && !s.starts_with('0') {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!(
                "'{s}' is not a four-digit postcode (PC4, 1000-9999, e.g. 4611)"
            )))
        }
    }
}

code_type!(
    /// Full Dutch postcode as on an address: `4611 AB` (stored without the space: `4611AB`).
    Postcode
);
impl Postcode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.to_ascii_uppercase();
        let ok = compact.is_ascii()
            && compact.len() == 6
            && is_digits(&compact[..4], 4)
            && !compact.starts_with('0')
            && compact[4..].bytes().all(|b| b.is_ascii_uppercase());
        if ok {
            Ok(Self(compact))
        } else {
            Err(CodeError(format!(
                "'{s}' is not a Dutch postcode (four digits and two letters, e.g. 4611 AB)"
            )))
        }
    }

    pub fn pc4(&self) -> Pc4 {
        Pc4(self.0[..4].to_owned())
    }
}

code_type!(
    /// Chamber of Commerce number: eight digits.
    KvkNumber
);
impl KvkNumber {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        if is_digits(s, 8) {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!(
                "'{s}' is not a KvK number (eight digits)"
            )))
        }
    }
}

code_type!(
    /// Vektis AGB code of a care provider: eight digits.
    AgbCode
);
impl AgbCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        if is_digits(s, 8) {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!(
                "'{s}' is not an AGB code (eight digits)"
            )))
        }
    }
}

code_type!(
    /// Slug of a category in the taxonomy: lower case, digits and hyphens (`opvoedondersteuning`,
    /// `ijw-45`).
    CategoryCode
);
impl CategoryCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(CodeError(format!(
                "'{s}' is not a category code (lower-case slug, e.g. opvoedondersteuning)"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn municipality_codes_need_gm_and_four_digits() {
        assert!(MunicipalityCode::parse("GM0748").is_ok());
        for bad in ["0748", "GM748", "gm0748", "GM07480", "GMabcd", ""] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn area_codes_accept_cbs_letters_and_know_their_parents() {
        let wijk = AreaCode::parse("WK0363AF").expect("Amsterdam uses letters");
        assert_eq!(wijk.level(), AreaLevel::Wijk);
        assert_eq!(wijk.municipality().as_str(), "GM0363");
        let buurt = AreaCode::parse("BU07480101").expect("buurt");
        assert_eq!(buurt.wijk().as_str(), "WK074801");
        for bad in [
            "WK07480",
            "BU074801",
            "WK0748a1",
            "XX074801",
            "WKé74801",
            "WK074€",
            "BU07480€1",
        ] {
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postcodes_are_normalised_and_checked() {
        assert_eq!(
            Postcode::parse("4611 ab").expect("valid").as_str(),
            "4611AB"
        );
        assert!(Postcode::parse("0611AB").is_err());
        assert!(Postcode::parse("4611A").is_err());
        assert!(
            Postcode::parse("46€AB").is_err(),
            "multi-byte input must not panic"
        );
        assert!(Pc4::parse("4611").is_ok());
        assert!(Pc4::parse("0999").is_err());
        assert!(Pc4::parse("46111").is_err());
    }

    #[test]
    fn kvk_and_agb_are_eight_digits() {
        assert!(KvkNumber::parse("12345678").is_ok());
        assert!(KvkNumber::parse("1234567").is_err());
        assert!(AgbCode::parse("9876543a").is_err());
    }

    #[test]
    fn category_codes_are_slugs() {
        assert!(CategoryCode::parse("ijw-45").is_ok());
        assert!(CategoryCode::parse("Opvoeden").is_err());
        assert!(CategoryCode::parse("-x").is_err());
    }
}
