//! The SDK interceptor that records, per test process, what a function's requests need, and the
//! reader of what was recorded.

use super::requests::{permissions_of, ResourceNames};
use super::Permission;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Records the permissions a function's requests need and appends new ones to its usage file.
#[derive(Clone, Debug)]
pub struct UsageRecorder {
    names: Arc<ResourceNames>,
    file: PathBuf,
}

/// What this process has written already (every test's stack shares the file).
static SEEN: Mutex<BTreeSet<Permission>> = Mutex::new(BTreeSet::new());

impl UsageRecorder {
    /// A recorder for this test process's package, when `FAULTLINE_IAM_USAGE_DIR` is set and the
    /// package is a function (the `faultline-…` packages under `functions/`).
    pub fn for_this_process(physical_ids: &HashMap<String, String>) -> Option<Self> {
        let dir = std::env::var_os(super::USAGE_DIR)?;
        let package = std::env::var("CARGO_PKG_NAME").ok()?;
        let manifest = std::env::var("CARGO_MANIFEST_DIR").ok()?;
        let is_function = Path::new(&manifest)
            .parent()
            .is_some_and(|p| p.ends_with("functions"));
        if !is_function {
            return None;
        }
        std::fs::create_dir_all(&dir).ok()?;
        Some(Self {
            names: Arc::new(ResourceNames::new(physical_ids)),
            file: Path::new(&dir).join(format!("{package}.tsv")),
        })
    }

    fn record(&self, permissions: Vec<Permission>) {
        let Ok(mut seen) = SEEN.lock() else {
            return;
        };
        let mut lines = String::new();
        for permission in permissions {
            if seen.insert(permission.clone()) {
                lines.push_str(&format!("{}\t{}\n", permission.action, permission.resource));
            }
        }
        if lines.is_empty() {
            return;
        }
        // One append per call: lines from parallel test processes never interleave mid-line.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
        {
            let _ = file.write_all(lines.as_bytes());
        }
    }
}

impl Intercept for UsageRecorder {
    fn name(&self) -> &'static str {
        "UsageRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let request = context.request();
            self.record(permissions_of(
                metadata.service(),
                metadata.name(),
                request.uri(),
                request.body().bytes(),
                &self.names,
            ));
        }
        Ok(())
    }
}

/// Every usage file in `dir`: permissions by function binary (the file's name).
pub fn read_usage(dir: &Path) -> std::io::Result<BTreeMap<String, BTreeSet<Permission>>> {
    let mut usage = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(binary) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".tsv"))
        else {
            continue;
        };
        let permissions: BTreeSet<Permission> = std::fs::read_to_string(&path)?
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(action, resource)| Permission::new(action, resource))
            .collect();
        usage.insert(binary.to_owned(), permissions);
    }
    Ok(usage)
}
