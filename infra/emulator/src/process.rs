//! The moto server process.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Starting the emulator failed.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The program could not be run.
    #[error(
        "could not start `{program}` (run `make dev` or `make test`, which install it): {source}"
    )]
    Spawn {
        /// What was run.
        program: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// It did not listen in time.
    #[error("moto server did not listen on port {0} within 30 s")]
    NotReady(u16),
    /// It exited before it listened.
    #[error("moto server exited before it listened ({status}); its last output:\n{output}")]
    Exited {
        /// How it ended.
        status: std::process::ExitStatus,
        /// The end of what it wrote to stderr.
        output: String,
    },
    /// No free port.
    #[error("no free local port: {0}")]
    NoPort(std::io::Error),
}

/// A running moto server, stopped when dropped.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    port: u16,
}

/// The Python that has moto: `FAULTLINE_PYTHON`, else the project's `.venv`, else `python3`.
fn python() -> PathBuf {
    if let Some(program) = std::env::var_os("FAULTLINE_PYTHON") {
        return program.into();
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        return venv;
    }
    "python3".into()
}

/// The launcher that starts moto server with atomic DynamoDB requests and item-level
/// transactions (see the script's own description).
fn launcher() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("moto_launcher.py")
}

/// Where the emulator on `port` writes its census (renamed into place when whole).
fn census_path(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("faultline-emulator-{port}.census.json"))
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16, EmulatorError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(EmulatorError::NoPort)?;
    Ok(listener.local_addr().map_err(EmulatorError::NoPort)?.port())
}

impl Emulator {
    /// Starts moto server on 127.0.0.1:`port` and waits until it accepts connections.
    pub fn start(port: u16) -> Result<Self, EmulatorError> {
        let program = python();
        let mut command = Command::new(&program);
        // Its stderr goes to a file, read back when it ends before it listens.
        let log = std::env::temp_dir().join(format!("faultline-emulator-{port}.log"));
        let stderr = std::fs::File::create(&log)
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null());
        command
            .env("FAULTLINE_EMULATOR_CENSUS", census_path(port))
            .arg(launcher())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        die_with_parent(&mut command);
        let child = command.spawn().map_err(|source| EmulatorError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
        let mut emulator = Self { child, port };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = emulator.exit_status() {
                let written = std::fs::read(&log).unwrap_or_default();
                let tail = &written[written.len().saturating_sub(2000)..];
                return Err(EmulatorError::Exited {
                    status,
                    output: String::from_utf8_lossy(tail).into_owned(),
                });
            }
            if Instant::now() > deadline {
                return Err(EmulatorError::NotReady(port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(emulator)
    }

    /// Its endpoint URL, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it holds right now, by service (the launcher's census: DynamoDB items and stream
    /// records, SQS messages, log events, S3 objects, live moto item objects, resident memory),
    /// for questions about its memory. `None` when it did not answer within 10 s.
    pub fn census(&self) -> Option<serde_json::Value> {
        let path = census_path(self.port);
        let _ = std::fs::remove_file(&path);
        let signalled = Command::new("kill")
            .args(["-USR1", &self.child.id().to_string()])
            .status()
            .ok()?;
        if !signalled.success() {
            return None;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return serde_json::from_str(&text).ok();
            }
        }
        None
    }

    /// How it ended, if it has: a hub without its emulator can only answer errors.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks Linux to stop the emulator when the thread that started it ends, so a test binary or a
/// killed `make dev` never leaves moto running.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child's own state between fork
    // and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// One emulator shared by every test in a test binary (each test deploys its own stack, so tests
/// stay isolated). `FAULTLINE_TEST_AWS_ENDPOINT` points tests at an emulator already running.
pub fn shared_emulator() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("FAULTLINE_TEST_AWS_ENDPOINT") {
            return endpoint;
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        // The parent-death signal fires when the *thread* that spawned the child ends, so the
        // emulator is started from a thread that lives as long as the test binary.
        std::thread::spawn(move || {
            let started = free_port().and_then(Emulator::start);
            match started {
                Ok(emulator) => {
                    let _ = sender.send(Ok(emulator.endpoint()));
                    loop {
                        std::thread::park();
                    }
                }
                Err(err) => {
                    let _ = sender.send(Err(err.to_string()));
                }
            }
        });
        match receiver.recv() {
            Ok(Ok(endpoint)) => endpoint,
            Ok(Err(err)) => panic!("the AWS emulator did not start: {err}"),
            Err(_) => panic!("the AWS emulator thread died"),
        }
    })
}
