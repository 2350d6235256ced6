//! What `pandad` and `imapd` share: turning a configuration file into running sessions.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use imapd::config::StartTls;
use imapd::{ImapSession, NulBytes, SessionConfig};
use server::auth::{CramSecrets, VirtualUsers};
use server::config::{Config, Protocol};
use server::conn::{self, Start};
use server::log::{Level, Log};
use server::session::Transport;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// Everything sessions need, built once from the configuration.
#[derive(Debug)]
pub struct Service {
    /// The configuration.
    pub config: Config,
    /// The sessions' settings.
    pub session: Arc<SessionConfig>,
    /// TLS, if configured.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Where log lines go.
    pub log: Arc<dyn Log>,
}

impl Service {
    /// Builds the service from `config`.
    pub fn new(config: Config, log: Arc<dyn Log>) -> anyhow::Result<Self> {
        let tls = match &config.tls {
            Some(t) => Some(server::tls::server_config(&t.cert, &t.key, t.max_fragment)?),
            None => None,
        };
        let auth = Arc::new(VirtualUsers::new(
            &config.users,
            &config.data_dir,
            &config.hostname,
            Arc::new(mailstore::notify::Silent),
        ));
        let mut s = SessionConfig::new(&config.hostname, auth, Arc::clone(&log));
        s.plaintext = config.plaintext;
        s.starttls = if tls.is_some() {
            StartTls::Available
        } else {
            StartTls::Unavailable
        };
        s.cram = config
            .cram_md5
            .as_deref()
            .map(|p| Arc::new(CramSecrets::new(p)));
        s.alert_file = Some(config.alert_file.clone());
        s.nologin_file = Some(config.nologin_file.clone());
        s.nul = if config.nul_as_0x80 {
            NulBytes::As0x80
        } else {
            NulBytes::AsIs
        };
        Ok(Service {
            config,
            session: Arc::new(s),
            tls,
            log,
        })
    }

    /// Binds every listener of the configuration (before anything is served, so that a
    /// port in use is an error at start-up).
    pub async fn bind(&self) -> anyhow::Result<Vec<(TcpListener, Protocol)>> {
        let mut out = Vec::new();
        for l in &self.config.listen {
            let listener = TcpListener::bind(l.address)
                .await
                .with_context(|| format!("cannot listen on {}", l.address))?;
            out.push((listener, l.protocol));
        }
        Ok(out)
    }

    /// Serves `listeners` until `stop` resolves, then tells every session to end and
    /// waits for them (at most `grace`).
    pub async fn serve(
        self: Arc<Self>,
        listeners: Vec<(TcpListener, Protocol)>,
        stop: impl std::future::Future<Output = ()>,
        grace: Duration,
    ) {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        let mut accepts = Vec::new();
        for (listener, protocol) in listeners {
            let me = Arc::clone(&self);
            let shutdown = shutdown_rx.clone();
            let alive = alive_tx.clone();
            accepts.push(tokio::spawn(async move {
                me.accept_loop(listener, protocol, shutdown, alive).await;
            }));
        }
        drop(alive_tx);
        stop.await;
        self.log.line(Level::Info, "Shutting down");
        let _ = shutdown_tx.send(true);
        for a in accepts {
            a.abort();
        }
        let _ = tokio::time::timeout(grace, alive_rx.recv()).await;
    }

    async fn accept_loop(
        self: Arc<Self>,
        listener: TcpListener,
        protocol: Protocol,
        shutdown: watch::Receiver<bool>,
        alive: mpsc::Sender<()>,
    ) {
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
            let _ = stream.set_nodelay(true);
            let me = Arc::clone(&self);
            let shutdown = shutdown.clone();
            let alive = alive.clone();
            tokio::spawn(async move {
                me.connection(Box::new(stream), Some(peer), protocol, shutdown)
                    .await;
                drop(alive);
            });
        }
    }

    /// Runs one session on `stream` from client `peer`.
    pub async fn connection(
        &self,
        stream: Box<dyn conn::Stream>,
        peer: Option<SocketAddr>,
        protocol: Protocol,
        shutdown: watch::Receiver<bool>,
    ) {
        let start = match protocol {
            Protocol::Imap => Start::Plain,
            Protocol::Imaps => Start::Tls,
        };
        let client = peer.map_or_else(|| "[local]".to_owned(), |p| format!("[{}]", p.ip()));
        let session = ImapSession::new(
            Arc::clone(&self.session),
            &client,
            match start {
                Start::Plain => Transport::Plain,
                Start::Tls => Transport::Tls,
            },
        );
        if let Err(e) = conn::serve(stream, self.tls.clone(), start, session, shutdown).await {
            self.log.line(Level::Info, &format!("{e} host={client}"));
        }
    }
}
