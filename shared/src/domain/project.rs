//! Projects: a tenant's applications or services, each with a stable slug that applications use
//! to fetch their configuration.

use super::{ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tenant's project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique within the tenant; generated from the name, stable across renames.
    pub slug: String,
    /// Free text.
    pub description: String,
    /// The environment used when none is named (e.g. `production`).
    pub environment: String,
    /// Inactive projects keep their data but serve no configuration.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Project {}

/// The slug of a name: lowercase ASCII letters and digits, words joined by single hyphens, at
/// most 48 characters (`"Checkout API (EU)"` → `checkout-api-eu`); `project` when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "project".into()
    } else {
        slug
    }
}

/// Whether `slug` is a valid slug: 1–48 of `a-z`, `0-9` and inner single hyphens.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 48
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// Whether `name` is a valid environment: `development`, `staging`, `production` or a custom one
/// of 1–64 lowercase letters, digits, `-` and `_`.
pub fn is_valid_environment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_hyphenated_and_bounded() {
        assert_eq!(slugify("Checkout API (EU)"), "checkout-api-eu");
        assert_eq!(slugify("  --Payments__v2--  "), "payments-v2");
        assert_eq!(slugify("Über Café"), "ber-caf");
        assert_eq!(slugify("!!!"), "project");
        assert_eq!(slugify(&"a".repeat(100)).len(), 48);
        for name in ["Checkout API (EU)", "x", "A b c", &"long name ".repeat(20)] {
            assert!(is_valid_slug(&slugify(name)), "{name}");
        }
        assert!(!is_valid_slug("Has-Caps"));
        assert!(!is_valid_slug("double--hyphen"));
        assert!(!is_valid_slug("-edge"));
    }

    #[test]
    fn environments_are_named_plainly() {
        for ok in ["production", "staging", "development", "eu-west_2"] {
            assert!(is_valid_environment(ok));
        }
        for bad in ["", "Prod", "has space", &"e".repeat(65)] {
            assert!(!is_valid_environment(bad));
        }
    }
}
