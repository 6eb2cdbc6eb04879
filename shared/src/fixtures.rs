//! The providers' recorded payloads (`tests/fixtures/providers`), for unit tests.

/// A fixture's bytes.
pub fn bytes(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/providers/");
    std::fs::read(format!("{path}{name}")).expect("fixture")
}

/// A fixture as JSON.
pub fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&bytes(name)).expect("JSON fixture")
}
