//! Raw inbound requests, kept before they are applied so any delivery can be inspected or replayed
//! (exact body bytes, headers with secrets redacted): small ones deflated inside their delivery
//! record, larger ones in the S3 bucket, which also holds outgoing message bodies too large for a
//! table item.

use crate::aws::LazyClient;
use crate::domain::{Source, TenantId};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Headers whose values are never archived.
const REDACTED_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "cookie",
    "proxy-authorization",
];

/// The S3 archive of raw inbound requests.
#[derive(Clone, Debug)]
pub struct RawArchive {
    client: LazyClient<Client>,
    bucket: String,
}

/// One inbound request as received.
#[derive(Debug)]
pub struct RawRequest<'a> {
    /// Whose integration received it.
    pub tenant_id: &'a TenantId,
    /// Which kind of sender.
    pub source: Source,
    /// The integration's id.
    pub integration_id: &'a str,
    /// The delivery id (provider's, or generated).
    pub delivery_id: &'a str,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// Where a received request is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeptRequest {
    /// Deflated inside the delivery record: the headers as one JSON line, then the body bytes.
    Inline(Vec<u8>),
    /// An S3 object of the archive bucket, by key.
    Archived(String),
}

/// A request read back: header names and values, and the exact body bytes.
pub type Request = (Vec<(String, String)>, Vec<u8>);

/// The largest deflated request kept inside a delivery record: the record then stays within a
/// few 1 KB write units, under what the S3 `PutObject` it replaces costs.
pub const INLINE_LIMIT: usize = 3 * 1024;

/// The most an inline record inflates to (the edge refuses larger bodies anyway).
const INLINE_INFLATED_LIMIT: usize = 2 * crate::http::MAX_BODY_BYTES;

/// Archiving failed.
#[derive(Debug, thiserror::Error)]
#[error("s3: {0}")]
pub struct ArchiveError(String);

impl RawArchive {
    /// An archive in `bucket`.
    pub fn new(client: impl Into<LazyClient<Client>>, bucket: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bucket: bucket.into(),
        }
    }

    /// The object key: tenant, source, date, delivery id.
    pub fn key_for(request: &RawRequest<'_>) -> String {
        format!(
            "raw/{}/{}/{}/{}.json",
            request.tenant_id,
            request.source.as_str(),
            request.received_at.format("%Y/%m/%d"),
            sanitize(request.delivery_id)
        )
    }

    /// Keeps `request` where it costs least: deflated inside its delivery record when that stays
    /// small ([`INLINE_LIMIT`]), as an S3 object otherwise. An S3 `PutObject` costs as much as
    /// eight 1 KB DynamoDB writes and a round trip, and most alert webhooks deflate well under it.
    pub async fn keep(&self, request: &RawRequest<'_>) -> Result<KeptRequest, ArchiveError> {
        let headers = redacted_headers(&request.headers);
        let deflated = pack(&headers, request.body)?;
        if deflated.len() <= INLINE_LIMIT {
            return Ok(KeptRequest::Inline(deflated));
        }
        let key = Self::key_for(request);
        let document = json!({
            "tenant_id": request.tenant_id,
            "source": request.source,
            "integration_id": request.integration_id,
            "delivery_id": request.delivery_id,
            "received_at": request.received_at,
            "headers": headers,
            "body_base64": BASE64.encode(request.body),
        });
        self.put_object(&key, document.to_string().into_bytes())
            .await?;
        Ok(KeptRequest::Archived(key))
    }

    /// A kept request back: its headers (secrets redacted) and exact body bytes.
    pub async fn read(&self, kept: &KeptRequest) -> Result<Request, ArchiveError> {
        match kept {
            KeptRequest::Inline(deflated) => unpack(deflated),
            KeptRequest::Archived(key) => {
                let bytes = self.get_object(key).await?;
                let document: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| ArchiveError(e.to_string()))?;
                let body = BASE64
                    .decode(document["body_base64"].as_str().unwrap_or_default())
                    .map_err(|e| ArchiveError(e.to_string()))?;
                Ok((header_pairs(&document["headers"]), body))
            }
        }
    }

    /// Stores a JSON object under `key` (overwriting: callers use content-derived keys).
    pub async fn put_object(&self, key: &str, bytes: Vec<u8>) -> Result<(), ArchiveError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| ArchiveError(format!("{}", aws_sdk_s3::Error::from(e))))?;
        Ok(())
    }

    /// The bytes stored under `key`.
    pub async fn get_object(&self, key: &str) -> Result<Vec<u8>, ArchiveError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| ArchiveError(format!("{}", aws_sdk_s3::Error::from(e))))?;
        Ok(object
            .body
            .collect()
            .await
            .map_err(|e| ArchiveError(e.to_string()))?
            .into_bytes()
            .to_vec())
    }
}

fn redacted_headers(headers: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    headers
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let shown = if REDACTED_HEADERS.contains(&lower.as_str()) {
                "[redacted]".to_owned()
            } else {
                value.clone()
            };
            (lower, json!(shown))
        })
        .collect()
}

fn header_pairs(headers: &serde_json::Value) -> Vec<(String, String)> {
    headers
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The headers as one JSON line (compact JSON holds no raw newline), then the body, deflated.
fn pack(
    headers: &serde_json::Map<String, serde_json::Value>,
    body: &[u8],
) -> Result<Vec<u8>, ArchiveError> {
    let mut packed = serde_json::to_vec(&json!({ "headers": headers }))
        .map_err(|e| ArchiveError(e.to_string()))?;
    packed.push(b'\n');
    packed.extend_from_slice(body);
    Ok(miniz_oxide::deflate::compress_to_vec(&packed, 6))
}

fn unpack(deflated: &[u8]) -> Result<Request, ArchiveError> {
    let packed =
        miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, INLINE_INFLATED_LIMIT)
            .map_err(|e| ArchiveError(format!("inline request does not inflate: {e}")))?;
    let split = packed
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| ArchiveError("inline request has no header line".into()))?;
    let head: serde_json::Value =
        serde_json::from_slice(&packed[..split]).map_err(|e| ArchiveError(e.to_string()))?;
    Ok((header_pairs(&head["headers"]), packed[split + 1..].to_vec()))
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_request_reads_back_exactly_with_secrets_redacted() {
        let body = b"{\"title\":\"disk full\"}\n\x00\xff binary tail";
        let headers = redacted_headers(&[
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Authorization".to_owned(), "Bearer secret-token".to_owned()),
        ]);
        let (headers, read) = unpack(&pack(&headers, body).expect("packs")).expect("unpacks");
        assert_eq!(read, body.to_vec(), "the exact bytes, newlines included");
        assert!(headers.contains(&("authorization".into(), "[redacted]".into())));
        assert!(headers.contains(&("content-type".into(), "application/json".into())));
    }

    #[test]
    fn a_corrupt_inline_request_is_an_error_not_a_panic() {
        assert!(unpack(b"not deflate at all").is_err());
        let no_header_line = miniz_oxide::deflate::compress_to_vec(b"{}", 6);
        assert!(unpack(&no_header_line).is_err());
    }
}
