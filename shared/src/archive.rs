//! The S3 bucket: raw inbound requests, archived before processing so any delivery can be inspected
//! or replayed (exact body bytes in base64, headers with secrets redacted), and outgoing message
//! bodies too large for a table item.

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
    client: Client,
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

/// Archiving failed.
#[derive(Debug, thiserror::Error)]
#[error("s3: {0}")]
pub struct ArchiveError(String);

impl RawArchive {
    /// An archive in `bucket`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
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

    /// Reads an archived request back: its headers and exact body bytes.
    pub async fn get(&self, key: &str) -> Result<(Vec<(String, String)>, Vec<u8>), ArchiveError> {
        let bytes = self.get_object(key).await?;
        let document: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError(e.to_string()))?;
        let headers = document["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let body = BASE64
            .decode(document["body_base64"].as_str().unwrap_or_default())
            .map_err(|e| ArchiveError(e.to_string()))?;
        Ok((headers, body))
    }

    /// Stores the request; returns its key.
    pub async fn put(&self, request: &RawRequest<'_>) -> Result<String, ArchiveError> {
        let key = Self::key_for(request);
        let headers: serde_json::Map<String, serde_json::Value> = request
            .headers
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
            .collect();
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
        Ok(key)
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
