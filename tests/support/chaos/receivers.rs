//! Webhook receivers that misbehave as real ones do, on one raw TCP listener (raw, so a receiver
//! can reset the connection in the middle of its answer). Each endpoint's URL names its
//! behaviour; every request is logged with what it was answered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// How a receiver treats the deliveries of one message, by the attempt it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// 200 at once.
    Healthy,
    /// 503 to the first two requests, then 200.
    Flaky,
    /// 429 with `Retry-After: 1` to the first request, then 200.
    Throttling,
    /// The first request hangs past the sender's timeout and is never answered; then 200.
    Hanging,
    /// The first answer is a 200 whose body is cut by a connection reset; then 200.
    Resetting,
    /// 500, always: its deliveries end exhausted.
    Down,
    /// 200, but the dispatcher that sent the first request is killed before it can record it.
    KillsItsDispatcher,
}

impl Behaviour {
    /// Every behaviour, one endpoint each.
    pub const ALL: [Self; 7] = [
        Self::Healthy,
        Self::Flaky,
        Self::Throttling,
        Self::Hanging,
        Self::Resetting,
        Self::Down,
        Self::KillsItsDispatcher,
    ];

    fn path(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Flaky => "flaky",
            Self::Throttling => "throttling",
            Self::Hanging => "hanging",
            Self::Resetting => "resetting",
            Self::Down => "down",
            Self::KillsItsDispatcher => "kills",
        }
    }

    fn from_path(path: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|b| path.trim_start_matches('/') == b.path())
    }
}

/// What a receiver answered one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A whole 2xx reached the connection.
    Ok,
    /// A 2xx whose body was cut by a reset: the sender may or may not count it.
    OkCut,
    /// A 2xx written while the sender's dispatcher was being killed: its answer is lost.
    OkToAKilledSender,
    /// A failure status, or no answer at all.
    Failed,
}

impl Answer {
    /// A 2xx, whole or not.
    pub fn is_2xx(self) -> bool {
        !matches!(self, Self::Failed)
    }
}

/// A request to kill the dispatcher that is sending `message_id`; answered when done.
#[derive(Debug)]
pub struct KillOrder {
    /// The message (`webhook-id`) whose sender is to be killed.
    pub message_id: String,
    /// Answered once the dispatcher is dead (`true`), or when no dispatcher held it (`false`).
    pub done: oneshot::Sender<bool>,
}

/// Answers by (message id, behaviour), in arrival order.
pub type AnswerLog = Arc<Mutex<HashMap<(String, Behaviour), Vec<Answer>>>>;

/// The receivers, listening.
#[derive(Debug)]
pub struct Receivers {
    /// `http://127.0.0.1:port`.
    pub base_url: String,
    /// What every request was answered.
    pub log: AnswerLog,
}

impl Receivers {
    /// Starts listening; kill orders go to `kills`. Hanging requests hang for `hang`.
    pub async fn start(
        kills: mpsc::UnboundedSender<KillOrder>,
        hang: Duration,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let log = AnswerLog::default();
        let shared = log.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone(), kills.clone(), hang));
            }
        });
        Ok(Self { base_url, log })
    }

    /// The URL of an endpoint that behaves as `behaviour`.
    pub fn url(&self, behaviour: Behaviour) -> String {
        format!("{}/{}", self.base_url, behaviour.path())
    }
}

/// The request's path and `webhook-id`, once its head and body have been read.
async fn read_request(socket: &mut TcpStream) -> Option<(String, String)> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let path = lines.next()?.split_whitespace().nth(1)?.to_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")?.parse().ok()?;
    let message_id = header("webhook-id")?;
    while buffer.len() < head_end + length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Some((path, message_id))
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

async fn serve(
    mut socket: TcpStream,
    log: AnswerLog,
    kills: mpsc::UnboundedSender<KillOrder>,
    hang: Duration,
) {
    let Some((path, message_id)) = read_request(&mut socket).await else {
        return;
    };
    let Some(behaviour) = Behaviour::from_path(&path) else {
        let _ = socket
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    let seen = {
        let log = log.lock().unwrap_or_else(|p| p.into_inner());
        log.get(&(message_id.clone(), behaviour))
            .map_or(0, Vec::len)
    };
    let first = seen == 0;
    let record = |answer: Answer| {
        log.lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((message_id.clone(), behaviour))
            .or_default()
            .push(answer);
    };
    match behaviour {
        Behaviour::Flaky if seen < 2 => {
            record(Answer::Failed);
            let _ = socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
        Behaviour::Throttling if first => {
            record(Answer::Failed);
            let _ = socket
                .write_all(
                    b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n",
                )
                .await;
        }
        Behaviour::Hanging if first => {
            record(Answer::Failed);
            tokio::time::sleep(hang).await;
        }
        Behaviour::Resetting if first => {
            record(Answer::OkCut);
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4096\r\n\r\npartial")
                .await;
            let _ = socket.set_zero_linger();
            drop(socket);
        }
        Behaviour::Down => {
            record(Answer::Failed);
            let _ = socket
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
        Behaviour::KillsItsDispatcher if first => {
            let (done, killed) = oneshot::channel();
            let ordered = kills.send(KillOrder {
                message_id: message_id.clone(),
                done,
            });
            if ordered.is_ok() && killed.await == Ok(true) {
                record(Answer::OkToAKilledSender);
            } else {
                record(Answer::Ok);
            }
            let _ = socket.write_all(OK).await;
        }
        _ => {
            record(Answer::Ok);
            let _ = socket.write_all(OK).await;
        }
    }
}
