//! What `pandad`, `imapd` and `ipop3d` share: turning a configuration file into running
//! sessions.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use imapd::config::StartTls;
use imapd::{ImapSession, NulBytes, SessionConfig};
use ipop3d::config::TlsOffer;
use ipop3d::{Pop3Config, Pop3Session};
use server::auth::{Authenticator, CramSecrets, VirtualUsers};
use server::cclient_cf::FolderFormat;
use server::config::{Accounts, Config, Protocol};
use server::conn::{self, Start};
use server::gssapi::Gssapi;
use server::log::{Level, Log};
use server::session::Transport;
use server::system_users::{FormatChoice, Identity, PamService, PasswordCheck, Root, SystemUsers};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub mod children;
pub mod cli;

/// inetd mode: the session's connection is standard input and output.
pub mod stdio {
    use std::os::fd::AsFd;

    /// Standard input and output as one stream: the socket inetd gave, or the two pipes.
    pub fn stream() -> Box<dyn server::conn::Stream> {
        match tcp_stdin() {
            Some(s) => Box::new(s),
            None => Box::new(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())),
        }
    }

    /// Standard input as a TCP socket, when inetd gave one.
    fn tcp_stdin() -> Option<tokio::net::TcpStream> {
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let std_stream = std::net::TcpStream::from(fd);
        std_stream.peer_addr().ok()?;
        std_stream.set_nonblocking(true).ok()?;
        let _ = std_stream.set_nodelay(true);
        tokio::net::TcpStream::from_std(std_stream).ok()
    }

    /// The client's and our addresses (getpeername and getsockname), when standard
    /// input is a socket.
    pub fn socket_addresses() -> crate::Ends {
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return crate::Ends::default();
        };
        let s = std::net::TcpStream::from(fd);
        crate::Ends {
            peer: s.peer_addr().ok(),
            local: s.local_addr().ok(),
        }
    }

    /// Whether the program was started under a name beginning with `s` (`simapd`,
    /// `sipop3d`): UW's sign for TLS from the first byte.
    pub fn named_with_s() -> bool {
        std::env::args()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|f| f.to_string_lossy().starts_with('s'))
            })
            .unwrap_or(false)
    }

    /// What an inetd program serves.
    #[derive(Clone, Copy, Debug)]
    pub struct Program {
        /// Its name in the log (`imapd`, `ipop3d`).
        pub name: &'static str,
        /// The protocol in plain text (with STARTTLS or STLS).
        pub plain: server::config::Protocol,
        /// The protocol with TLS from the first byte.
        pub tls: server::config::Protocol,
        /// The port on which a connection is TLS from the first byte (993, 995).
        pub tls_port: u16,
    }

    /// How the one session starts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Start {
        /// A client connected (or a pipe): greeting, then login.
        Greeting,
        /// TLS from the first byte, whatever the port and name.
        Tls,
        /// Already logged in as the invoking user (`imapd --preauth`, UW's rimapd).
        Preauth,
    }

    /// Where the program logs.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum LogTo {
        /// syslog (as UW's).
        Syslog,
        /// Standard error.
        Stderr,
    }

    /// Runs `program`'s one session on standard input and output, configured by the file
    /// `config`: the life of an `imapd` or `ipop3d` started by inetd, xinetd or systemd.
    pub fn run(
        program: Program,
        config: &std::path::Path,
        start: Start,
        log_to: LogTo,
    ) -> anyhow::Result<()> {
        use anyhow::Context as _;
        use server::log::{Log, Stderr, Syslog};
        use std::sync::Arc;
        let log: Arc<dyn Log> = match log_to {
            LogTo::Stderr => Arc::new(Stderr::new(program.name)),
            LogTo::Syslog => Arc::new(Syslog::new(program.name)),
        };
        let config = server::config::Config::load(config)?;
        crate::use_configured_keytab(&config)?;
        mailstore::lock::kod::install().context("installing the kiss-of-death handler")?;
        let ends = socket_addresses();
        let tls = start == Start::Tls
            || ends.local.is_some_and(|l| l.port() == program.tls_port)
            || named_with_s();
        let protocol = if tls { program.tls } else { program.plain };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        rt.block_on(async move {
            if start == Start::Preauth {
                let service = crate::Service::build(
                    config,
                    log,
                    crate::Deployment::OneSession { peer: None },
                )?;
                return service.preauth_connection().await;
            }
            let service = crate::Service::build(
                config,
                log,
                crate::Deployment::OneSession { peer: ends.peer },
            )?;
            let (_tx, rx) = tokio::sync::watch::channel(false);
            service.connection(stream(), ends, protocol, rx).await;
            anyhow::Ok(())
        })
    }
}

