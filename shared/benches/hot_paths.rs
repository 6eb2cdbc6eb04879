//! Hot paths of a webhook's life: verifying and normalising an inbound alert, sealing secrets, and
//! signing an outgoing message. `make bench` prints these.

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use faultline::domain::Fingerprint;
use faultline::secrets::SecretCipher;
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::signing::{verify_sha256_hex_signature, WebhookSecret};
use faultline::sources::generic::{parse_generic_alert, verify_generic_signature};
use faultline::sources::Headers;
use std::hint::black_box;

fn sample_alert() -> Vec<u8> {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/webhook-generic/receive.json"
    ))
    .expect("sample event");
    let event: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    event["body"].as_str().expect("body").as_bytes().to_vec()
}

fn inbound(c: &mut Criterion) {
    let body = sample_alert();
    let secret = "a-long-shared-secret-1234";
    let signature = format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &body))
    );
    let mut headers = Headers::new();
    headers.insert("x-signature-256", &signature);
    let now = Utc::now();

    let mut group = c.benchmark_group("inbound generic alert");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("hmac verify only", |b| {
        b.iter(|| verify_sha256_hex_signature(secret.as_bytes(), black_box(&body), &signature))
    });
    group.bench_function("hmac verify + JSON parse", |b| {
        b.iter(|| {
            assert!(verify_sha256_hex_signature(
                secret.as_bytes(),
                black_box(&body),
                &signature
            ));
            serde_json::from_slice::<serde_json::Value>(black_box(&body)).expect("JSON")
        })
    });
    group.bench_function("verify + parse + normalise to a signal", |b| {
        b.iter(|| {
            verify_generic_signature(secret, &headers, black_box(&body), now).expect("valid");
            let serde_json::Value::Object(map) =
                serde_json::from_slice(black_box(&body)).expect("JSON")
            else {
                unreachable!()
            };
            parse_generic_alert(map, now).expect("valid alert")
        })
    });
    group.bench_function("fingerprint", |b| {
        b.iter(|| {
            Fingerprint::from_parts(
                "generic",
                black_box("Disk almost full on db-1"),
                "postgres",
                "production",
            )
        })
    });
    group.finish();
}

fn secrets(c: &mut Criterion) {
    let cipher = SecretCipher::from_key_material(
        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    )
    .expect("64 bytes is a key");
    let sealed = cipher.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "endpoint/t/e");
    c.bench_function("open a sealed endpoint secret (AES-256-GCM)", |b| {
        b.iter(|| {
            cipher
                .open(black_box(&sealed), "endpoint/t/e")
                .expect("opens")
        })
    });
}

fn outbound(c: &mut Criterion) {
    let secret = WebhookSecret::generate();
    let mut group = c.benchmark_group("standard webhooks sign+verify");
    for size in [1024usize, 64 * 1024] {
        let body = vec![b'x'; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{} KiB", size / 1024)),
            &body,
            |b, body| {
                b.iter(|| {
                    let signature =
                        secret.sign("msg_01JD0000000000000000000000", 1_795_255_200, body);
                    secret
                        .verify(
                            "msg_01JD0000000000000000000000",
                            "1795255200",
                            &signature,
                            body,
                            1_795_255_200,
                        )
                        .expect("verifies")
                })
            },
        );
    }
    group.finish();
}

/// The CPU part of authenticating a request (the key lookup itself is a DynamoDB read): digest
/// the presented key, compare it in constant time, check the scope; and verifying an access token.
fn auth(c: &mut Criterion) {
    use faultline::auth::jwt::{verify, Claims, SigningKey, AUDIENCE, ISSUER};
    use faultline::auth::{key_digest, ApiKey};
    use faultline::domain::Scope;
    use subtle::ConstantTimeEq;
    let key = ApiKey::generate();
    let stored = key.digest();
    let scopes = Scope::ALL.to_vec();
    c.bench_function(
        "auth: API key digest + constant-time compare + scope check",
        |b| {
            b.iter(|| {
                let presented = black_box(key.expose());
                let parsed = ApiKey::parse(presented).expect("shape");
                let ok: bool = key_digest(presented)
                    .as_bytes()
                    .ct_eq(stored.as_bytes())
                    .into();
                ok && parsed.id().as_str().len() == 12 && scopes.contains(&Scope::IncidentsRead)
            })
        },
    );
    let signing = SigningKey::from_material(
        b"a-64-character-secret-from-secrets-manager-0123456789abcdefghij",
    )
    .expect("a key");
    let now = Utc::now().timestamp();
    let token = signing.sign(&Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: "key:abcdefghijkl".into(),
        tid: "ten_01JD0000000000000000000000".into(),
        scope: Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        iat: now,
        nbf: now,
        exp: now + 86_400,
        jti: "01JD0000000000000000000000".into(),
        gen: Some(0),
    });
    let keys = [signing];
    c.bench_function("auth: access token verify (HS256 + claims)", |b| {
        b.iter(|| verify(black_box(&token), &keys, now).expect("valid"))
    });
}

criterion_group!(benches, inbound, secrets, outbound, auth);
criterion_main!(benches);
