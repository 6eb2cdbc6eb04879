//! Fault injection through the SDK's own interceptors: the real client talks to the real
//! emulator, and requests that match a rule fail before they are sent — for paths that must hold
//! when a later write fails after an earlier one succeeded.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Fails every `operation` (e.g. DynamoDB's `PutItem`) whose request body contains `marker`.
#[derive(Clone, Debug)]
pub struct FailingWrites {
    /// The operation, e.g. `PutItem`.
    pub operation: &'static str,
    /// Text the request body must contain, e.g. a partition's name.
    pub marker: &'static str,
}

impl Intercept for FailingWrites {
    fn name(&self) -> &'static str {
        "FailingWrites"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(Metadata::name);
        let body = context.request().body().bytes().unwrap_or_default();
        let marked = std::str::from_utf8(body).is_ok_and(|b| b.contains(self.marker));
        if operation == Some(self.operation) && marked {
            return Err(format!("injected failure of {} ({})", self.operation, self.marker).into());
        }
        Ok(())
    }
}

/// `chars` characters that deflate to about half their length (hex of a hash chain): a body too
/// large to keep inside its delivery record, so it goes to the S3 archive.
pub fn incompressible(chars: usize) -> String {
    use sha2::Digest;
    let mut block = [0u8; 32];
    let mut text = String::with_capacity(chars + 64);
    while text.len() < chars {
        block = sha2::Sha256::digest(block).into();
        text.push_str(&hex::encode(block));
    }
    text.truncate(chars);
    text
}