/// How a [`Service`]'s sessions are run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// Many sessions as tasks of one process (`pandad`): virtual users only, since a
    /// process cannot become several users (`pandad` serves system users with one child
    /// process per connection, see [`children`]).
    Daemon,
    /// One session in this process (`imapd`, `ipop3d` from inetd or systemd): system users
    /// log in and the process becomes the user.
    OneSession {
        /// The client, when standard input is a socket.
        peer: Option<SocketAddr>,
    },
}

/// Says what of `/etc/c-client.cf` is not carried over: the lines skipped, and the
/// directives read that have no effect with this configuration, each naming its line.
fn log_c_client_cf(config: &Config, log: &dyn Log) {
    use server::cclient_cf::UserConfig;
    let cf = &config.c_client;
    let file = config.c_client_cf.display();
    for n in &cf.notes {
        log.line(Level::Info, &format!("{file}: {n}"));
    }
    let virtual_users = config.accounts == Accounts::Virtual;
    let mut unused: Vec<(&str, &str)> = Vec::new();
    if matches!(cf.new_folder_format, Some(FolderFormat::SameAsInbox)) && virtual_users {
        unused.push((
            "new-folder-format",
            "same-as-inbox is for system users only",
        ));
    }
    match cf.empty_folder_format {
        Some(FolderFormat::Invalid) => {
            unused.push(("empty-folder-format", "invalid is not supported"));
        }
        Some(_) if virtual_users => {
            unused.push(("empty-folder-format", "not for virtual users"));
        }
        _ => {}
    }
    if !cf.restrict_mailbox_access.is_empty() && virtual_users {
        unused.push((
            "restrict-mailbox-access",
            "virtual users are always restricted (all)",
        ));
    }
    if cf.mail_subdirectory.is_some() && virtual_users {
        unused.push(("mail-subdirectory", "not for virtual users"));
    }
    if cf.allow_user_config == Some(UserConfig::Allowed) {
        unused.push(("allow-user-config", "users' ~/.imaprc is not read"));
    }
    for (name, why) in unused {
        let line = cf
            .line_of(name)
            .map_or_else(String::new, |l| format!("line {l}: "));
        log.line(
            Level::Warning,
            &format!("{file}: {line}{name}: not in effect here ({why})"),
        );
    }
}

/// A connection's two addresses, when it is a socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ends {
    /// The client's.
    pub peer: Option<SocketAddr>,
    /// Ours: the one the client connected to, which picks a virtual host's certificate.
    pub local: Option<SocketAddr>,
}

/// Everything sessions need, built once from the configuration.
#[derive(Debug)]
pub struct Service {
    /// The configuration.
    pub config: Config,
    /// The IMAP sessions' settings.
    pub session: Arc<SessionConfig>,
    /// The POP3 sessions' settings.
    pub pop3: Arc<Pop3Config>,
    /// TLS, if configured: a certificate per virtual host.
    pub tls: Option<server::tls::ServerTls>,
    /// Where log lines go.
    pub log: Arc<dyn Log>,
}

impl Service {
    /// Builds the daemon's service from `config`.
    pub fn new(config: Config, log: Arc<dyn Log>) -> anyhow::Result<Self> {
        log_c_client_cf(&config, log.as_ref());
        Service::build(config, log, Deployment::Daemon)
    }

    /// Builds the service from `config`, for sessions run as `deployment` says.
    pub fn build(
        config: Config,
        log: Arc<dyn Log>,
        deployment: Deployment,
    ) -> anyhow::Result<Self> {
        let tls = match &config.tls {
            Some(t) => Some(server::tls::ServerTls::load(t)?),
            None => None,
        };
        let (imap_auth, pop_auth) = authenticators(&config, &log, deployment)?;
        let mut s = SessionConfig::new(&config.hostname, imap_auth, Arc::clone(&log));
        s.plaintext = config.plaintext;
        s.starttls = if tls.is_some() {
            StartTls::Available
        } else {
            StartTls::Unavailable
        };
        let cram = config
            .cram_md5
            .as_deref()
            .map(|p| Arc::new(CramSecrets::new(p)));
        s.cram = cram.clone();
        let mut p = Pop3Config::new(&config.hostname, pop_auth, Arc::clone(&log));
        p.plaintext = config.plaintext;
        p.tls = if tls.is_some() {
            TlsOffer::Available
        } else {
            TlsOffer::Unavailable
        };
        p.cram = cram;
        let keytab = config.gssapi.keytab.as_deref();
        s.gssapi = Some(Arc::new(Gssapi::new(keytab, &config.gssapi.imap_service)));
        p.gssapi = Some(Arc::new(Gssapi::new(keytab, &config.gssapi.pop_service)));
        s.alert_file = Some(config.alert_file.clone());
        s.nologin_file = Some(config.nologin_file.clone());
        s.anonymous_file = Some(config.anonymous_newsgroups.clone());
        s.nul = if config.nul_as_0x80 {
            NulBytes::As0x80
        } else {
            NulBytes::AsIs
        };
        Ok(Service {
            config,
            session: Arc::new(s),
            pop3: Arc::new(p),
            tls,
            log,
        })
    }

