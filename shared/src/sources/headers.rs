//! Request headers as the core sees them: by lowercase name, no HTTP types.

use std::collections::BTreeMap;

/// Headers by lowercase name; a repeated header's values are joined with `, ` (as HTTP allows).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(BTreeMap<String, String>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (joined to an earlier value of the same name).
    pub fn insert(&mut self, name: &str, value: &str) {
        self.0
            .entry(name.to_ascii_lowercase())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }

    /// A header's value, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_ascii_lowercase()).map(|v| v.trim())
    }

    /// Every header, by lowercase name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut headers = Self::new();
        for (name, value) in iter {
            headers.insert(name.as_ref(), value.as_ref());
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_repeats_join() {
        let headers: Headers = [
            ("X-Hub-Signature-256", " sha256=ab "),
            ("x-a", "1"),
            ("X-A", "2"),
        ]
        .into_iter()
        .collect();
        assert_eq!(headers.get("x-hub-signature-256"), Some("sha256=ab"));
        assert_eq!(headers.get("X-A"), Some("1, 2"));
        assert_eq!(headers.get("missing"), None);
    }
}
