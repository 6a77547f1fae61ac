//! Pure types and rules. No actix, no diesel: everything here can be tested on its own.

pub mod access;
pub mod age;
pub mod clock;
pub mod codes;
pub mod contact;
pub mod coverage;
pub mod hours;
pub mod location;
pub mod referral;
pub mod registry;
pub mod scope;
pub mod text;

/// A problem with one field of an input, reported to the client as an `errors[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer-ish path of the field, e.g. `locations[0].postcode`.
    pub field: String,
    pub message: String,
}

/// Collects every problem of an input before refusing it, so the client fixes all at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records the error of a parse and gives back the value when it succeeded.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok(value)` when nothing was recorded, otherwise every recorded error.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}
