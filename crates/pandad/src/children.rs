//! `pandad` with system users: one child process per connection.
//!
//! A process can become only one user, so with `accounts = "system"` or `"pam"` the
//! daemon (root) keeps the listeners and starts, for each connection it accepts, a child
//! process of its own program (`pandad --session-child <protocol>`) whose standard input
//! and output are the connection. The child runs exactly what `imapd` and `ipop3d` run
//! under inetd ([`crate::stdio::run`]): the greeting, TLS (from the first byte on the
//! `imaps` and `pop3s` listeners, STARTTLS/STLS otherwise, the certificate chosen by the
//! address the client reached), the login, the privilege drop (and closedBox's change
//! of root), the kiss of death. The model of UW with inetd, without inetd.
//!
//! The daemon reaps its children and logs how each ended; a child that crashes ends
//! only its own session. At most `max_sessions` children run at once: a connection
//! beyond them is greeted `* BYE` (IMAP) or `-ERR` (POP3), after the TLS handshake on
//! TLS listeners, and closed. On SIGTERM or SIGINT the daemon stops accepting and exits;
//! the sessions under way go on to their end, as inetd's would.
//!
//! The child is started from `/proc/self/exe`, so it is the daemon's own program even
//! after the installed file was replaced by an upgrade (restart the daemon to serve the
//! new one).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use server::config::{Config, Protocol};
use server::conn::{self, Start};
use server::log::{Level, Log};
use server::session::{Hangup, Reply, Session, Sink, Then};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// The hidden option that makes `pandad` one session's child process.
pub const SESSION_CHILD: &str = "--session-child";

/// How long a refused client may take over its TLS handshake before it is dropped.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a child logs: what `pandad --log` was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildLog {
    /// syslog.
    Syslog,
    /// Standard error (the daemon's).
    Stderr,
}

impl ChildLog {
    fn arg(self) -> &'static str {
        match self {
            ChildLog::Syslog => "syslog",
            ChildLog::Stderr => "stderr",
        }
    }
}

/// The daemon's side: listeners, the children and their count.
#[derive(Debug)]
pub struct Spawner {
    config_path: PathBuf,
    log: Arc<dyn Log>,
    child_log: ChildLog,
    tls: Option<server::tls::ServerTls>,
    slots: Arc<Semaphore>,
    max_sessions: usize,
}

impl Spawner {
    /// A spawner for the configuration `config`, read from `config_path` (which each
    /// child reads again, as inetd's would).
    pub fn new(
        config: &Config,
        config_path: &Path,
        log: Arc<dyn Log>,
        child_log: ChildLog,
    ) -> anyhow::Result<Self> {
        crate::log_c_client_cf(config, log.as_ref());
        // Loaded here too: a bad certificate is an error at start-up, not in every
        // child; and refusals on TLS listeners need it.
        let tls = match &config.tls {
            Some(t) => Some(server::tls::ServerTls::load(t)?),
            None => None,
        };
        let config_path = std::path::absolute(config_path)
            .with_context(|| format!("{}: cannot make the path absolute", config_path.display()))?;
        Ok(Spawner {
            config_path,
            log,
            child_log,
            tls,
            slots: Arc::new(Semaphore::new(config.max_sessions)),
            max_sessions: config.max_sessions,
        })
    }

