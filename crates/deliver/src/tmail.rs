//! `tmail`: the delivery agent an MTA runs for local recipients (UW's `tmail(1)`).
//!
//! `tmail [-D] [-b format] [-I inbox] [-f|-r from] user[+folder] ...` reads one message
//! from standard input, puts `Return-Path:` (with `-f`) and `Received: via tmail-…` before
//! it, and delivers it to each recipient. It runs as root (or setuid root): for each
//! recipient it becomes that user (`setgid`, `initgroups`, `setuid`, for good) before it
//! opens a mailbox, so that it can write nothing the user could not. With one recipient
//! that is this process; with several, each is delivered by a process of its own (UW forks;
//! we run this program again for each, with the prepared message on standard input), one
//! after the other, and the run fails if any delivery fails.
//!
//! `-b` (create a missing INBOX in this format) and `-I` (deliver to another INBOX) are for
//! root and `daemon` only. Exit codes are `<sysexits.h>`'s, with most failures made
//! `EX_TEMPFAIL` as UW does, so that the MTA tries again rather than bouncing.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;

use mailstore::config::Format;
use mailstore::lock::LockHelper;
use mailstore::{Flags, Store, StoreConfig};
use nix::unistd::{self, Uid, User};
use server::log::Level;
use sysuser::account::SystemAccount;

use crate::message::{self, LineEnds};
use crate::report::{Debug, Report, StoreNotices};
use crate::safety::Owner;
use crate::sysexits::{self, Coercion, Exit};
use crate::target::{Delivery, FolderNames, Keywords, split_recipient};

/// The version in `Received:` lines: UW's c-client release it follows, and ours.
pub const VERSION: &str = concat!("2010.rs-", env!("CARGO_PKG_VERSION"));

/// The internal switch by which tmail runs itself for one of several recipients, the
/// message already prepared on standard input; honoured only from a real user id of root.
const PREPARED: &str = "--prepared";

const HELP: &str = "usage: tmail [-D] [-b format] [-I inbox] [-f|-r from] user[+folder] ...

Delivers the message on standard input to each user's INBOX (or to +folder, when it
exists), in the format that mailbox is in.

  -D            debug: tell what is done on standard error
  -b format     create a missing INBOX in this format (unix, mbx, mix, mmdf, tenex,
                mtx, mx, mbox); root and daemon only
  -I inbox      deliver to this mailbox instead of INBOX (INBOX, #driver.FORMAT/name,
                or a name in the home directory); root and daemon only
  -f from, -r from
                the envelope sender, written as Return-Path: <from>

Exit status: 0 delivered; 75 (EX_TEMPFAIL) for most failures, so the MTA tries again.
";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Options {
    debug: bool,
    inbox: Option<String>,
    sender: Option<String>,
    format: Option<Format>,
    recipients: Vec<String>,
    /// The arguments to give each child (all but the recipients).
    switches: Vec<String>,
}

/// Runs tmail with the process's arguments.
pub fn main() -> ExitCode {
    sysexits::main(HELP, run)
}

fn run(args: &[String]) -> Exit {
    let (prepared, args) = match args.first() {
        Some(a) if a == PREPARED => (true, &args[1..]),
        _ => (false, args),
    };
    let mut report = Report::new("tmail", Debug::Off, Coercion::Tmail);
    if args.is_empty() && !prepared {
        return report.fail("usage: tmail [-D] user[+folder]", Exit::Usage);
    }
    let opts = match parse(args) {
        Ok(o) => o,
        Err(why) => return report.fail(&why, Exit::Usage),
    };
    if opts.debug {
        report.set_debug(Debug::On);
    }
    let report = Arc::new(report);
    let ruid = Uid::current();
    let helper = lock_helper();
    if prepared {
        if !ruid.is_root() {
            return report.fail("unknown switch", Exit::Usage);
        }
        let mut msg = Vec::new();
        if std::io::stdin().read_to_end(&mut msg).is_err() || msg.is_empty() {
            return report.fail("empty message", Exit::TempFail);
        }
        return match opts.recipients.as_slice() {
            [one] => deliver(&opts, one, &msg, &report, &helper),
            _ => report.fail("no recipients", Exit::Usage),
        };
    }
    if opts.recipients.is_empty() {
        return report.fail("no recipients", Exit::Usage);
    }
    // Delivery headers.
    let mut headers = String::new();
    if let Some(s) = &opts.sender {
        headers.push_str(&message::return_path(s));
    }
    headers.push_str(&format!("Received: via tmail-{VERSION}"));
    if !privileged(ruid) {
        let who = match User::from_uid(ruid).ok().flatten() {
            Some(u) => format!("user {}", u.name),
            None => format!("UID {ruid}"),
        };
        if opts.inbox.is_some() || opts.format.is_some() {
            return report.fail(
                &format!("{who} is not privileged to use -b or -I"),
                Exit::Usage,
            );
        }
        headers.push_str(&format!(" (invoked by {who})"));
    }
    if let [one] = opts.recipients.as_slice() {
        headers.push_str(&format!(" for {one}"));
    }
    headers.push_str("; ");
    headers.push_str(&message::rfc822_now());
    headers.push_str("\r\n");
    let prepared = match message::from_stdin(&headers, &report) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    if prepared.input == LineEnds::Lf {
        report.say(Level::Warning, "tmail called with LF-only newlines");
    }
    let ret = match opts.recipients.as_slice() {
        [one] => deliver(&opts, one, &prepared.data, &report, &helper),
        many if unistd::geteuid().is_root() => {
            each_in_a_process(&opts, many, &prepared.data, &report, &helper)
        }
        many => {
            // Not root: no identity to change, so no process is needed for it.
            let mut ret = Exit::Ok;
            for r in many {
                let e = deliver(&opts, r, &prepared.data, &report, &helper);
                if ret == Exit::Ok {
                    ret = e;
                }
            }
            ret
        }
    };
    report.debug(if ret == Exit::Ok {
        "all recipients delivered"
    } else {
        "error in delivery"
    });
    ret
}

