//! `dmail`: delivery for procmail (UW's `dmail(1)`), run as the recipient.
//!
//! `dmail [-D] [-s] [-k "keyword ..."] [-f|-r from] [user][+folder]` reads one message from
//! standard input, puts `Return-Path:` (with `-f`) and `Received: via dmail-… for user`
//! before it, and appends it to the folder (when it exists and may be delivered to) or to
//! INBOX, made if missing. Unlike tmail it runs with the user's own rights, so it refuses to
//! run as root or `daemon`, delivers only to the user running it, and accepts namespace
//! names (`#mh/…`, `#shared/…`) as folders; the MTA or procmail configuration must keep
//! senders from choosing those. `-s` delivers the message as `\Seen`; `-k` sets keywords
//! the mailbox already has.

use std::process::ExitCode;
use std::sync::Arc;

use mailstore::{Flags, Keyword};
use nix::unistd::{self, Uid, User};
use sysuser::account::SystemAccount;

use crate::message;
use crate::report::{Debug, Report};
use crate::safety::Owner;
use crate::sysexits::{self, Coercion, Exit};
use crate::target::{Delivery, FolderNames, Keywords, split_recipient};
use crate::tmail::{VERSION, precedence};

const HELP: &str = "usage: dmail [-D] [-s] [-k \"keyword ...\"] [-f|-r from] [user][+folder]

Delivers the message on standard input to the invoking user's +folder (when it exists)
or INBOX. For procmail and other filters that run as the user; never as root.

  -D            debug: tell what is done on standard error
  -s            deliver the message as seen
  -k keywords   set these keywords (only those the mailbox already has)
  -f from, -r from
                the envelope sender, written as Return-Path: <from>

Exit status: 0 delivered; 75 (EX_TEMPFAIL) for most failures.
";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Options {
    debug: bool,
    seen: bool,
    keywords: Option<String>,
    sender: Option<String>,
    recipient: Option<String>,
}

/// Runs dmail with the process's arguments.
pub fn main() -> ExitCode {
    sysexits::main(HELP, run)
}

fn run(args: &[String]) -> Exit {
    let mut report = Report::new("dmail", Debug::Off, Coercion::Dmail);
    let ruid = Uid::current();
    let daemon = User::from_name("daemon").ok().flatten().map(|u| u.uid);
    if ruid.is_root() || daemon == Some(ruid) {
        return report.fail("dmail may not be invoked by root or daemon", Exit::Usage);
    }
    let opts = match parse(args) {
        Ok(o) => o,
        Err(why) => return report.fail(&why, Exit::Usage),
    };
    if opts.debug {
        report.set_debug(Debug::On);
    }
    let report = Arc::new(report);
    let Some(me) = User::from_uid(unistd::geteuid())
        .ok()
        .flatten()
        .map(SystemAccount::from)
    else {
        return report.fail("can't determine user name", Exit::NoUser);
    };
    let recipient = opts.recipient.clone().unwrap_or_else(|| me.name.clone());
    let mut headers = String::new();
    if let Some(s) = &opts.sender {
        headers.push_str(&message::return_path(s));
    }
    headers.push_str(&format!(
        "Received: via dmail-{VERSION} for {recipient}; {}\r\n",
        message::rfc822_now()
    ));
    let prepared = match message::from_stdin(&headers, &report) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    deliver(&opts, &me, &recipient, &prepared.data, &report)
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next_if(|a| a.starts_with('-')) {
        let mut chars = arg.chars().skip(1);
        match chars.next() {
            Some('D') => o.debug = true,
            Some('s') => o.seen = true,
            Some('f' | 'r') => {
                if o.sender.is_some() {
                    return Err("duplicate -r".into());
                }
                o.sender = Some(it.next().ok_or("missing argument to -r")?.clone());
            }
            Some('k') => {
                if o.keywords.is_some() {
                    return Err("duplicate -k".into());
                }
                o.keywords = Some(it.next().ok_or("missing argument to -k")?.clone());
            }
            // A precedence for the site's quota hook (we have none).
            Some('p') => precedence(&chars.collect::<String>(), &mut it)?,
            _ => return Err("unknown switch".into()),
        }
    }
    let rest: Vec<&String> = it.collect();
    if rest.len() > 1 {
        return Err("too many recipients".into());
    }
    o.recipient = rest.first().map(|s| (*s).clone());
    Ok(o)
}

fn deliver(
    opts: &Options,
    me: &SystemAccount,
    recipient: &str,
    msg: &[u8],
    report: &Arc<Report>,
) -> Exit {
    let (user, folder) = split_recipient(recipient);
    let user = if user.is_empty() {
        me.name.as_str()
    } else {
        user
    };
    if user != me.name {
        return report.fail("can't deliver to other user", Exit::CantCreat);
    }
    report.debug(&format!(
        "delivering to {user}+{}",
        folder.unwrap_or("INBOX")
    ));
    let keywords = opts
        .keywords
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|k| Keyword::new(k).ok())
        .collect();
    let delivery = Delivery {
        store: crate::tmail::store_of(me, report, &crate::tmail::lock_helper()),
        report: Arc::clone(report),
        owner: Owner::Any,
        folders: FolderNames::WithNamespaces,
        flags: if opts.seen { Flags::SEEN } else { Flags::EMPTY },
        keywords: Keywords(keywords),
    };
    if let Some(f) = folder
        && let Some(exit) = delivery.to_folder(user, f, msg)
    {
        return exit;
    }
    delivery.to_inbox(msg, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn switches_are_parsed_as_uw() {
        let o = parse(&args("-D -s -k work -r bob@x +jobs")).unwrap();
        assert!(o.debug && o.seen);
        assert_eq!(o.keywords.as_deref(), Some("work"));
        assert_eq!(o.recipient.as_deref(), Some("+jobs"));
        assert_eq!(parse(&args("a b")).unwrap_err(), "too many recipients");
        assert_eq!(parse(&args("-f a -r b")).unwrap_err(), "duplicate -r");
        assert_eq!(parse(&args("-I x")).unwrap_err(), "unknown switch");
    }
}
