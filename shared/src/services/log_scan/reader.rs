//! `FilterLogEvents` as the scan calls it: one page of a window, paced under the account's
//! 5 requests a second, with the SDK's own retries for throttling and its errors sorted into
//! what needs a person and what passes.

use crate::logs::records::LogLine;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError;
use std::time::Duration;
use tokio::time::Instant;

/// Events asked for in one page.
pub const PAGE_LIMIT: i32 = 1_000;
/// The least time between two calls of one scanner: at most 4 a second, under the account's
/// `FilterLogEvents` quota of 5.
pub const PACE: Duration = Duration::from_millis(250);

/// One page.
#[derive(Debug, Default)]
pub struct LogPage {
    /// Its events, by time.
    pub lines: Vec<LogLine>,
    /// The token of the next page: present while more may remain (a page can be empty and still
    /// have one).
    pub next_token: Option<String>,
}

/// Why a read failed.
#[derive(Debug, PartialEq)]
pub enum ReadFailure {
    /// The group is missing, or the hub may not read it (needs a person).
    Broken(String),
    /// Throttled beyond the SDK's retries, or the service unavailable (passes).
    Degraded(String),
}

/// What one call asks.
#[derive(Clone, Debug)]
pub struct PageQuery<'a> {
    /// Group name or ARN.
    pub group: &'a str,
    /// Only this stream, when set.
    pub stream: Option<&'a str>,
    /// Filter pattern ("" for everything).
    pub pattern: &'a str,
    /// First millisecond.
    pub start_ms: i64,
    /// Last millisecond (inclusive).
    pub end_ms: i64,
    /// Continue a window.
    pub next_token: Option<String>,
}

/// The client that reads `source`: the function's own, or one holding the credentials of the
/// source's role (assumed for 15 minutes, with its external id), in the group's region when the
/// group is an ARN.
pub async fn client_for(
    state: &crate::AppState,
    source: &crate::domain::LogSource,
) -> Result<aws_sdk_cloudwatchlogs::Client, ReadFailure> {
    let region = crate::domain::log_source::group_region(&source.log_group);
    let Some(role) = &source.role_arn else {
        return Ok(match region {
            Some(region) => aws_sdk_cloudwatchlogs::Client::from_conf(
                state
                    .logs
                    .config()
                    .to_builder()
                    .region(aws_sdk_cloudwatchlogs::config::Region::new(
                        region.to_owned(),
                    ))
                    .build(),
            ),
            None => (*state.logs).clone(),
        });
    };
    let assumed = state
        .sts
        .assume_role()
        .role_arn(role)
        .role_session_name(format!("faultline-log-scan-{}", source.id))
        .set_external_id(source.external_id.clone())
        .duration_seconds(900)
        .send()
        .await
        .map_err(|e| {
            let e = e.into_service_error();
            ReadFailure::Broken(format!(
                "AssumeRole {role}: {}",
                aws_sdk_sts::error::ProvideErrorMetadata::message(&e)
                    .or(aws_sdk_sts::error::ProvideErrorMetadata::code(&e))
                    .unwrap_or("refused")
            ))
        })?;
    let credentials = assumed
        .credentials
        .ok_or_else(|| ReadFailure::Broken(format!("AssumeRole {role}: no credentials")))?;
    let expiry = std::time::SystemTime::try_from(credentials.expiration).ok();
    let provider = aws_sdk_cloudwatchlogs::config::Credentials::new(
        credentials.access_key_id,
        credentials.secret_access_key,
        Some(credentials.session_token),
        expiry,
        "faultline-log-source-role",
    );
    let mut config = state
        .logs
        .config()
        .to_builder()
        .credentials_provider(provider);
    if let Some(region) = region {
        config = config.region(aws_sdk_cloudwatchlogs::config::Region::new(
            region.to_owned(),
        ));
    }
    Ok(aws_sdk_cloudwatchlogs::Client::from_conf(config.build()))
}

/// Calls `FilterLogEvents` no sooner than [`PACE`] after `last_call`.
pub async fn read_page(
    client: &aws_sdk_cloudwatchlogs::Client,
    query: PageQuery<'_>,
    last_call: &mut Option<Instant>,
) -> Result<LogPage, ReadFailure> {
    if let Some(last) = *last_call {
        tokio::time::sleep_until(last + PACE).await;
    }
    *last_call = Some(Instant::now());
    // A name goes as `logGroupName`, an ARN (without its `:*`) as `logGroupIdentifier`: never
    // both, as the API asks.
    let request = client.filter_log_events();
    let mut request = match query.group.strip_prefix("arn:") {
        Some(_) => request.log_group_identifier(query.group.trim_end_matches(":*")),
        None => request.log_group_name(query.group),
    }
    .start_time(query.start_ms)
    .end_time(query.end_ms)
    .limit(PAGE_LIMIT)
    .set_next_token(query.next_token);
    if !query.pattern.is_empty() {
        request = request.filter_pattern(query.pattern);
    }
    if let Some(stream) = query.stream {
        request = request.log_stream_names(stream);
    }
    let output = request.send().await.map_err(|e| {
        let e = e.into_service_error();
        let detail = format!(
            "FilterLogEvents on {}: {}",
            query.group,
            e.message().unwrap_or(e.code().unwrap_or("failed"))
        );
        match &e {
            FilterLogEventsError::ResourceNotFoundException(_)
            | FilterLogEventsError::InvalidParameterException(_) => ReadFailure::Broken(detail),
            other if other.code() == Some("AccessDeniedException") => ReadFailure::Broken(detail),
            _ => ReadFailure::Degraded(detail),
        }
    })?;
    let lines = output
        .events
        .unwrap_or_default()
        .into_iter()
        .filter_map(|event| {
            Some(LogLine {
                id: event.event_id?,
                stream: event.log_stream_name.unwrap_or_default(),
                timestamp_ms: event.timestamp?,
                message: event.message.unwrap_or_default(),
            })
        })
        .collect();
    Ok(LogPage {
        lines,
        next_token: output.next_token.filter(|t| !t.is_empty()),
    })
}
