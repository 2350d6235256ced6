//! `mailutil`: UW's mailbox utility, on our mail store.
//!
//! Usage, switches, output lines and exit codes are UW's (`mailutil(1)`): results on
//! standard output, the store's errors on standard error (warnings as `warning: …`),
//! usage and command-line errors on standard output; exit status 0 on success and 1
//! otherwise (and always 1 after `prune`, as UW). `--help` prints the usage and exits 0.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

mod access;
mod account;
mod args;
mod command;
mod console;
mod criteria;
mod progress;
mod usage;

use std::process::ExitCode;

use access::Mailboxes;
use args::Args;
use command::copy::{Create, Remove};
use command::{Context, Outcome};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let program = argv.first().map_or("mailutil", String::as_str);
    let rest = argv.get(1..).unwrap_or_default();
    if rest.len() == 1 && rest[0] == "--help" {
        print!("{}", usage::full(program));
        return ExitCode::SUCCESS;
    }
    let outcome = match args::parse(rest) {
        Ok(args) => run(program, args),
        Err(e) => {
            println!("{e}");
            Outcome::Failure
        }
    };
    match outcome {
        Outcome::Success => ExitCode::SUCCESS,
        Outcome::Failure => ExitCode::FAILURE,
    }
}

/// Runs the command `args` name.
fn run(program: &str, args: Args) -> Outcome {
    let Args {
        command,
        src,
        dst,
        switches: sw,
    } = args;
    if let Some(user) = &sw.user
        && let Err(e) = account::become_user(user)
    {
        eprintln!("{}", e.0);
        return Outcome::Failure;
    }
    let store = match account::open_store(sw.verbosity, sw.user.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", e.0);
            return Outcome::Failure;
        }
    };
    let usage = |synopsis: &str| {
        print!("{}", usage::command(program, synopsis));
        Outcome::Failure
    };
    // Switches that only copies take.
    let copying = sw.access == args::SourceAccess::ReadWrite || sw.copy_switches;
    let merging = sw.merge.is_some();
    let ctx = Context {
        mailboxes: Mailboxes::Local(store),
        switches: sw,
    };
    let (src, dst) = (src.as_deref(), dst.as_deref());
    let copy_usage = |cmd: &str| format!("{cmd} {}", usage::COPY_ARGS);
    match command.as_str() {
        "check" => match (src, dst) {
            (_, None) if !merging && !copying => command::check::run(&ctx, src.unwrap_or("INBOX")),
            _ => usage(usage::CHECK),
        },
        "create" => match (src, dst) {
            (Some(name), None) if !merging && !copying => command::create::run(&ctx, name),
            _ => usage(usage::CREATE),
        },
        "delete" => match (src, dst) {
            (Some(name), None) if !merging && !copying => command::delete::run(&ctx, name),
            _ => usage(usage::DELETE),
        },
        "rename" => match (src, dst) {
            (Some(from), Some(to)) if !merging && !copying => command::rename::run(&ctx, from, to),
            _ => usage(usage::RENAME),
        },
        cmd @ ("copy" | "move" | "append" | "appenddelete") => {
            let (create, remove) = match cmd {
                "copy" => (Create::New, Remove::Keep),
                "move" => (Create::New, Remove::Delete),
                "append" => (Create::Existing, Remove::Keep),
                _ => (Create::Existing, Remove::Delete),
            };
            match (src, dst) {
                (Some(s), Some(d)) if !merging => command::copy::run(&ctx, s, d, create, remove),
                _ => usage(&copy_usage(cmd)),
            }
        }
        "prune" => match (src, dst) {
            (Some(name), Some(text)) if !merging && !copying => match criteria::parse(text) {
                Ok(c) => command::prune::run(&ctx, name, &c),
                Err(e) => {
                    eprintln!("{e}");
                    usage(usage::PRUNE)
                }
            },
            _ => usage(usage::PRUNE),
        },
        "transfer" => match (src, dst) {
            (Some(s), Some(d)) => command::transfer::run(&ctx, s, d),
            _ => usage(usage::TRANSFER),
        },
        _ => {
            print!("{}", usage::full(program));
            Outcome::Failure
        }
    }
}
