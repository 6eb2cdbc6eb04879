use super::*;
use crate::exports::{select, Resource};
use chrono::TimeZone;

fn columns() -> Vec<&'static Column> {
    select(
        Resource::Incidents,
        &[
            "id".into(),
            "created_at".into(),
            "title".into(),
            "status".into(),
            "occurrences".into(),
        ],
    )
    .expect("columns")
}

fn row(n: usize, title: &str) -> Vec<Cell> {
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 8, 30, 0).unwrap();
    vec![
        Cell::Text(format!("inc_{n:06}")),
        Cell::Time(at),
        Cell::Text(title.to_owned()),
        Cell::Text(
            if n.is_multiple_of(3) {
                "resolved"
            } else {
                "open"
            }
            .into(),
        ),
        Cell::Integer(n as i64),
    ]
}

fn pdf(rows: &[Vec<Cell>]) -> Vec<u8> {
    let heading = PdfHeading {
        title: "Incidents — last quarter".into(),
        lines: vec!["Filters: status=open, since 2026-09-01".into()],
    };
    let mut file = Vec::new();
    let mut out = Vec::new();
    let mut writer = Box::new(PdfWriter::start(&columns(), heading, &mut out));
    for chunk in rows.chunks(7) {
        writer.rows(chunk, &mut out).expect("rows");
        // The caller drains the buffer as it goes: offsets must not depend on it.
        file.append(&mut out);
    }
    writer.finish(&mut out).expect("finish");
    file.append(&mut out);
    file
}

fn extracted(file: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("faultline-pdf-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("export.pdf");
    std::fs::write(&path, file).expect("write");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (make test installs poppler-utils)");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        output.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn every_cross_reference_points_at_its_object() {
    let file = pdf(&(0..100).map(|n| row(n, "title")).collect::<Vec<_>>());
    let xref = file
        .windows(6)
        .rposition(|w| w == b"\nxref\n")
        .expect("xref")
        + 1;
    let tail = std::str::from_utf8(&file[xref..]).expect("the table is ASCII");
    let entries: Vec<&str> = tail
        .lines()
        .skip(3)
        .take_while(|l| l.ends_with(" n "))
        .collect();
    assert!(entries.len() > 10);
    for (i, entry) in entries.iter().enumerate() {
        let offset: usize = entry[..10].parse().expect("offset");
        let expected = format!("{} 0 obj", i + 1);
        assert_eq!(
            &file[offset..offset + expected.len()],
            expected.as_bytes(),
            "object {}",
            i + 1
        );
    }
    let start: usize = tail
        .trim_end()
        .lines()
        .rev()
        .nth(1)
        .expect("startxref")
        .parse()
        .expect("n");
    assert_eq!(start, xref);
}

#[test]
fn pdftotext_reads_back_the_title_filters_summary_rows_and_page_numbers() {
    let mut rows: Vec<Vec<Cell>> = (0..90).map(|n| row(n, "checkout timed out")).collect();
    rows.push(row(90, "Ünïcødé Ошибка Ω <script>alert(1)</script>"));
    let text = extracted(&pdf(&rows));
    let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();
    for expected in [
        "Incidents — last quarter",
        "Filters: status=open, since 2026-09-01",
        "Rows: 91",
        "By status: open 60 · resolved 31",
        "inc_000042",
        "2026-12-07 08:30:00",
        "checkout timed out",
        "Ünïcødé Ошибка Ω <script>",
        "Page 1 of",
        &format!("Page {pages} of {pages}"),
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(pages >= 3, "a cover and at least two table pages: {pages}");
}

#[test]
fn an_empty_export_is_a_cover_that_says_so() {
    let text = extracted(&pdf(&[]));
    assert!(text.contains("Rows: 0"), "{text}");
    assert!(text.contains("Nothing matched the filters."), "{text}");
    assert!(text.contains("Page 1 of 1"), "{text}");
}

#[test]
fn text_wider_than_its_column_is_cut_with_an_ellipsis() {
    let long = "x".repeat(400);
    let text = extracted(&pdf(&[row(1, &long)]));
    assert!(text.contains("xxx…"), "{text}");
    assert!(!text.contains(&long), "{text}");
}

#[test]
fn the_embedded_font_is_only_the_glyphs_used() {
    let file = pdf(&[row(1, "abc")]);
    assert!(file.len() < 60_000, "{} bytes", file.len());
}
