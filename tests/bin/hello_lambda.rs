//! The cold-start floor: a hello-world `lambda_runtime` function (the runtime's own basic example:
//! a tokio main, one handler, nothing else). `cold-start` measures every function against it.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