/// UW's rule: root and `daemon` may use `-b` and `-I`, and are not named in `Received:`.
fn privileged(ruid: Uid) -> bool {
    ruid.is_root()
        || User::from_name("daemon")
            .ok()
            .flatten()
            .is_some_and(|d| d.uid == ruid)
}

/// Parses the switches as UW does: each is told by its second character.
fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next_if(|a| a.starts_with('-')) {
        let mut chars = arg.chars().skip(1);
        match chars.next() {
            Some('D') => {
                o.debug = true;
                o.switches.push(arg.clone());
            }
            Some('I') => {
                if o.inbox.is_some() || o.format.is_some() {
                    return Err("duplicate -b or -I".into());
                }
                let v = it.next().ok_or("missing argument to -I")?;
                o.inbox = Some(v.clone());
                o.switches.extend([arg.clone(), v.clone()]);
            }
            Some('f' | 'r') => {
                if o.sender.is_some() {
                    return Err("duplicate -f or -r".into());
                }
                let v = it.next().ok_or("missing argument to -f or -r")?;
                o.sender = Some(v.clone());
            }
            Some('b') => {
                if o.inbox.is_some() || o.format.is_some() {
                    return Err("duplicate -b or -I".into());
                }
                let v = it.next().ok_or("missing argument to -b")?;
                let f = Format::from_name(&v.to_ascii_lowercase()).ok_or("unknown format to -b")?;
                if matches!(f, Format::Dummy | Format::News | Format::Phile) {
                    return Err("invalid format to -b".into());
                }
                o.format = Some(f);
                o.switches.extend([arg.clone(), v.clone()]);
            }
            // Undocumented in UW: a precedence for the site's quota hook (we have none).
            Some('p') => precedence(&chars.collect::<String>(), &mut it)?,
            // Obsolete: meant several recipients.
            Some('d') => {}
            // Deprecated delivery flags, only logged.
            Some('s') => {
                it.next().ok_or("missing argument to deprecated flag")?;
            }
            _ => return Err("unknown switch".into()),
        }
    }
    o.recipients = it.cloned().collect();
    Ok(o)
}

/// `-p`, a precedence for the site's quota hook (we have none): its number is the rest of
/// the switch (`rest`) or the next argument, which is then taken from `args`.
pub(crate) fn precedence(
    rest: &str,
    args: &mut std::iter::Peekable<std::slice::Iter<'_, String>>,
) -> Result<(), String> {
    let number = |s: &str| s.starts_with('-') || s.starts_with(|c: char| c.is_ascii_digit());
    if !number(rest) && args.next_if(|v| number(v)).is_none() {
        return Err("missing argument to -p".into());
    }
    Ok(())
}

/// Delivers to each recipient in a process of its own (this program again), one after the
/// other; the status is the first failure's.
fn each_in_a_process(
    opts: &Options,
    recipients: &[String],
    msg: &[u8],
    report: &Report,
    helper: &LockHelper,
) -> Exit {
    // The children must be able to show that they were started by a privileged tmail:
    // their real user id is root.
    if !Uid::current().is_root() && unistd::setuid(Uid::from_raw(0)).is_err() {
        return report.fail("unable to regain root for delivery", Exit::OsErr);
    }
    let Ok(exe) = std::env::current_exe() else {
        return report.fail("can't find tmail program", Exit::OsErr);
    };
    let mut file = match tempfile::tempfile() {
        Ok(f) => f,
        Err(_) => return report.fail("can't make temp file", Exit::TempFail),
    };
    if file.write_all(msg).is_err() {
        return report.fail("error writing temp file", Exit::TempFail);
    }
    let mut ret = Exit::Ok;
    for r in recipients {
        let status = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.try_clone())
            .and_then(|f: File| {
                let mut cmd = Command::new(&exe);
                // The children are root through and through: they get the helper this
                // process chose, never one from the invoker's environment.
                cmd.env_remove(MLOCK_ENV);
                if let LockHelper::Program(p) = helper {
                    cmd.env(MLOCK_ENV, p);
                }
                cmd.arg(PREPARED)
                    .args(&opts.switches)
                    .arg(r)
                    .stdin(Stdio::from(f))
                    .status()
            });
        let e = match status {
            Ok(s) => match s.code() {
                Some(0) => Exit::Ok,
                Some(c) => from_code(c),
                None => Exit::Software,
            },
            Err(e) => report.fail(&e.to_string(), Exit::OsErr),
        };
        if ret == Exit::Ok {
            ret = e;
        }
    }
    ret
}

