//! Shared field checks for write inputs: each records its problem and hands back the value.

use serde_json::Value;

use crate::domain::FieldErrors;
use crate::domain::contact::{parse_email, parse_phone, parse_url};
use crate::error::ApiError;

/// A required text, trimmed, 1..=max characters.
pub fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> Option<String> {
    let t = value.trim();
    if t.is_empty() {
        errors.add(field, "must not be empty");
        None
    } else if t.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        None
    } else {
        Some(t.to_owned())
    }
}

/// An optional text; blank counts as absent.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    value
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| text(errors, field, v, max))
}

pub fn email(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    value.and_then(|v| errors.check(field, parse_email(v.trim())))
}

pub fn url(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    value.and_then(|v| errors.check(field, parse_url(v.trim())))
}

pub fn phone(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    value.and_then(|v| errors.check(field, parse_phone(v)))
}

/// The origin of a record (`api` unless the client names an import or system).
pub fn source(errors: &mut FieldErrors, value: Option<&str>) -> String {
    optional_text(errors, "source", value, 100).unwrap_or_else(|| "api".to_owned())
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    if let Value::Object(patch) = patch {
        if !target.is_object() {
            *target = Value::Object(serde_json::Map::new());
        }
        if let Value::Object(target) = target {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// Applies a merge patch to the input form of the current resource and reads it back.
pub fn patched<T>(current: &T, patch: &Value) -> Result<T, ApiError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "a merge patch must be a JSON object".into(),
        ));
    }
    let mut value = serde_json::to_value(current).map_err(ApiError::internal)?;
    merge_patch(&mut value, patch);
    serde_json::from_value(value)
        .map_err(|e| ApiError::BadRequest(format!("the patched resource is not valid: {e}")))
}

/// Parses a path id as a UUID (any other text cannot name a resource).
pub fn uuid_path(id: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("there is no {what} {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
    }
}
