//! Contact details: e-mail, web address and Dutch phone numbers, checked at the edge.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ContactError(String);

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$")
        .expect("static regex")
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https?://[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+(?::\d{1,5})?(?:[/?#][^\s]*)?$")
        .expect("static regex")
});

/// An e-mail address of the usual `name@domain.tld` form.
pub fn parse_email(s: &str) -> Result<String, ContactError> {
    if s.len() <= 254 && EMAIL.is_match(s) {
        Ok(s.to_owned())
    } else {
        Err(ContactError(format!("'{s}' is not an e-mail address")))
    }
}

/// An absolute `http(s)` address with a host name.
pub fn parse_url(s: &str) -> Result<String, ContactError> {
    if s.len() <= 2048 && URL.is_match(s) {
        Ok(s.to_owned())
    } else {
        Err(ContactError(format!(
            "'{s}' is not a web address (http:// or https:// with a host name)"
        )))
    }
}

/// A Dutch phone number (`0164 123456`, `+31 164 123456`, `088-1234567`, `0800-1234`,
/// `0900 1234567`, `116 111`) kept as typed, with at least the right number of digits.
pub fn parse_phone(s: &str) -> Result<String, ContactError> {
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'));
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = s.trim_start().strip_prefix('+') {
        rest.starts_with("31") && digits.len() == 11
    } else if digits.starts_with("0800")
        || digits.starts_with("0900")
        || digits.starts_with("0906")
        || digits.starts_with("0909")
    {
        (8..=11).contains(&digits.len())
    } else if digits.starts_with("116") || digits.starts_with("112") {
        (3..=6).contains(&digits.len())
    } else {
        digits.starts_with('0') && digits.len() == 10
    };
    if allowed && national {
        Ok(s.trim().to_owned())
    } else {
        Err(ContactError(format!(
            "'{s}' is not a Dutch phone number (e.g. 0164 123456 or +31 164 123456)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_urls_and_phones_are_checked() {
        assert!(parse_email("info@bibliotheek-bergenopzoom.nl").is_ok());
        assert!(parse_email("info@@x.nl").is_err());
        assert!(parse_email("info@localhost").is_err());
        assert!(parse_url("https://www.cjg.nl/ouders?x=1").is_ok());
        assert!(parse_url("ftp://x.nl").is_err());
        assert!(parse_url("https://").is_err());
        for ok in [
            "0164 123456",
            "+31 164 123456",
            "088-1234567",
            "0800-1234",
            "116 111",
        ] {
            assert!(parse_phone(ok).is_ok(), "{ok}");
        }
        for bad in ["12345", "0164 12345", "+32 2 1234567", "bel ons"] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
    }
}
