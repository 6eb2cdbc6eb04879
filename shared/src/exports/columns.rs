//! The columns each exportable list offers: the list API's field names (a nested field as
//! `parent.child`), each with its type, so a spreadsheet gets numbers and dates, not text.

use serde::{Deserialize, Serialize};

/// What an export lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    /// `GET /v1/incidents`: incidents and issues.
    Incidents,
    /// `GET /v1/issues`: error-tracker issues only.
    Issues,
    /// `GET /v1/messages`: the delivery ledger.
    Messages,
    /// `GET /v1/audit`: the audit log.
    Audit,
}

impl Resource {
    /// The name shown in titles and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incidents => "incidents",
            Self::Issues => "issues",
            Self::Messages => "messages",
            Self::Audit => "audit",
        }
    }
}

/// How a column's values are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// Whole numbers.
    Integer,
    /// Points in time (RFC 3339 in the view).
    Time,
}

/// One column an export may include.
#[derive(Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name: the view's field (`endpoints_by_status.failed` for a nested one).
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
    /// Its share of a PDF page's width, relative to the other columns shown.
    pub weight: u8,
    /// Included when the export names no columns.
    pub default: bool,
    /// Counted by value in the PDF's summary (a small set of values: a status, a severity).
    pub summarised: bool,
}

impl Column {
    const fn new(name: &'static str, kind: ColumnKind, weight: u8, default: bool) -> Self {
        Self {
            name,
            kind,
            weight,
            default,
            summarised: false,
        }
    }

    const fn counted(mut self) -> Self {
        self.summarised = true;
        self
    }

    /// The JSON pointer of its value in the view.
    pub fn pointer(&self) -> String {
        format!("/{}", self.name.replace('.', "/"))
    }
}

use ColumnKind::{Integer, Text, Time};

const INCIDENT_COLUMNS: &[Column] = &[
    Column::new("id", Text, 5, true),
    Column::new("created_at", Time, 3, true),
    Column::new("title", Text, 9, true),
    Column::new("status", Text, 2, true).counted(),
    Column::new("severity", Text, 2, true).counted(),
    Column::new("source", Text, 2, true).counted(),
    Column::new("kind", Text, 2, false).counted(),
    Column::new("service", Text, 3, true),
    Column::new("environment", Text, 2, true),
    Column::new("occurrences", Integer, 2, true),
    Column::new("acknowledged_at", Time, 3, true),
    Column::new("resolved_at", Time, 3, true),
    Column::new("assignee", Text, 3, false),
    Column::new("project_id", Text, 5, false),
    Column::new("description", Text, 8, false),
    Column::new("fingerprint", Text, 5, false),
    Column::new("upstream_id", Text, 3, false),
    Column::new("priority", Text, 2, false),
    Column::new("integration_id", Text, 5, false),
    Column::new("url", Text, 6, false),
    Column::new("first_seen_at", Time, 3, false),
    Column::new("last_seen_at", Time, 3, false),
    Column::new("updated_at", Time, 3, false),
];

const MESSAGE_COLUMNS: &[Column] = &[
    Column::new("id", Text, 5, true),
    Column::new("created_at", Time, 3, true),
    Column::new("event_type", Text, 4, true).counted(),
    Column::new("status", Text, 2, true).counted(),
    Column::new("endpoints_by_status.succeeded", Integer, 2, true),
    Column::new("endpoints_by_status.failed", Integer, 2, true),
    Column::new("endpoints_by_status.exhausted", Integer, 2, true),
    Column::new("endpoints_by_status.pending", Integer, 2, true),
    Column::new("event_id", Text, 5, false),
    Column::new("payload_bytes", Integer, 2, false),
    Column::new("payload_stored", Text, 2, false),
];

const AUDIT_COLUMNS: &[Column] = &[
    Column::new("seq", Integer, 1, true),
    Column::new("at", Time, 3, true),
    Column::new("actor", Text, 4, true).counted(),
    Column::new("action", Text, 6, true).counted(),
    Column::new("resource_type", Text, 3, false),
    Column::new("resource_id", Text, 5, true),
    Column::new("status", Integer, 1, true),
    Column::new("source_ip", Text, 3, true),
    Column::new("request_id", Text, 4, false),
    Column::new("detail", Text, 6, false),
    Column::new("diff", Text, 8, false),
    Column::new("prev_hash", Text, 6, false),
    Column::new("hash", Text, 6, false),
];

/// Every column `resource` offers, the defaults first in their order.
pub fn catalogue(resource: Resource) -> &'static [Column] {
    match resource {
        Resource::Incidents | Resource::Issues => INCIDENT_COLUMNS,
        Resource::Messages => MESSAGE_COLUMNS,
        Resource::Audit => AUDIT_COLUMNS,
    }
}

/// The columns of `resource` named by `names`, in that order (its defaults when there are none);
/// the names it does not offer as the error.
pub fn select(resource: Resource, names: &[String]) -> Result<Vec<&'static Column>, Vec<String>> {
    let all = catalogue(resource);
    if names.is_empty() {
        return Ok(all.iter().filter(|c| c.default).collect());
    }
    let mut unknown = Vec::new();
    let mut chosen: Vec<&'static Column> = Vec::new();
    for name in names {
        match all.iter().find(|c| c.name == name) {
            Some(column) if !chosen.contains(&column) => chosen.push(column),
            Some(_) => {}
            None => unknown.push(name.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(chosen)
    } else {
        Err(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_names_means_the_defaults_and_unknown_names_are_all_reported() {
        let defaults = select(Resource::Incidents, &[]).expect("defaults");
        assert_eq!(defaults[0].name, "id");
        assert!(defaults.iter().all(|c| c.default));
        let names = ["title".to_owned(), "nope".to_owned(), "also_not".to_owned()];
        assert_eq!(
            select(Resource::Incidents, &names),
            Err(vec!["nope".to_owned(), "also_not".to_owned()])
        );
        let twice = ["title".to_owned(), "title".to_owned(), "id".to_owned()];
        let chosen = select(Resource::Incidents, &twice).expect("known");
        assert_eq!(
            chosen.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["title", "id"]
        );
    }

    #[test]
    fn nested_fields_are_read_through_a_pointer() {
        let column = &MESSAGE_COLUMNS[4];
        assert_eq!(column.pointer(), "/endpoints_by_status/succeeded");
    }
}
