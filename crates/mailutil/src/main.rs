//! `mailutil`: UW's mailbox utility, on our mail store.
//!
//! Usage, switches, output lines and exit codes are UW's (`mailutil(1)`): messages of
//! success on standard output, errors on standard error (warnings as `warning: …`), exit
//! status 0 on success and 1 otherwise.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::{Level, Notify};
use mailstore::{Close, CopyKeywords, Error, ExpungeScope, FlagOp, Flags, Mailbox, SeqNo, Store};

const USAGE: &str = "usage: mailutil command [switches] arguments

Standard switches valid with any command:
\t[-d[ebug]] [-v[erbose]] [--]

Commands:
 check [MAILBOX]
   ;; report number of messages and new messages
 create MAILBOX
   ;; create new mailbox
 delete MAILBOX
   ;; delete existing mailbox
 rename SOURCE DESTINATION
   ;; rename mailbox to a new name
 copy [-rw[copy]] [-kw[copy]] [-ig[nore]] SOURCE DESTINATION
 move [-rw[copy]] [-kw[copy]] [-ig[nore]] SOURCE DESTINATION
   ;; create new mailbox and copy/move messages
 append [-rw[copy]] [-kw[copy]] [-ig[nore]] SOURCE DESTINATION
 appenddelete [-rw[copy]] [-kw[copy]] [-ig[nore]] SOURCE DESTINATION
   ;; copy/move messages to existing mailbox
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            if !msg.is_empty() {
                println!("{msg}");
            }
            print!("{USAGE}");
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

enum Failure {
    /// Bad arguments: print this and the usage.
    Usage(String),
    /// The error has been printed.
    Reported,
}

/// Options that apply to copying commands.
#[derive(Default)]
struct Switches {
    verbose: bool,
    rw: bool,
    kw: bool,
    ignore: bool,
}

/// Whether a copy also removes the messages from the source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Remove {
    Keep,
    Delete,
}

/// Whether a copy creates the destination first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Create {
    New,
    Existing,
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::Usage(String::new()));
    };
    let mut sw = Switches::default();
    let mut operands = Vec::new();
    let mut switches_done = false;
    for a in rest {
        if switches_done || !a.starts_with('-') || a == "-" {
            operands.push(a.as_str());
            continue;
        }
        match a.to_ascii_lowercase().as_str() {
            "--" => switches_done = true,
            "-d" | "-debug" => {}
            "-v" | "-verbose" => sw.verbose = true,
            "-rw" | "-rwcopy" => sw.rw = true,
            "-kw" | "-kwcopy" => sw.kw = true,
            "-ig" | "-ignore" => sw.ignore = true,
            _ => return Err(Failure::Usage(format!("unknown switch: {a}"))),
        }
    }
    if sw.kw && sw.ignore {
        return Err(Failure::Usage(
            "-kwcopy and -ignore are mutually exclusive".into(),
        ));
    }
    let store = match open_store(sw.verbose) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Err(Failure::Reported);
        }
    };
    let copying = matches!(
        command.to_ascii_lowercase().as_str(),
        "copy" | "move" | "append" | "appenddelete"
    );
    if !copying && (sw.rw || sw.kw || sw.ignore) {
        return Err(Failure::Usage(format!("invalid switch for {command}")));
    }
    match (command.to_ascii_lowercase().as_str(), operands.as_slice()) {
        ("check", []) => check(&store, "INBOX"),
        ("check", [name]) => check(&store, name),
        ("create", [name]) => report(store.create(name), |e| {
            format!("Can't create mailbox {name}: {}", plain(e))
        }),
        ("delete", [name]) => report(store.delete(name), |e| {
            format!("Can't delete mailbox {name}: {}", plain(e))
        }),
        ("rename", [from, to]) => report(store.rename(from, to), |e| {
            format!("Can't rename mailbox {from} to {to}: {}", plain(e))
        }),
        ("copy", [src, dst]) => copy(&store, src, dst, &sw, Create::New, Remove::Keep),
        ("move", [src, dst]) => copy(&store, src, dst, &sw, Create::New, Remove::Delete),
        ("append", [src, dst]) => copy(&store, src, dst, &sw, Create::Existing, Remove::Keep),
        ("appenddelete", [src, dst]) => {
            copy(&store, src, dst, &sw, Create::Existing, Remove::Delete)
        }
        (
            "check" | "create" | "delete" | "rename" | "copy" | "move" | "append" | "appenddelete",
            _,
        ) => Err(Failure::Usage(String::new())),
        _ => Err(Failure::Usage(format!("unknown command: {command}"))),
    }
}

/// Prints notices as UW's mailutil does.
#[derive(Debug)]
struct Console {
    verbose: bool,
}

