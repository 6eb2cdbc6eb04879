//! Cursor pagination: `{"items": [...], "next_cursor": ...}` over DynamoDB's LastEvaluatedKey.

use super::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine;
use std::collections::{BTreeMap, HashMap};

/// A page of results and where the next one starts: `{"items": [...], "next_cursor": ...}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Opaque cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// What page the caller asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items at most (default 50; the API takes 1..=100, jobs up to [`Self::BULK_LIMIT`]).
    pub limit: Option<i32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The largest page the API hands out (the edge refuses more).
    pub const MAX_LIMIT: i32 = 100;
    /// The largest page a job reads at once (an export): DynamoDB still stops at 1 MB a read.
    pub const BULK_LIMIT: i32 = 1000;
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: i32 = 50;

    pub(crate) fn limit(&self) -> i32 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::BULK_LIMIT)
    }
}

/// Encodes a LastEvaluatedKey (all our key attributes are strings).
pub(crate) fn encode_cursor(key: &HashMap<String, AttributeValue>) -> String {
    let plain: BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.as_s().ok()?.as_str())))
        .collect();
    let json = serde_json::to_vec(&plain).unwrap_or_default();
    BASE64URL.encode(json)
}

/// Decodes a cursor, refusing one whose partition is not the one being queried: a cursor from
/// another tenant or another list is a bad request, never a peek elsewhere.
pub(crate) fn decode_cursor(
    cursor: &str,
    partition_attr: &str,
    partition_value: &str,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let bytes = BASE64URL
        .decode(cursor)
        .map_err(|_| StoreError::BadCursor)?;
    let plain: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)?;
    if plain.get(partition_attr).map(String::as_str) != Some(partition_value) {
        return Err(StoreError::BadCursor);
    }
    Ok(plain
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
            ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
        ])
    }

    #[test]
    fn cursor_round_trips_within_its_partition() {
        let original = key("TENANT#a#INCIDENT", "inc_1");
        let cursor = encode_cursor(&original);
        assert_eq!(
            decode_cursor(&cursor, "pk", "TENANT#a#INCIDENT").expect("valid"),
            original
        );
    }

    #[test]
    fn cursor_of_another_partition_or_garbage_is_refused() {
        let cursor = encode_cursor(&key("TENANT#a#INCIDENT", "inc_1"));
        assert!(matches!(
            decode_cursor(&cursor, "pk", "TENANT#b#INCIDENT"),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            decode_cursor("%%%", "pk", "x"),
            Err(StoreError::BadCursor)
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_key_round_trips_and_only_in_its_own_partition(
            pk in ".{0,60}",
            sk in ".{0,60}",
            other in ".{0,60}",
        ) {
            let original = key(&pk, &sk);
            let cursor = encode_cursor(&original);
            proptest::prop_assert_eq!(decode_cursor(&cursor, "pk", &pk).ok(), Some(original));
            if other != pk {
                proptest::prop_assert!(decode_cursor(&cursor, "pk", &other).is_err());
            }
        }

        #[test]
        fn any_string_is_a_cursor_or_a_bad_request(text in ".{0,200}", pk in ".{0,20}") {
            // Never a panic, and never a key outside the partition asked for.
            if let Ok(decoded) = decode_cursor(&text, "pk", &pk) {
                proptest::prop_assert_eq!(decoded.get("pk").and_then(|v| v.as_s().ok()), Some(&pk));
            }
        }
    }

    #[test]
    fn limit_is_clamped() {
        let page = |limit| {
            PageRequest {
                limit,
                cursor: None,
            }
            .limit()
        };
        assert_eq!(page(None), 50);
        assert_eq!(page(Some(0)), 1);
        // The API refuses more than 100 at the edge; jobs may read up to the bulk limit.
        assert_eq!(page(Some(1000)), 1000);
        assert_eq!(page(Some(5000)), PageRequest::BULK_LIMIT);
    }
}