    /// A pre-authenticated IMAP session as the user this process runs as (UW's rimapd:
    /// `ssh host exec imapd --preauth`), on standard input and output.
    pub async fn preauth_connection(&self) -> anyhow::Result<()> {
        let users = SystemUsers::new(
            PasswordCheck::Shadow,
            Identity::Keep,
            None,
            &self.config.hostname,
            Arc::clone(&self.log),
        )
        .with_mailbox_format(self.config.mailbox_format.format())
        .with_layout(
            self.config.mail_subdirectory.clone(),
            self.config.namespace_dirs(),
            self.config.empty_format(),
        )
        .with_lock_helper(self.config.lock_helper());
        let account = users
            .invoking()
            .context("no pre-authenticated session for this user (root never has one)")?;
        let session = ImapSession::preauthenticated(
            Arc::clone(&self.session),
            "[local]",
            Transport::Plain,
            account,
        );
        let (_tx, shutdown) = watch::channel(false);
        conn::serve(stdio::stream(), None, Start::Plain, session, shutdown).await?;
        Ok(())
    }

    /// Binds every listener of the configuration (before anything is served, so that a
    /// port in use is an error at start-up).
    pub async fn bind(&self) -> anyhow::Result<Vec<(TcpListener, Protocol)>> {
        bind(&self.config).await
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
            let local = stream.local_addr().ok();
            let me = Arc::clone(&self);
            let shutdown = shutdown.clone();
            let alive = alive.clone();
            tokio::spawn(async move {
                let ends = Ends {
                    peer: Some(peer),
                    local,
                };
                me.connection(Box::new(stream), ends, protocol, shutdown)
                    .await;
                drop(alive);
            });
        }
    }

    /// Runs one session on `stream`, whose ends are `ends`.
    pub async fn connection(
        &self,
        stream: Box<dyn conn::Stream>,
        ends: Ends,
        protocol: Protocol,
        shutdown: watch::Receiver<bool>,
    ) {
        let start = match protocol {
            Protocol::Imap | Protocol::Pop3 => Start::Plain,
            Protocol::Imaps | Protocol::Pop3s => Start::Tls,
        };
        let client = ends
            .peer
            .map_or_else(|| "[local]".to_owned(), |p| format!("[{}]", p.ip()));
        let transport = match start {
            Start::Plain => Transport::Plain,
            Start::Tls => Transport::Tls,
        };
        // The certificate is chosen now, by the address the client reached; SNI may
        // still choose another in the handshake.
        let tls = self
            .tls
            .as_ref()
            .map(|t| t.for_local(ends.local.map(|a| a.ip())));
        let served = match protocol {
            Protocol::Imap | Protocol::Imaps => {
                let session = ImapSession::new(Arc::clone(&self.session), &client, transport);
                conn::serve(stream, tls, start, session, shutdown).await
            }
            Protocol::Pop3 | Protocol::Pop3s => {
                let session = Pop3Session::new(Arc::clone(&self.pop3), &client, transport);
                conn::serve(stream, tls, start, session, shutdown).await
            }
        };
        if let Err(e) = served {
            self.log.line(Level::Info, &format!("{e} host={client}"));
        }
    }
}

/// Binds every listener of `config`.
pub async fn bind(config: &Config) -> anyhow::Result<Vec<(TcpListener, Protocol)>> {
    let mut out = Vec::new();
    for l in &config.listen {
        let listener = TcpListener::bind(l.address)
            .await
            .with_context(|| format!("cannot listen on {}", l.address))?;
        out.push((listener, l.protocol));
    }
    Ok(out)
}

