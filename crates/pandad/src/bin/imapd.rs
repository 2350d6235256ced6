//! `imapd`: one IMAP session on standard input and output, for inetd, xinetd or systemd
//! socket activation (`Accept=yes`), as UW's imapd; with `--preauth`, a session already
//! logged in as the invoking user (UW's rimapd). TLS from the first byte when started
//! on port 993 or under a name beginning with `s` (`simapd`), as UW decides.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use pandad::{Deployment, Service, stdio};
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
    /// Serve the invoking user without a login, greeting `* PREAUTH` (UW's rimapd, for
    /// `ssh host exec imapd --preauth`). Root is refused.
    #[arg(long, conflicts_with = "tls")]
    preauth: bool,
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
    let ends = stdio::socket_addresses();
    let protocol =
        if args.tls || ends.local.is_some_and(|l| l.port() == 993) || stdio::named_with_s() {
            Protocol::Imaps
        } else {
            Protocol::Imap
        };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        if args.preauth {
            let service = Service::build(config, log, Deployment::OneSession { peer: None })?;
            return service.preauth_connection().await;
        }
        let service = Service::build(config, log, Deployment::OneSession { peer: ends.peer })?;
        let (_tx, rx) = tokio::sync::watch::channel(false);
        service
            .connection(stdio::stream(), ends, protocol, rx)
            .await;
        anyhow::Ok(())
    })
}
