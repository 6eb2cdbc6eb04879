//! Counting what a function asks of AWS, through the SDK's own interceptors: the real client
//! talks to the real emulator, and each request is counted by `Service.Operation`.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Requests made, by `Service.Operation` (e.g. `DynamoDB.GetItem`).
#[derive(Clone, Debug, Default)]
pub struct CallCount(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallCount {
    /// How many `operation` requests were made (`DynamoDB.GetItem`).
    pub fn of(&self, operation: &str) -> usize {
        self.all().get(operation).copied().unwrap_or(0)
    }

    /// Every operation and its count.
    pub fn all(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Intercept for CallCount {
    fn name(&self) -> &'static str {
        "CallCount"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let operation = format!("{}.{}", metadata.service(), metadata.name());
            *self
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(operation)
                .or_default() += 1;
        }
        Ok(())
    }
}
