//! Gzip for pages: API Gateway's HTTP API does not compress, so the console does, for clients
//! that accept it (every browser). Responses already encoded (the assets) are left alone.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// Bodies smaller than this are sent as they are (gzip would not pay for its header).
const MIN_BYTES: usize = 1024;
/// The largest page the layer compresses (anything larger passes through).
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// `bytes` gzip-compressed.
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Whether the request accepts gzip.
pub fn accepts_gzip(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Compresses text answers for clients that accept gzip.
pub async fn gzip(req: Request, next: Next) -> Response {
    let accepts = accepts_gzip(req.headers());
    let response = next.run(req).await;
    let textual = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/") || t.starts_with("image/svg"));
    if !accepts
        || !textual
        || response
            .headers()
            .contains_key(http::header::CONTENT_ENCODING)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BYTES).await else {
        parts.status = http::StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    parts.headers.append(
        http::header::VARY,
        http::HeaderValue::from_static("Accept-Encoding"),
    );
    if bytes.len() < MIN_BYTES {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    parts.headers.insert(
        http::header::CONTENT_ENCODING,
        http::HeaderValue::from_static("gzip"),
    );
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(gzip_bytes(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_unless_refused() {
        let headers = |value: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(
                http::header::ACCEPT_ENCODING,
                value.parse().expect("a header value"),
            );
            h
        };
        assert!(accepts_gzip(&headers("gzip, deflate, br")));
        assert!(accepts_gzip(&headers("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&headers("gzip;q=0, br")));
        assert!(!accepts_gzip(&headers("identity")));
        assert!(!accepts_gzip(&http::HeaderMap::new()));
    }

    #[test]
    fn compressed_bytes_inflate_back() {
        use std::io::Read;
        let text = "incident ".repeat(500);
        let packed = gzip_bytes(text.as_bytes());
        assert!(packed.len() < text.len() / 10);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut out)
            .expect("inflates");
        assert_eq!(out, text);
    }
}
