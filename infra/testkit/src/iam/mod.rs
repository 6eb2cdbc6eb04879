//! The IAM contract: what each function's tests make it do on AWS, against what `template.yaml`
//! grants it.
//!
//! An SDK interceptor on the function's clients records every request a handler sends, as the IAM
//! actions AWS authorises it by (a `TransactWriteItems` is authorised item by item as
//! `PutItem`/`UpdateItem`/`DeleteItem`/`ConditionCheckItem`; `SendMessageBatch` as `SendMessage`;
//! `HeadObject` as `GetObject`…) on the template's logical resources (`Table`,
//! `Table/index/gsi1`, `EventsQueue`, `ArchiveBucket/raw/*/github/*`, `DataKeySecret`). When
//! `FAULTLINE_IAM_USAGE_DIR` is set, each test process appends what it saw to
//! `<dir>/<package>.tsv` (the package is the function: `faultline-api`, …). `make test` then runs
//! the `iam-contract` check, which fails when a function did something its policy does not grant,
//! or is granted something it never did.

mod contract;
mod recorder;
mod requests;

pub use contract::{compare, template_grants, Disagreement};
pub use recorder::{read_usage, UsageRecorder};
pub use requests::{leading_key_pattern, permissions_of, ResourceNames};

/// The environment variable naming the folder usage is written to.
pub const USAGE_DIR: &str = "FAULTLINE_IAM_USAGE_DIR";

/// The IAM action under which the partition keys a request touches are recorded
/// (`dynamodb:LeadingKeys` is the condition key IAM checks them with).
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// One IAM action on one resource, as the template names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// `dynamodb:GetItem`.
    pub action: String,
    /// A logical id, with a suffix for indexes and object prefixes: `Table/index/gsi1`.
    pub resource: String,
}

impl Permission {
    pub(crate) fn new(action: &str, resource: impl Into<String>) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.into(),
        }
    }
}
