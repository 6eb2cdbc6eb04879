//! Console figures on the local stack (release): the first load of the incidents page as a
//! browser makes it — the gzip-compressed page plus every asset it links, bytes on the wire — and
//! the server time of each page over 1,000 incidents (request to last byte over loopback,
//! through the local gateway, the console function and the AWS emulator; median and p90 of 20).
//! Prints figures; asserts nothing.
//! `cargo run --release -p faultline-e2e --bin console-figures` (part of `make bench`).

use faultline_e2e::Hub;
use serde_json::json;
use std::time::{Duration, Instant};

const INCIDENTS: usize = 1_000;
const RUNS: usize = 20;

fn cookie_of(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

fn csrf_of(page: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    page.find(marker)
        .map(|i| &page[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let emulator = faultline_emulator::Emulator::start(faultline_emulator::free_port()?)?;
    let hub = Hub::start_on(&emulator.endpoint(), "1,2").await?;
    let key = hub.tenant().await;
    let (_, me) = hub.get("/v1/auth/verify", &key).await;
    let tenant = faultline::domain::TenantId::parse(me["tenant_id"].as_str().unwrap_or_default())
        .ok_or_else(|| anyhow::anyhow!("no tenant in {me}"))?;
    let (status, user) = hub
        .post(
            "/v1/users",
            &key,
            &json!({"email": "ops@example.com", "password": "correct horse battery staple", "role": "admin"}),
        )
        .await;
    anyhow::ensure!(status == 201, "user: {user}");
    let incidents =
        faultline_testkit::synthetic_incidents(&tenant, INCIDENTS, chrono::Utc::now(), |_, _| {});
    hub.hub.state.store.import_incidents(&incidents).await?;
    let first = incidents
        .first()
        .map(|i| i.id.to_string())
        .unwrap_or_default();

    // Sign in as a browser does: the form's cookie and token, then the session cookie.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = http.get(hub.url("/console/sign-in")).send().await?;
    let sign_in_cookie = cookie_of(&form, "fl_signin").unwrap_or_default();
    let csrf = csrf_of(&form.text().await?);
    let signed_in = http
        .post(hub.url("/console/sign-in"))
        .header("cookie", &sign_in_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([
            ("_csrf", csrf.as_str()),
            ("tenant", tenant.as_str()),
            ("email", "ops@example.com"),
            ("password", "correct horse battery staple"),
        ])?)
        .send()
        .await?;
    let session = cookie_of(&signed_in, "fl_session")
        .ok_or_else(|| anyhow::anyhow!("not signed in: {}", signed_in.status()))?;

    // First load: the page and each asset it links, gzip as every browser asks.
    let get = |path: String| {
        http.get(hub.url(&path))
            .header("cookie", &session)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
    };
    let page = get("/console/incidents".into()).await?;
    let encoding = page
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    let page_bytes = page.bytes().await?;
    let html = {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(&page_bytes[..]).read_to_string(&mut text)?;
        text
    };
    let assets: Vec<String> = html
        .match_indices("/console/assets/")
        .filter_map(|(i, _)| html[i..].split('"').next().map(str::to_owned))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    println!("console figures: {INCIDENTS} incidents, release build, local stack");
    println!();
    println!("first load of /console/incidents (bytes on the wire, compressed)");
    println!(
        "  {:<44} {:>8} ({encoding}, {} uncompressed)",
        "page",
        page_bytes.len(),
        html.len()
    );
    let mut total = page_bytes.len();
    for asset in &assets {
        let response = get(asset.clone()).await?;
        let bytes = response.bytes().await?.len();
        total += bytes;
        println!("  {asset:<44} {bytes:>8}");
    }
    println!(
        "  {:<44} {total:>8} bytes = {:.1} KB",
        "total",
        total as f64 / 1024.0
    );
    println!();

    let pages = [
        "/console/incidents".to_owned(),
        "/console/incidents?severity=critical&status=open".to_owned(),
        "/console/incidents?q=checkout".to_owned(),
        format!("/console/incidents/{first}"),
        "/console/projects".to_owned(),
        "/console/endpoints".to_owned(),
        "/console/exports".to_owned(),
        "/console/reports".to_owned(),
    ];
    // The same reads through the API with the session's own token: what the console adds.
    let token = session.trim_start_matches("fl_session=").to_owned();
    let api_get = |path: String| {
        http.get(hub.url(&path))
            .bearer_auth(&token)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
    };
    let api_pages = [
        "/v1/incidents?limit=50".to_owned(),
        format!("/v1/incidents/{first}"),
        "/v1/reports/summary".to_owned(),
    ];
    println!("server time per page over {INCIDENTS} incidents (median / p90 of {RUNS})");
    for (path, via_api) in pages
        .iter()
        .map(|p| (p, false))
        .chain(api_pages.iter().map(|p| (p, true)))
    {
        let mut samples = Vec::with_capacity(RUNS);
        let mut status = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let response = if via_api {
                api_get(path.clone()).await?
            } else {
                get(path.clone()).await?
            };
            status = response.status().as_u16();
            let _ = response.bytes().await?;
            samples.push(started.elapsed());
        }
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  {path:<52} {status}  {:>7.1} ms  {:>7.1} ms",
            ms(samples[RUNS / 2]),
            ms(samples[RUNS * 9 / 10])
        );
    }
    Ok(())
}
