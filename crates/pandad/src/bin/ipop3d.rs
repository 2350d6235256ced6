//! `ipop3d`: one POP3 session on standard input and output, for inetd, xinetd or systemd
//! socket activation (`Accept=yes`), as UW's ipop3d. TLS from the first byte when started
//! on port 995 or under a name beginning with `s` (`sipop3d`).

use std::path::PathBuf;

use clap::Parser;
use pandad::stdio::{self, LogTo, Program, Start};
use server::config::Protocol;

#[derive(Parser, Debug)]
#[command(
    name = "ipop3d",
    version,
    about = "Panda POP3 server for inetd (one session on stdin/stdout)",
    after_help = "The manual: ipop3d(8) and panda.toml(5)."
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
    let args: Args = pandad::cli::parse();
    stdio::run(
        Program {
            name: "ipop3d",
            plain: Protocol::Pop3,
            tls: Protocol::Pop3s,
            tls_port: 995,
        },
        &args.config,
        if args.tls {
            Start::Tls
        } else {
            Start::Greeting
        },
        if args.log_stderr {
            LogTo::Stderr
        } else {
            LogTo::Syslog
        },
    )
}
