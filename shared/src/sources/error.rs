//! What a provider's payload can be wrong with, in the provider's own terms; the edge maps it to
//! a problem document (400 or 422 naming the field).

/// A payload the source cannot use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Not JSON (or not the form encoding the provider uses) at all.
    #[error("the request body is not valid JSON: {0}")]
    Malformed(String),
    /// Not this provider's request (a header or envelope is missing).
    #[error("{detail}")]
    NotThisProvider {
        /// The header or field that is missing.
        field: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// A field is missing or has a wrong value.
    #[error("{detail}")]
    Invalid {
        /// The field at fault (a JSON path).
        field: String,
        /// What is wrong.
        detail: String,
    },
}

impl SourceError {
    /// A field is missing or wrong.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }
}