fn from_code(c: i32) -> Exit {
    match c {
        64 => Exit::Usage,
        67 => Exit::NoUser,
        69 => Exit::Unavailable,
        71 => Exit::OsErr,
        73 => Exit::CantCreat,
        75 => Exit::TempFail,
        77 => Exit::NoPerm,
        _ => Exit::Software,
    }
}

/// Delivers `msg` to `recipient` (`user[+folder]`), becoming the user first.
fn deliver(
    opts: &Options,
    recipient: &str,
    msg: &[u8],
    report: &Arc<Report>,
    helper: &LockHelper,
) -> Exit {
    let (user, folder) = split_recipient(recipient);
    let account = match SystemAccount::lookup(user) {
        Ok(Some(a)) => a,
        _ => return report.fail(&format!("no such user as {user}"), Exit::NoUser),
    };
    if folder.is_some_and(|f| f.len() > 256) {
        return report.fail("absurd folder name", Exit::NoUser);
    }
    if account.is_root() {
        return report.fail("mail to root prohibited", Exit::NoUser);
    }
    let euid = unistd::geteuid();
    if account.uid != euid && sysuser::privilege::become_user(&account).is_err() {
        return report.fail(
            &format!("unable to log in UID {} from UID {euid}", account.uid),
            Exit::NoUser,
        );
    }
    report.debug(&format!(
        "delivering to {user}+{}",
        folder.unwrap_or("INBOX")
    ));
    let delivery = Delivery {
        store: store_of(&account, report, helper),
        report: Arc::clone(report),
        owner: Owner::Recipient(account.uid),
        folders: FolderNames::Own,
        flags: Flags::EMPTY,
        keywords: Keywords::default(),
    };
    if let Some(f) = folder
        && let Some(exit) = delivery.to_folder(user, f, msg)
    {
        return exit;
    }
    if let Some(spec) = &opts.inbox
        && let Some(exit) = delivery.to_inbox_spec(spec, msg)
    {
        return exit;
    }
    delivery.to_inbox(msg, opts.format)
}

/// The environment variable naming the `mlock` helper to use instead of the first of
/// the usual places. Honoured only by a process that is not running setuid or setgid
/// (its real and effective ids are the same), so that whoever invokes a privileged tmail
/// cannot choose a program it will run.
pub const MLOCK_ENV: &str = "PANDA_MLOCK";

/// The store of `account`, as UW's c-client sees it by default.
pub(crate) fn store_of(
    account: &SystemAccount,
    report: &Arc<Report>,
    helper: &LockHelper,
) -> Store {
    let mut cfg = StoreConfig::new(&account.name, &account.home);
    cfg.notify = Arc::new(StoreNotices(Arc::clone(report)));
    cfg.locks.helper = helper.clone();
    Store::new(cfg)
}

/// The `mlock` helper this run may use (see [`MLOCK_ENV`]); read before any change of
/// identity.
pub(crate) fn lock_helper() -> LockHelper {
    let unprivileged =
        Uid::current() == unistd::geteuid() && unistd::Gid::current() == unistd::getegid();
    match std::env::var_os(MLOCK_ENV) {
        Some(p) if unprivileged && !p.is_empty() => LockHelper::Program(p.into()),
        _ => LockHelper::Search,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn switches_are_parsed_as_uw() {
        let o = parse(&args("-D -f bob@x -b mbx a b+c")).unwrap();
        assert!(o.debug);
        assert_eq!(o.sender.as_deref(), Some("bob@x"));
        assert_eq!(o.format, Some(Format::Mbx));
        assert_eq!(o.recipients, ["a", "b+c"]);
        assert_eq!(o.switches, ["-D", "-b", "mbx"]);
        assert_eq!(parse(&args("-x a")).unwrap_err(), "unknown switch");
        assert_eq!(
            parse(&args("-b mbx -I INBOX a")).unwrap_err(),
            "duplicate -b or -I"
        );
        assert_eq!(
            parse(&args("-f")).unwrap_err(),
            "missing argument to -f or -r"
        );
        assert_eq!(
            parse(&args("-b nosuch a")).unwrap_err(),
            "unknown format to -b"
        );
        assert_eq!(
            parse(&args("-b dummy a")).unwrap_err(),
            "invalid format to -b"
        );
        assert_eq!(parse(&args("-p5 -p 3 -d a")).unwrap().recipients, ["a"]);
        assert_eq!(parse(&args("-p x")).unwrap_err(), "missing argument to -p");
    }
}
