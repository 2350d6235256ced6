//! `pandad`: the standalone daemon. `pandad --quickstart` makes a demo setup and serves it
//! on loopback; `pandad --config FILE` serves a configuration: virtual users as tasks of
//! this process, system users (`accounts = "system"` or `"pam"`) with one child process
//! per connection (see [`pandad::children`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use pandad::Service;
use pandad::children::{ChildLog, Spawner};
use server::config::{Accounts, Config, Protocol};
use server::log::{Log, Stderr, Syslog};
use server::quickstart::{self, Created, Ports};

#[derive(Parser, Debug)]
#[command(
    name = "pandad",
    version,
    about = "Panda IMAP daemon",
    after_help = "The manual: pandad(8) and panda.toml(5)."
)]
struct Args {
    /// Make (or reuse) a demo setup and serve it on loopback.
    #[arg(long)]
    quickstart: bool,
    /// The quick start's directory [default: ~/.local/share/panda-imap/quickstart].
    #[arg(long, requires = "quickstart")]
    data_dir: Option<PathBuf>,
    /// The quick start's IMAP port.
    #[arg(long, default_value_t = 1143, requires = "quickstart")]
    imap_port: u16,
    /// The quick start's IMAPS port.
    #[arg(long, default_value_t = 1993, requires = "quickstart")]
    imaps_port: u16,
    /// The quick start's POP3 port.
    #[arg(long, default_value_t = 1110, requires = "quickstart")]
    pop3_port: u16,
    /// The quick start's POP3S port.
    #[arg(long, default_value_t = 1995, requires = "quickstart")]
    pop3s_port: u16,
    /// The configuration file.
    #[arg(
        long,
        default_value = "/etc/panda/panda.toml",
        conflicts_with = "quickstart"
    )]
    config: PathBuf,
    /// Where log lines go.
    #[arg(long, value_enum)]
    log: Option<LogTo>,
    /// Internal: serve one connection on standard input and output (how pandad runs
    /// each session of system users).
    #[arg(long, hide = true, value_enum, conflicts_with = "quickstart")]
    session_child: Option<ChildProtocol>,
}

/// What a session child speaks (its listener's protocol).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ChildProtocol {
    Imap,
    Imaps,
    Pop3,
    Pop3s,
}

impl From<ChildProtocol> for Protocol {
    fn from(p: ChildProtocol) -> Protocol {
        match p {
            ChildProtocol::Imap => Protocol::Imap,
            ChildProtocol::Imaps => Protocol::Imaps,
            ChildProtocol::Pop3 => Protocol::Pop3,
            ChildProtocol::Pop3s => Protocol::Pop3s,
        }
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogTo {
    Stderr,
    Syslog,
}

fn main() -> anyhow::Result<()> {
    let args: Args = pandad::cli::parse();
    if let Some(protocol) = args.session_child {
        let log_to = match args.log {
            Some(LogTo::Stderr) => pandad::stdio::LogTo::Stderr,
            Some(LogTo::Syslog) | None => pandad::stdio::LogTo::Syslog,
        };
        return pandad::children::run_child(protocol.into(), &args.config, log_to);
    }
    let log: Arc<dyn Log> = match args.log {
        Some(LogTo::Syslog) => Arc::new(Syslog::new("pandad")),
        Some(LogTo::Stderr) => Arc::new(Stderr::new("pandad")),
        None if args.quickstart => Arc::new(Stderr::new("pandad")),
        None => Arc::new(Syslog::new("pandad")),
    };
    let config_path = if args.quickstart {
        let dir = match args.data_dir {
            Some(d) => d,
            None => default_quickstart_dir()?,
        };
        let q = quickstart::prepare(
            &dir,
            Ports {
                imap: args.imap_port,
                imaps: args.imaps_port,
                pop3: args.pop3_port,
                pop3s: args.pop3s_port,
            },
        )?;
        let cfg = Config::load(&q.config)?;
        print_quickstart(&q, &cfg);
        q.config
    } else {
        args.config
    };
    let config = Config::load(&config_path)?;
    pandad::use_configured_keytab(&config)?;
    raise_fd_limit();
    // A UW process that wants a mailbox one of our sessions holds sends SIGUSR2; it must
    // reach those sessions, not end the daemon.
    mailstore::lock::kod::install().context("installing the kiss-of-death handler")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        if config.accounts != Accounts::Virtual {
            let child_log = match args.log {
                Some(LogTo::Stderr) => ChildLog::Stderr,
                Some(LogTo::Syslog) | None => ChildLog::Syslog,
            };
            let spawner = Arc::new(Spawner::new(&config, &config_path, log, child_log)?);
            let listeners = pandad::bind(&config).await?;
            spawner.serve(listeners, stop_signal()).await;
            return Ok(());
        }
        let service = Arc::new(Service::new(config, log)?);
        let listeners = service.bind().await?;
        service
            .serve(listeners, stop_signal(), Duration::from_secs(10))
            .await;
        Ok(())
    })
}

/// Each connection is a descriptor: allow as many as the hard limit does.
fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

fn default_quickstart_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("panda-imap/quickstart"));
    }
    let home = std::env::var_os("HOME").context("HOME is not set; give --data-dir")?;
    Ok(PathBuf::from(home).join(".local/share/panda-imap/quickstart"))
}

fn print_quickstart(q: &quickstart::Quickstart, cfg: &Config) {
    let what = match q.created {
        Created::New => "made",
        Created::Existing => "found",
    };
    println!("Panda IMAP quick start ({what} {})", q.dir.display());
    println!("  user:     {}", quickstart::DEMO_USER);
    println!("  password: {}", q.password);
    for l in &cfg.listen {
        let kind = match l.protocol {
            server::config::Protocol::Imap => "IMAP (STARTTLS offered)",
            server::config::Protocol::Imaps => "IMAPS",
            server::config::Protocol::Pop3 => "POP3 (STLS offered)",
            server::config::Protocol::Pop3s => "POP3S",
        };
        println!("  {kind:<24} {}", l.address);
    }
    println!(
        "  certificate: {} (self-signed, names localhost and 127.0.0.1)",
        q.dir.join("cert.pem").display()
    );
    println!();
    if let Some(imap) = cfg
        .listen
        .iter()
        .find(|l| l.protocol == server::config::Protocol::Imap)
    {
        println!("Try it:");
        println!(
            "  python3 -c \"import imaplib; m = imaplib.IMAP4('127.0.0.1', {}); m.login('demo', '{}'); print(m.select('INBOX'))\"",
            imap.address.port(),
            q.password
        );
        println!(
            "  mailutil check '{{127.0.0.1:{}/imap/notls/user=demo}}INBOX'",
            imap.address.port()
        );
    }
    println!("Any mail client works too: server 127.0.0.1, user demo. Stop with Ctrl-C.");
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}