/// The IMAP and POP3 sessions' authenticators for `config`.
fn authenticators(
    config: &Config,
    log: &Arc<dyn Log>,
    deployment: Deployment,
) -> anyhow::Result<(Arc<dyn Authenticator>, Arc<dyn Authenticator>)> {
    let check = |service| match config.accounts {
        Accounts::System => PasswordCheck::Shadow,
        _ => PasswordCheck::Pam(service),
    };
    match (config.accounts, deployment) {
        (Accounts::Virtual, _) => {
            let v: Arc<dyn Authenticator> = Arc::new(
                VirtualUsers::new(
                    &config.users,
                    &config.data_dir,
                    &config.hostname,
                    Arc::new(mailstore::notify::Silent),
                )
                .with_mailbox_format(config.mailbox_format.format())
                .with_namespace_dirs(config.namespace_dirs()),
            );
            Ok((Arc::clone(&v), v))
        }
        (Accounts::System | Accounts::Pam, Deployment::Daemon) => anyhow::bail!(
            "accounts = \"{}\" needs one process per session, which becomes the user: \
             pandad starts one per connection (pandad::children), or run imapd and ipop3d \
             from inetd, xinetd or systemd socket activation",
            match config.accounts {
                Accounts::Pam => "pam",
                _ => "system",
            }
        ),
        (Accounts::System | Accounts::Pam, Deployment::OneSession { peer }) => {
            let client = peer.map(|p| p.ip().to_string());
            let choice = |f: Option<FolderFormat>| match f {
                Some(FolderFormat::SameAsInbox) => FormatChoice::SameAsInbox,
                _ => FormatChoice::Configured,
            };
            // mailbox_format in panda.toml wins over c-client.cf's new-folder-format.
            let new_format = match config.mailbox_format_origin {
                server::config::Origin::CClientCf => choice(config.c_client.new_folder_format),
                _ => FormatChoice::Configured,
            };
            let empty_format = choice(config.c_client.empty_folder_format);
            let make = |service| -> Arc<dyn Authenticator> {
                Arc::new(
                    SystemUsers::new(
                        check(service),
                        Identity::Become,
                        client.clone(),
                        &config.hostname,
                        Arc::clone(log),
                    )
                    .with_mailbox_format(config.mailbox_format.format())
                    .with_admin_group(&config.admin_group)
                    .with_format_choices(new_format, empty_format)
                    .with_layout(
                        config.mail_subdirectory.clone(),
                        config.namespace_dirs(),
                        config.empty_format(),
                    )
                    .with_lock_helper(config.lock_helper())
                    .with_secrets(
                        config
                            .cram_md5
                            .as_deref()
                            .map(|p| Arc::new(CramSecrets::new(p))),
                    )
                    .with_names(
                        config.restrict.restrict(),
                        if config.shared_namespaces {
                            mailstore::config::SharedNamespaces::Automatic
                        } else {
                            mailstore::config::SharedNamespaces::Disabled
                        },
                    )
                    .with_root(match config.restrict {
                        server::config::RestrictLevel::Closed => Root::Home,
                        _ => Root::System,
                    }),
                )
            };
            Ok((make(PamService::Imap), make(PamService::Pop)))
        }
    }
}

/// Makes MIT's GSS-API library use the keytab the configuration names: it reads only
/// the `KRB5_KTNAME` variable, which a program cannot safely set for itself once running,
/// so the program starts again (same process, `exec`) with the variable set. Call it
/// first thing after loading the configuration, before any thread starts. Without the
/// `gssapi` feature, or without a configured keytab, nothing happens.
pub fn use_configured_keytab(config: &Config) -> anyhow::Result<()> {
    if !cfg!(feature = "gssapi") {
        return Ok(());
    }
    let Some(value) = server::gssapi::keytab_env(config.gssapi.keytab.as_deref()) else {
        return Ok(());
    };
    use std::os::unix::process::CommandExt as _;
    let exe = std::env::current_exe().context("finding this program to start it again")?;
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    let err = cmd.args(args).env("KRB5_KTNAME", value).exec();
    Err(err).context("starting again with the configured keytab")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn c_client_cf_lines_not_carried_over_are_logged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("c-client.cf"),
            "set new-folder-format mix\nset mail-subdirectory Mail\nset keywords A, B\n",
        )
        .unwrap();
        let p = dir.path().join("panda.toml");
        std::fs::write(
            &p,
            "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\nc_client_cf = \"c-client.cf\"\n",
        )
        .unwrap();
        let config = Config::load(&p).unwrap();
        let log = Arc::new(server::log::Memory::default());
        let s = Service::new(config, Arc::clone(&log) as Arc<dyn Log>).unwrap();
        assert_eq!(s.config.mailbox_format, server::config::MailboxFormat::Mix);
        let file = dir.path().join("c-client.cf").display().to_string();
        assert_eq!(
            log.lines(),
            [
                format!("{file}: line 3: ignored (no meaning here): set keywords A, B"),
                format!(
                    "{file}: line 2: mail-subdirectory: not in effect here (not for virtual users)"
                ),
            ]
        );
    }
}
