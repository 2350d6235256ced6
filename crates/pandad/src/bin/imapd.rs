//! `imapd`: one IMAP session on standard input and output, for inetd, xinetd or systemd
//! socket activation (`Accept=yes`), as UW's imapd; with `--preauth`, a session already
//! logged in as the invoking user (UW's rimapd). TLS from the first byte when started
//! on port 993 or under a name beginning with `s` (`simapd`), as UW decides.

use std::path::PathBuf;

use clap::Parser;
use pandad::stdio::{self, LogTo, Program, Start};
use server::config::Protocol;

#[derive(Parser, Debug)]
#[command(
    name = "imapd",
    version,
    about = "Panda IMAP server for inetd (one session on stdin/stdout)",
    after_help = "The manual: imapd(8) and panda.toml(5)."
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
    let args: Args = pandad::cli::parse();
    let start = match (args.preauth, args.tls) {
        (true, _) => Start::Preauth,
        (false, true) => Start::Tls,
        (false, false) => Start::Greeting,
    };
    stdio::run(
        Program {
            name: "imapd",
            plain: Protocol::Imap,
            tls: Protocol::Imaps,
            tls_port: 993,
        },
        &args.config,
        start,
        if args.log_stderr {
            LogTo::Stderr
        } else {
            LogTo::Syslog
        },
    )
}
