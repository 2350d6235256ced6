//! `imapd`: one IMAP session on standard input and output, for inetd, xinetd or systemd
//! socket activation (`Accept=yes`), as UW's imapd. TLS from the first byte when started
//! on port 993 or under a name beginning with `s` (`simapd`), as UW decides.

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use pandad::Service;
use server::config::{Config, Protocol};
use server::log::{Log, Stderr, Syslog};

#[derive(Parser, Debug)]
#[command(
    name = "imapd",
    version,
    about = "Panda IMAP server for inetd (one session on stdin/stdout)"
)]
struct Args {
    /// The configuration file.
    #[arg(long, default_value = "/etc/panda/panda.toml")]
    config: PathBuf,
    /// Start with a TLS handshake (IMAPS).
    #[arg(long)]
    tls: bool,
    /// Log to standard error instead of syslog.
    #[arg(long)]
    log_stderr: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let log: Arc<dyn Log> = if args.log_stderr {
        Arc::new(Stderr::new("imapd"))
    } else {
        Arc::new(Syslog::new("imapd"))
    };
    let config = Config::load(&args.config)?;
    mailstore::lock::kod::install().context("installing the kiss-of-death handler")?;
    let (peer, local) = socket_addresses();
    let program_s = std::env::args()
        .next()
        .and_then(|a| {
            PathBuf::from(a)
                .file_name()
                .map(|f| f.to_string_lossy().starts_with('s'))
        })
        .unwrap_or(false);
    let protocol = if args.tls || local.is_some_and(|l| l.port() == 993) || program_s {
        Protocol::Imaps
    } else {
        Protocol::Imap
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let service = Service::new(config, log)?;
        let stream: Box<dyn server::conn::Stream> = match tcp_stdin() {
            Some(s) => Box::new(s),
            None => Box::new(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())),
        };
        let (_tx, rx) = tokio::sync::watch::channel(false);
        service.connection(stream, peer, protocol, rx).await;
        anyhow::Ok(())
    })
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

/// The client's and our addresses, when standard input is a socket.
fn socket_addresses() -> (Option<SocketAddr>, Option<SocketAddr>) {
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return (None, None);
    };
    let s = std::net::TcpStream::from(fd);
    (s.peer_addr().ok(), s.local_addr().ok())
}
