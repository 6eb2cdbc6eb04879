//! `make openapi`: writes the generated OpenAPI document to `functions/api/openapi.json`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(faultline_openapi::COMMITTED_PATH);
    std::fs::write(&path, faultline_openapi::render())?;
    println!("wrote {}", faultline_openapi::COMMITTED_PATH);
    Ok(())
}
