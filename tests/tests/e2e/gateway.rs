//! The local API Gateway in front of the functions: exact bytes reach the handler, limits and
//! unknown routes answer as API Gateway and the handlers do.

use faultline::signing::hmac_sha256::hmac_sha256;
use faultline_e2e::Hub;
use serde_json::json;

#[tokio::test]
async fn signatures_verify_over_the_exact_bytes_sent() {
    let hub = Hub::start("1").await;
    let key = hub.tenant().await;
    let secret = "exact-bytes-secret-000001";
    let (_, integration) = hub
        .post(
            "/v1/integrations",
            &key,
            &json!({"source": "generic", "name": "raw", "secret": secret}),
        )
        .await;
    // Pretty-printed, CRLF, tabs, escaped and raw non-ASCII: any re-serialisation breaks the HMAC.
    let body =
        "{\r\n\t\"title\" : \"Caf\\u00e9 down — ünïcode\",\r\n\t\"severity\":\"low\"\r\n}\r\n";
    let signature = hex::encode(hmac_sha256(secret.as_bytes(), body.as_bytes()));
    let (status, accepted) = hub
        .send(
            hub.http
                .post(hub.url(integration["webhook_path"].as_str().unwrap_or_default()))
                .header("x-signature-256", format!("sha256={signature}"))
                .body(body),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    let (_, incident) = hub
        .get(
            &format!(
                "/v1/incidents/{}",
                accepted["incident_id"].as_str().unwrap_or_default()
            ),
            &key,
        )
        .await;
    assert_eq!(incident["title"], "Café down — ünïcode");
}

#[tokio::test]
async fn oversized_bodies_and_unknown_routes_are_refused() {
    let hub = Hub::start("1").await;
    let key = hub.tenant().await;
    let (_, integration) = hub
        .post(
            "/v1/integrations",
            &key,
            &json!({"source": "generic", "name": "big", "unsigned": true}),
        )
        .await;
    let path = integration["webhook_path"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let response = hub
        .http
        .post(hub.url(&path))
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );

    let (status, body) = hub.send(hub.http.get(hub.url("/v1/nothing-here"))).await;
    assert_eq!((status, body), (404, json!({"message": "Not Found"})));
    let (status, _) = hub.send(hub.http.get(hub.url("/health"))).await;
    assert_eq!(status, 200);
    let (_, incidents) = hub.get("/v1/incidents", &key).await;
    assert_eq!(incidents["items"], json!([]));
}
