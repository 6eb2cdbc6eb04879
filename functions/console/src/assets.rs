//! The console's static files, embedded in the binary and served with a content hash in their
//! links (so browsers keep them for a year and a new build is fetched at once), gzip-compressed
//! once per container.

use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/console.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/htmx.min.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/icon.svg"),
    },
];

/// Each asset's content hash and gzip form, computed once.
struct Prepared {
    hash: String,
    gzip: Vec<u8>,
}

fn prepared() -> &'static [Prepared] {
    static PREPARED: OnceLock<Vec<Prepared>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| Prepared {
                hash: hex::encode(&Sha256::digest(asset.bytes)[..6]),
                gzip: crate::compress::gzip_bytes(asset.bytes),
            })
            .collect()
    })
}

/// The link to asset `name`, with its content hash: `/console/assets/console.css?v=…`.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/console/assets/{name}?v={}", prepared()[i].hash),
        None => format!("/console/assets/{name}"),
    }
}

/// `GET /console/assets/{name}`.
pub async fn serve(
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: http::HeaderMap,
) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return crate::error::ConsoleError::NotFound.into_response();
    };
    let asset = &ASSETS[i];
    let gzip = crate::compress::accepts_gzip(&headers);
    let body = if gzip {
        prepared()[i].gzip.clone()
    } else {
        asset.bytes.to_vec()
    };
    let mut response = (
        [
            (http::header::CONTENT_TYPE, asset.content_type),
            (
                http::header::CACHE_CONTROL,
                "public, max-age=31536000, immutable",
            ),
            (http::header::VARY, "Accept-Encoding"),
        ],
        body,
    )
        .into_response();
    if gzip {
        response.headers_mut().insert(
            http::header::CONTENT_ENCODING,
            http::HeaderValue::from_static("gzip"),
        );
    }
    response
}
