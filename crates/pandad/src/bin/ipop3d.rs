//! `ipop3d`: one POP3 session on standard input and output, for inetd, xinetd or systemd
//! socket activation (`Accept=yes`), as UW's ipop3d. TLS from the first byte when started
//! on port 995 or under a name beginning with `s` (`sipop3d`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use pandad::{Deployment, Service, stdio};
use server::config::{Config, Protocol};
use server::log::{Log, Stderr, Syslog};

#[derive(Parser, Debug)]
#[command(
    name = "ipop3d",
    version,
    about = "Panda POP3 server for inetd (one session on stdin/stdout)"
)]
struct Args {
    /// The configuration file.
    #[arg(long, default_value = "/etc/panda/panda.toml")]
    config: PathBuf,
    /// Start with a TLS handshake (POP3S).
    #[arg(long)]
    tls: bool,
    /// Log to standard error instead of syslog.
    #[arg(long)]
    log_stderr: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let log: Arc<dyn Log> = if args.log_stderr {
        Arc::new(Stderr::new("ipop3d"))
    } else {
        Arc::new(Syslog::new("ipop3d"))
    };
    let config = Config::load(&args.config)?;
    mailstore::lock::kod::install().context("installing the kiss-of-death handler")?;
    let ends = stdio::socket_addresses();
    let protocol =
        if args.tls || ends.local.is_some_and(|l| l.port() == 995) || stdio::named_with_s() {
            Protocol::Pop3s
        } else {
            Protocol::Pop3
        };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let service = Service::build(config, log, Deployment::OneSession { peer: ends.peer })?;
        let (_tx, rx) = tokio::sync::watch::channel(false);
        service
            .connection(stdio::stream(), ends, protocol, rx)
            .await;
        anyhow::Ok(())
    })
}
