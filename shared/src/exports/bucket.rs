//! Where export files go: an S3 multipart upload fed a part at a time (every part but the last
//! at least S3's 5 MiB), aborted on failure (the bucket's lifecycle rule removes any upload left
//! behind by a function that died), and presigned download links.

use crate::aws::LazyClient;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use std::time::Duration;

/// The size a part is sent at (S3 takes 5 MiB to 5 GiB; the buffer holds about one part).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// An S3 call failed.
#[derive(Debug, thiserror::Error)]
#[error("S3: {0}")]
pub struct BucketError(pub String);

fn s3_error(err: impl std::error::Error) -> BucketError {
    BucketError(aws_sdk_s3::error::DisplayErrorContext(&err).to_string())
}

/// The exports bucket.
#[derive(Clone, Debug)]
pub struct ExportBucket {
    client: LazyClient<Client>,
    bucket: Option<String>,
}

/// One file being written.
#[derive(Debug)]
pub struct Upload {
    client: LazyClient<Client>,
    bucket: String,
    key: String,
    content_type: &'static str,
    /// The multipart upload, once the file outgrew one part.
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    /// Bytes sent so far.
    pub bytes: u64,
}

impl ExportBucket {
    /// The bucket named `bucket` (none where the function never exports).
    pub fn new(client: impl Into<LazyClient<Client>>, bucket: Option<String>) -> Self {
        Self {
            client: client.into(),
            bucket,
        }
    }

    fn name(&self) -> Result<&str, BucketError> {
        self.bucket
            .as_deref()
            .ok_or_else(|| BucketError("FAULTLINE_EXPORTS_BUCKET is not set".into()))
    }

    /// Starts writing `key`: nothing is sent until the first full part.
    pub fn upload(&self, key: &str, content_type: &'static str) -> Result<Upload, BucketError> {
        Ok(Upload {
            client: self.client.clone(),
            bucket: self.name()?.to_owned(),
            key: key.to_owned(),
            content_type,
            upload_id: None,
            parts: Vec::new(),
            bytes: 0,
        })
    }

    /// A link that downloads `key` as `file_name` for `lifetime`.
    pub async fn download_link(
        &self,
        key: &str,
        file_name: &str,
        lifetime: Duration,
    ) -> Result<String, BucketError> {
        let config = PresigningConfig::expires_in(lifetime)
            .map_err(|e| BucketError(format!("link lifetime: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(self.name()?)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .presigned(config)
            .await
            .map_err(s3_error)?;
        Ok(request.uri().to_owned())
    }
}

impl ExportBucket {
    /// A file's bytes (small ones only: an email attachment).
    pub async fn read(&self, key: &str) -> Result<Vec<u8>, BucketError> {
        let object = self
            .client
            .get_object()
            .bucket(self.name()?)
            .key(key)
            .send()
            .await
            .map_err(s3_error)?;
        let body = object
            .body
            .collect()
            .await
            .map_err(|e| BucketError(e.to_string()))?;
        Ok(body.into_bytes().to_vec())
    }

    /// Copies a file into another bucket (the customer's, whose policy lets this role write
    /// there), server side.
    pub async fn copy_to(&self, key: &str, bucket: &str, to_key: &str) -> Result<(), BucketError> {
        self.client
            .copy_object()
            .copy_source(format!("{}/{key}", self.name()?))
            .bucket(bucket)
            .key(to_key)
            .send()
            .await
            .map_err(s3_error)?;
        Ok(())
    }
}

impl Upload {
    /// Sends `bytes` as the next part (at least [`PART_SIZE`] unless it is the last).
    pub async fn part(&mut self, bytes: Vec<u8>) -> Result<(), BucketError> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let created = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .content_type(self.content_type)
                    .send()
                    .await
                    .map_err(s3_error)?;
                let id = created
                    .upload_id
                    .ok_or_else(|| BucketError("no upload id".into()))?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let size = bytes.len() as u64;
        let sent = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(s3_error)?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag)
                .build(),
        );
        self.bytes += size;
        Ok(())
    }

    /// Ends the file with `last` (any size): one `PutObject` when it never outgrew a part.
    pub async fn complete(&mut self, last: Vec<u8>) -> Result<u64, BucketError> {
        if self.upload_id.is_none() {
            let size = last.len() as u64;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type(self.content_type)
                .body(ByteStream::from(last))
                .send()
                .await
                .map_err(s3_error)?;
            return Ok(size);
        }
        if !last.is_empty() {
            self.part(last).await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_upload_id(self.upload_id.clone())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut self.parts)))
                    .build(),
            )
            .send()
            .await
            .map_err(s3_error)?;
        Ok(self.bytes)
    }

    /// Gives up: the parts sent are discarded.
    pub async fn abort(&mut self) -> Result<(), BucketError> {
        if let Some(id) = self.upload_id.take() {
            self.client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id)
                .send()
                .await
                .map_err(s3_error)?;
        }
        Ok(())
    }
}
