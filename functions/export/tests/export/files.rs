//! What the files hold, read back the way their users read them.

use crate::TenantStack;
use faultline::domain::IncidentStatus;
use serde_json::{json, Value};

fn python() -> String {
    std::env::var("FAULTLINE_PYTHON").unwrap_or_else(|_| {
        faultline_testkit::workspace_root()
            .join(".venv/bin/python")
            .to_string_lossy()
            .into_owned()
    })
}

fn temp_file(bytes: &[u8], extension: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("faultline-{}.{extension}", ulid::Ulid::new()));
    std::fs::write(&path, bytes).expect("write");
    path
}

#[tokio::test]
async fn a_csv_export_holds_the_filtered_rows_with_formulas_neutralised() {
    let t = TenantStack::new().await;
    let incidents =
        faultline_testkit::synthetic_incidents(&t.tenant, 9, chrono::Utc::now(), |i, incident| {
            if i == 3 {
                incident.title = "=HYPERLINK(\"http://evil.example\",\"click\")".into();
            }
        });
    let resolved = incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Resolved)
        .count();
    t.import(&incidents).await;
    let (id, file) = t
        .export(json!({
            "resource": "incidents", "format": "csv", "bom": true,
            "filters": {"status": "resolved"},
            "columns": ["id", "title", "status", "occurrences", "created_at"],
        }))
        .await;
    let text = String::from_utf8(file).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "id,title,status,occurrences,created_at");
    assert_eq!(lines.len() - 1, resolved, "{text}");
    assert!(
        lines[1..].iter().all(|l| l.contains(",resolved,1,")),
        "{text}"
    );
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""),
        "{text}"
    );
    let view = t.job(&id).await;
    assert_eq!(view["rows"], resolved);
    assert_eq!(view["bytes"].as_u64(), Some(text.len() as u64 + 3));
    assert!(view["file_name"].as_str().expect("name").ends_with(".csv"));
}

#[tokio::test]
async fn an_xlsx_export_opens_in_openpyxl_typed_with_a_frozen_header_and_an_autofilter() {
    let t = TenantStack::new().await;
    t.seed(12).await;
    let (_, file) = t
        .export(json!({"resource": "incidents", "format": "xlsx",
                        "columns": ["id", "created_at", "title", "occurrences", "resolved_at"]}))
        .await;
    let path = temp_file(&file, "xlsx");
    let script = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
sheet = book.active
rows = list(sheet.iter_rows(values_only=True))
print(json.dumps({
    "title": sheet.title, "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref,
    "header": list(rows[0]), "rows": len(rows) - 1,
    "types": [type(v).__name__ for v in rows[1]],
    "bold": sheet["A1"].font.bold,
}))
"#;
    let output = std::process::Command::new(python())
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python runs (make test installs openpyxl into .venv)");
    std::fs::remove_file(&path).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(read["freeze"], "A2");
    assert_eq!(read["filter"], "A1:E13");
    assert_eq!(read["bold"], true);
    assert_eq!(
        read["header"],
        json!(["id", "created_at", "title", "occurrences", "resolved_at"])
    );
    assert_eq!(read["rows"], 12);
    // The first synthetic incident is resolved: every column typed.
    assert_eq!(
        read["types"],
        json!(["str", "datetime", "str", "int", "datetime"])
    );
}

#[tokio::test]
async fn a_pdf_export_reads_back_with_pdftotext() {
    let t = TenantStack::new().await;
    t.import(&faultline_testkit::synthetic_incidents(
        &t.tenant,
        60,
        chrono::Utc::now(),
        |i, incident| {
            if i == 8 {
                incident.title = "<b>Ошибка</b> in checkout".into();
            }
        },
    ))
    .await;
    let (_, file) = t
        .export(json!({"resource": "incidents", "format": "pdf",
                        "title": "Incidents, last quarter",
                        "filters": {"service": "checkout"}}))
        .await;
    let path = temp_file(&file, "pdf");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (make test installs poppler-utils)");
    std::fs::remove_file(&path).ok();
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    for expected in [
        "Incidents, last quarter",
        "Filters: service=checkout",
        "Rows: 15",
        "By severity:",
        "<b>Ошибка</b> in checkout",
        "Page 1 of 2",
        "Page 2 of 2",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn json_ndjson_and_audit_exports_hold_typed_objects() {
    let t = TenantStack::new().await;
    t.seed(4).await;
    let (_, file) = t
        .export(json!({"resource": "incidents", "format": "json",
                        "columns": ["id", "occurrences", "acknowledged_at"]}))
        .await;
    let rows: Vec<Value> = serde_json::from_slice(&file).expect("a JSON array");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["occurrences"], 1);
    assert!(rows[0]["acknowledged_at"].is_string(), "{rows:?}");
    assert!(rows[2]["acknowledged_at"].is_null(), "{rows:?}");

    // The exports asked for so far are in the audit log (the API audits every POST).
    let (_, file) = t
        .export(json!({"resource": "audit", "format": "ndjson",
                        "filters": {"action": "POST /v1/exports"}}))
        .await;
    let entries: Vec<Value> = String::from_utf8(file)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // Both requests, this one's first (newest first, as the log lists them).
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["action"], "POST /v1/exports");
    assert!(entries[0]["seq"].as_u64() > entries[1]["seq"].as_u64());
    assert_eq!(entries[0]["status"], 202);
    assert!(entries[0]["seq"].is_u64());
}

#[tokio::test]
async fn a_file_larger_than_a_part_goes_up_in_parts() {
    let t = TenantStack::new().await;
    let description = faultline_testkit::incompressible(4_000);
    let incidents =
        faultline_testkit::synthetic_incidents(&t.tenant, 2_400, chrono::Utc::now(), |_, i| {
            i.description = Some(description.clone());
        });
    t.import(&incidents).await;
    let (id, file) = t
        .export(json!({"resource": "incidents", "format": "ndjson",
                        "columns": ["id", "description"]}))
        .await;
    assert_eq!(String::from_utf8_lossy(&file).lines().count(), 2_400);
    let view = t.job(&id).await;
    let key = format!(
        "exports/{}/{}",
        t.tenant,
        view["file_name"].as_str().expect("name")
    );
    let head = t
        .stack
        .clients
        .s3
        .head_object()
        .bucket(
            t.stack
                .harness
                .config
                .exports_bucket
                .clone()
                .expect("bucket"),
        )
        .key(key)
        .send()
        .await
        .expect("the file");
    let etag = head.e_tag().unwrap_or_default();
    assert!(etag.trim_matches('"').ends_with("-2"), "two parts: {etag}");
    assert_eq!(head.content_length(), Some(file.len() as i64));
}
