//! Field checks every route shares, each a 422 naming the field.

use super::ApiError;

/// A name, trimmed: 1 to 200 characters.
pub fn checked_name(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 200 {
        return Err(ApiError::validation(
            field,
            format!("`{field}` must be 1 to 200 characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Free text: at most 1000 characters, kept as given.
pub fn checked_description(field: &str, value: &str) -> Result<String, ApiError> {
    if value.chars().count() > 1000 {
        return Err(ApiError::validation(
            field,
            format!("`{field}` must be at most 1000 characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An environment name: `development`, `staging`, `production` or a custom one of 1–64
/// lowercase letters, digits, `-` and `_`.
pub fn checked_environment(field: &str, value: &str) -> Result<String, ApiError> {
    if !crate::domain::project::is_valid_environment(value) {
        return Err(ApiError::validation(
            field,
            format!(
                "`{field}` must be 1 to 64 lowercase letters, digits, `-` or `_` (e.g. production)"
            ),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_descriptions_bounded() {
        assert_eq!(checked_name("name", "  Ops  ").ok().as_deref(), Some("Ops"));
        for bad in ["", "   ", &"x".repeat(201)] {
            let err = checked_name("name", bad).expect_err("refused");
            assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        assert!(
            checked_name("name", &"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert!(checked_description("description", &"x".repeat(1000)).is_ok());
        assert!(checked_description("description", &"x".repeat(1001)).is_err());
    }
}
