//! The local stack: `template.yaml` deployed into the AWS emulator, every function hosted in one
//! process — HttpApi routes on one port, SQS event sources and the table's stream polled with
//! partial batch failures honoured, schedules ticked. The functions run the same `handle` code as in Lambda against the
//! same AWS APIs; only the endpoint differs.

pub mod functions;
pub mod gateway;
pub mod pollers;
pub mod routes;
pub mod stream_poller;

use anyhow::{bail, Context};
use faultline::auth::ApiKey;
use faultline::aws::AwsClients;
use faultline::clock::Clock;
use faultline::{AppState, Config};
use faultline_emulator::{deploy, Deployment, Template, Trigger};
use gateway::Gateway;
use hyper_util::rt::TokioIo;
use pollers::Poller;
use routes::{Route, RouteTable};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use stream_poller::StreamPoller;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to start the hub.
#[derive(Clone, Debug)]
pub struct HubOptions {
    /// Port for the HTTP API on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The AWS emulator's endpoint.
    pub aws_endpoint: String,
    /// The SAM template.
    pub template_path: PathBuf,
    /// The CloudFormation stack to create.
    pub stack_name: String,
    /// The platform admin key to install (random when `None`).
    pub admin_key: Option<String>,
    /// Comma-separated retry delays in seconds, replacing the template's.
    pub retry_schedule: Option<String>,
}

impl HubOptions {
    /// Defaults for a test: any port, a unique stack, the project's template.
    pub fn for_test(aws_endpoint: &str) -> Self {
        Self {
            port: 0,
            aws_endpoint: aws_endpoint.to_owned(),
            template_path: faultline_emulator::default_template_path(),
            stack_name: format!("faultline-{}", ulid::Ulid::new().to_string().to_lowercase()),
            admin_key: None,
            retry_schedule: None,
        }
    }
}

/// A running hub; stops its server, pollers and schedules when dropped.
#[derive(Debug)]
pub struct RunningHub {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The platform admin key.
    pub admin_key: String,
    /// The deployed stack.
    pub deployment: Deployment,
    /// The state the functions share (tests use it to look inside).
    pub state: AppState,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn check_hosted(template: &Template) -> anyhow::Result<()> {
    for function in &template.functions {
        for trigger in &function.triggers {
            let hosted = match trigger {
                Trigger::Http { .. } => functions::HTTP_FUNCTIONS,
                Trigger::Sqs { .. } => functions::SQS_FUNCTIONS,
                Trigger::Schedule { .. } => functions::SCHEDULED_FUNCTIONS,
                Trigger::Stream { .. } => functions::STREAM_FUNCTIONS,
            };
            if !hosted.contains(&function.binary.as_str()) {
                bail!(
                    "template.yaml gives {} ({}) a {trigger:?} trigger, which the local stack cannot host; add it to infra/local/src/functions.rs",
                    function.logical_id,
                    function.binary
                );
            }
        }
    }
    Ok(())
}

/// Deploys the template and starts hosting every function.
pub async fn start(options: HubOptions) -> anyhow::Result<RunningHub> {
    let body = std::fs::read_to_string(&options.template_path)
        .with_context(|| format!("reading {}", options.template_path.display()))?;
    let template = Template::parse(&body)?;
    check_hosted(&template)?;
    let deployment = deploy(&options.aws_endpoint, &template, &options.stack_name).await?;

    let mut environment = deployment.environment.clone();
    environment.insert("FAULTLINE_LOCAL_MODE".into(), "1".into());
    if let Some(schedule) = &options.retry_schedule {
        environment.insert("FAULTLINE_RETRY_SCHEDULE".into(), schedule.clone());
    }
    let mut config = Config::from_map(&environment)?;
    config.aws_endpoint_url = Some(options.aws_endpoint.clone());
    let clients = AwsClients::for_emulator(&options.aws_endpoint).await;

    let admin_key = options
        .admin_key
        .clone()
        .unwrap_or_else(|| ApiKey::generate().expose().to_owned());
    clients
        .secrets
        .put_secret_value()
        .secret_id(&config.admin_key_secret)
        .secret_string(&admin_key)
        .send()
        .await
        .map_err(aws_sdk_secretsmanager::Error::from)
        .context("installing the platform admin key")?;

    let state = AppState::new(config, &clients, Clock::system());
    state.check_keys().await?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut routes = Vec::new();
    for function in &template.functions {
        for trigger in &function.triggers {
            match trigger {
                Trigger::Http { method, path } => routes.push(Route {
                    method: method.clone(),
                    path: path.clone(),
                    function: function.binary.clone(),
                }),
                Trigger::Sqs { queue, batch_size } => {
                    let queue_url = deployment
                        .physical_ids
                        .get(queue)
                        .with_context(|| format!("queue {queue} was not created"))?
                        .clone();
                    let poller = Poller {
                        function: function.binary.clone(),
                        queue_url,
                        batch_size: *batch_size,
                        concurrency: 4,
                    };
                    tasks.push(tokio::spawn(poller.run(
                        state.clone(),
                        (*clients.sqs).clone(),
                        stopped.clone(),
                    )));
                }
                Trigger::Stream {
                    table,
                    batch_size,
                    filters,
                } => {
                    let poller = StreamPoller {
                        function: function.binary.clone(),
                        table: deployment
                            .physical_ids
                            .get(table)
                            .with_context(|| format!("table {table} was not created"))?
                            .clone(),
                        batch_size: *batch_size,
                        filters: filters.clone(),
                    };
                    tasks.push(tokio::spawn(poller.run(
                        state.clone(),
                        options.aws_endpoint.clone(),
                        stopped.clone(),
                    )));
                }
                Trigger::Schedule { every } => {
                    tasks.push(tokio::spawn(tick(
                        state.clone(),
                        function.binary.clone(),
                        *every,
                    )));
                }
            }
        }
    }

    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port)))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let gateway = Arc::new(Gateway {
        routes: RouteTable::new(routes),
        state: state.clone(),
    });
    tasks.push(tokio::spawn(serve(listener, gateway)));

    Ok(RunningHub {
        base_url,
        admin_key,
        deployment,
        state,
        stop,
        tasks,
    })
}

async fn serve(listener: TcpListener, gateway: Arc<Gateway>) {
    loop {
        let (stream, source) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(error = %err, "accept failed");
                continue;
            }
        };
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| gateway.clone().serve(request, source));
            if let Err(err) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %err, "connection closed with an error");
            }
        });
    }
}

/// Invokes a scheduled function every `every`, with the event EventBridge Scheduler would send.
async fn tick(state: AppState, function: String, every: std::time::Duration) {
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        interval.tick().await;
        let event = serde_json::json!({
            "version": "0",
            "id": ulid::Ulid::new().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": "123456789012",
            "time": chrono::Utc::now().to_rfc3339(),
            "region": faultline_emulator::REGION,
            "resources": [],
            "detail": {},
        });
        match functions::invoke_json(&state, &function, event).await {
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                tracing::warn!(function = %function, error = %err, "scheduled invocation failed")
            }
            None => tracing::error!(function = %function, "not a scheduled function"),
        }
    }
}