impl Notify for Console {
    fn notice(&self, level: Level, text: &str) {
        match level {
            Level::Info if self.verbose => eprintln!("[{text}]"),
            Level::Info => {}
            Level::Warn => eprintln!("warning: {text}"),
            Level::Error | Level::Critical => eprintln!("{text}"),
        }
    }
}

fn open_store(verbose: bool) -> anyhow::Result<Store> {
    let uid = nix::unistd::geteuid();
    let user = nix::unistd::User::from_uid(uid)?
        .ok_or_else(|| anyhow::anyhow!("Unable to look up user name"))?;
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .filter(|h| h.is_dir())
        .unwrap_or(user.dir.clone());
    let mut cfg = StoreConfig::new(&user.name, home);
    if let Some(mail) = std::env::var_os("MAIL").filter(|m| !m.is_empty()) {
        cfg.spool = mail.into();
    }
    cfg.notify = Arc::new(Console { verbose });
    mailstore::lock::kod::install()?;
    Ok(Store::new(cfg))
}

fn report(r: mailstore::Result<()>, describe: impl Fn(&Error) -> String) -> Result<(), Failure> {
    r.map_err(|e| {
        eprintln!("{}", describe(&e));
        Failure::Reported
    })
}

/// The reason part of an error, in c-client's words where they exist.
fn plain(e: &Error) -> String {
    match e {
        Error::NoSuchMailbox { .. } => "no such mailbox".into(),
        Error::NodeExists { .. } | Error::Inbox { .. } => e.to_string(),
        Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn check(store: &Store, name: &str) -> Result<(), Failure> {
    match store.status(name) {
        Ok(s) => {
            if s.recent > 0 || s.unseen > 0 {
                print!("{} new message(s) ({} unseen),", s.recent, s.unseen);
            } else {
                print!("No new messages,");
            }
            println!(" {} total in {name}", s.messages);
            Ok(())
        }
        Err(e) => {
            eprintln!("Can't get status of mailbox {name}: {}", plain(&e));
            Err(Failure::Reported)
        }
    }
}

fn copy(
    store: &Store,
    src: &str,
    dst: &str,
    sw: &Switches,
    create: Create,
    remove: Remove,
) -> Result<(), Failure> {
    let access = if sw.rw || remove == Remove::Delete {
        mailstore::Access::ReadWrite
    } else {
        mailstore::Access::ReadOnly
    };
    let mut source = store.open(src, access).map_err(|e| {
        eprintln!("Can't open mailbox {src}: {}", plain(&e));
        Failure::Reported
    })?;
    if create == Create::New {
        let kws: Vec<String> = if sw.ignore {
            Vec::new()
        } else {
            source.keywords().iter().map(|k| k.to_string()).collect()
        };
        store.create_with_keywords(dst, &kws).map_err(|e| {
            eprintln!("{}", plain(&e));
            Failure::Reported
        })?;
    }
    let n = source.messages().len();
    if n == 0 {
        if sw.verbose {
            println!("{src} [empty] => {dst}");
        }
        return Ok(());
    }
    if sw.verbose {
        print!("{src} [{n} message(s)] => {dst}");
    }
    let result = copy_messages(store, &mut *source, dst, sw.ignore);
    match result {
        Ok(()) => {
            if sw.verbose {
                println!(" [Ok {n} messages(s)]");
            }
        }
        Err(e) => {
            if sw.verbose {
                println!(" [Failed]");
            }
            eprintln!("{}", describe_copy_error(&e, dst));
            return Err(Failure::Reported);
        }
    }
    if remove == Remove::Delete {
        let all: Vec<SeqNo> = (1..=n as u32).filter_map(SeqNo::new).collect();
        let r = source
            .set_flags(&all, FlagOp::Add, Flags::DELETED, &[])
            .and_then(|()| source.expunge(ExpungeScope::AllDeleted).map(drop));
        if let Err(e) = r {
            eprintln!("{}", plain(&e));
            return Err(Failure::Reported);
        }
    }
    source.close(Close::Keep).map_err(|e| {
        eprintln!("{}", plain(&e));
        Failure::Reported
    })
}

fn describe_copy_error(e: &Error, dst: &str) -> String {
    match e {
        Error::NoSuchMailbox { .. } => {
            format!("[TRYCREATE] Must create mailbox before append: {dst}")
        }
        other => plain(other),
    }
}

/// Appends every message of `source` to `dst`, one at a time, with flags (not `\Recent`),
/// keywords (unless `ignore`) and internal dates.
fn copy_messages(
    store: &Store,
    source: &mut dyn Mailbox,
    dst: &str,
    ignore: bool,
) -> mailstore::Result<()> {
    let all: Vec<SeqNo> = (1..=source.messages().len() as u32)
        .filter_map(SeqNo::new)
        .collect();
    let keywords = if ignore {
        CopyKeywords::Drop
    } else {
        CopyKeywords::Keep
    };
    store.copy(source, &all, dst, keywords).map(drop)
}