    /// Accepts on `listeners`, one child per connection, until `stop` resolves; then
    /// returns without waiting for the children.
    pub async fn serve(
        self: Arc<Self>,
        listeners: Vec<(TcpListener, Protocol)>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut accepts = Vec::new();
        for (listener, protocol) in listeners {
            let me = Arc::clone(&self);
            accepts.push(tokio::spawn(async move {
                me.accept_loop(listener, protocol).await;
            }));
        }
        stop.await;
        for a in accepts {
            a.abort();
        }
        let running = self.max_sessions - self.slots.available_permits();
        self.log.line(
            Level::Info,
            &format!(
                "Shutting down: no new connections; {running} session process(es) go on to their end"
            ),
        );
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener, protocol: Protocol) {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    self.log.line(Level::Error, &format!("accept: {e}"));
                    // Out of descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match Arc::clone(&self.slots).try_acquire_owned() {
                Ok(permit) => self.start_child(stream, peer, protocol, permit),
                Err(_) => {
                    self.log.line(
                        Level::Warning,
                        &format!(
                            "Too many sessions (max_sessions = {}), refused host=[{}]",
                            self.max_sessions,
                            peer.ip()
                        ),
                    );
                    let me = Arc::clone(&self);
                    tokio::spawn(async move { me.refuse(stream, protocol).await });
                }
            }
        }
    }

    /// Starts the child serving `stream`; it holds `permit` until it has ended.
    fn start_child(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        protocol: Protocol,
        permit: OwnedSemaphorePermit,
    ) {
        let host = format!("[{}]", peer.ip());
        let mut child = match self.spawn(stream, protocol) {
            Ok(c) => c,
            Err(e) => {
                self.log.line(
                    Level::Error,
                    &format!("Cannot start a session process for host={host}: {e}"),
                );
                return;
            }
        };
        let log = Arc::clone(&self.log);
        tokio::spawn(async move {
            let pid = child.id().unwrap_or(0);
            match child.wait().await {
                Ok(status) if status.success() => {
                    log.line(
                        Level::Debug,
                        &format!("Session process {pid} host={host} ended"),
                    );
                }
                Ok(status) => log.line(
                    Level::Warning,
                    &format!("Session process {pid} host={host} ended: {status}"),
                ),
                Err(e) => log.line(
                    Level::Error,
                    &format!("Session process {pid} host={host}: cannot wait for it: {e}"),
                ),
            }
            drop(permit);
        });
    }

    /// Starts `pandad --session-child` on `stream`.
    fn spawn(
        &self,
        stream: TcpStream,
        protocol: Protocol,
    ) -> std::io::Result<tokio::process::Child> {
        let socket = stream.into_std()?;
        socket.set_nonblocking(false)?;
        let _ = socket.set_nodelay(true);
        let output = socket.try_clone()?;
        let program = if Path::new("/proc/self/exe").exists() {
            PathBuf::from("/proc/self/exe")
        } else {
            std::env::current_exe()?
        };
        tokio::process::Command::new(program)
            .arg0("pandad")
            .arg(SESSION_CHILD)
            .arg(protocol_name(protocol))
            .arg("--config")
            .arg(&self.config_path)
            .args(["--log", self.child_log.arg()])
            .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(
                socket,
            )))
            .stdout(std::process::Stdio::from(std::os::fd::OwnedFd::from(
                output,
            )))
            .stderr(std::process::Stdio::inherit())
            // Each session in its own process group, as a session under inetd is apart
            // from inetd: a terminal's Ctrl-C or a signal to the daemon's group reaches
            // the daemon only.
            .process_group(0)
            .kill_on_drop(false)
            .spawn()
    }

    /// Tells the client of a connection beyond `max_sessions` to come back later.
    async fn refuse(&self, stream: TcpStream, protocol: Protocol) {
        let (start, text) = match protocol {
            Protocol::Imap => (Start::Plain, IMAP_BUSY),
            Protocol::Imaps => (Start::Tls, IMAP_BUSY),
            Protocol::Pop3 => (Start::Plain, POP3_BUSY),
            Protocol::Pop3s => (Start::Tls, POP3_BUSY),
        };
        let tls = self
            .tls
            .as_ref()
            .map(|t| t.for_local(stream.local_addr().ok().map(|a| a.ip())));
        let (_tx, shutdown) = watch::channel(false);
        let _ = tokio::time::timeout(
            REFUSAL_TIMEOUT,
            conn::serve(Box::new(stream), tls, start, Busy(text), shutdown),
        )
        .await;
    }
}

/// The IMAP refusal beyond `max_sessions`.
const IMAP_BUSY: &str = "* BYE Server busy: too many sessions, try again later\r\n";

/// The POP3 refusal beyond `max_sessions`.
const POP3_BUSY: &str = "-ERR Server busy: too many sessions, try again later\r\n";

/// The `--session-child` value of each protocol.
pub fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Imap => "imap",
        Protocol::Imaps => "imaps",
        Protocol::Pop3 => "pop3",
        Protocol::Pop3s => "pop3s",
    }
}

/// Serves the one session of a child: the connection is standard input and output, the
/// protocol is the listener's (whatever the port), the rest as [`crate::stdio::run`].
pub fn run_child(
    protocol: Protocol,
    config: &Path,
    log_to: crate::stdio::LogTo,
) -> anyhow::Result<()> {
    let name = match protocol {
        Protocol::Imap | Protocol::Imaps => "imapd",
        Protocol::Pop3 | Protocol::Pop3s => "ipop3d",
    };
    crate::stdio::run(
        crate::stdio::Program {
            name,
            // The listener said which: no guessing from the port or the program name.
            plain: protocol,
            tls: protocol,
            tls_port: 0,
        },
        config,
        crate::stdio::Start::Greeting,
        log_to,
    )
}

/// A session that only says goodbye.
#[derive(Debug)]
struct Busy(&'static str);

impl Session for Busy {
    fn set_sink(&mut self, _sink: Sink) {}

    fn greeting(&mut self) -> Reply {
        Reply::then(self.0.as_bytes().to_vec(), Then::Close)
    }

    fn receive(&mut self, _bytes: &[u8]) {}

    fn step(&mut self) -> Option<Reply> {
        None
    }

    fn timeout(&self) -> Duration {
        REFUSAL_TIMEOUT
    }

    fn timed_out(&mut self) -> Reply {
        Reply::then(Vec::new(), Then::Close)
    }

    fn tick_every(&self) -> Option<Duration> {
        None
    }

    fn tick(&mut self) -> Option<Reply> {
        None
    }

    fn tls_started(&mut self) {}

    fn hangup(&mut self, _why: Hangup) {}

    fn shutdown(&mut self) -> Reply {
        Reply::then(Vec::new(), Then::Close)
    }
}
