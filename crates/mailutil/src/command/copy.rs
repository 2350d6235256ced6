//! `copy`, `move`, `append` and `appenddelete SOURCE DESTINATION`: the messages of one
//! mailbox into another, with their flags (not \Recent), keywords and internal dates.
//! `copy` and `move` create the destination first; `move` and `appenddelete` then delete
//! the messages from the source and expunge it.
//!
//! [`copy_mailbox`] is c-client `mailutil`'s `mbxcopy`, which `transfer` uses for each
//! mailbox of a hierarchy, with its `-merge` modes.

use std::io::{BufRead, Write};

use mailstore::SeqNo;

use super::{Context, Outcome};
use crate::access::{Access, KeywordCopy, Opened, cant};
use crate::args::{KeywordMode, Merge, SourceAccess, Verbosity};
use crate::progress::Progress;

/// Whether the destination is created first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// `copy`, `move`, `transfer`: it must not exist yet (unless merging).
    New,
    /// `append`, `appenddelete`: it must exist.
    Existing,
}

/// Whether the copied messages leave the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remove {
    /// `copy`, `append`.
    Keep,
    /// `move`, `appenddelete`: flagged \Deleted and expunged.
    Delete,
}

/// Runs `copy`, `move`, `append` or `appenddelete`.
pub fn run(ctx: &Context, src: &str, dst: &str, create: Create, remove: Remove) -> Outcome {
    let access = match (remove, ctx.switches.access) {
        (Remove::Delete, _) | (_, SourceAccess::ReadWrite) => Access::ReadWrite,
        _ => Access::ReadOnly,
    };
    let mut source = match ctx.mailboxes.open(src, access) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", cant("open", src, &e));
            return Outcome::Failure;
        }
    };
    let ok = copy_mailbox(ctx, &mut source, dst, create, remove, &Merge::Refuse);
    let closed = match source.close() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("{}", e.reason());
            false
        }
    };
    Outcome::from_ok(ok && closed)
}

/// Copies every message of `source` to `dst`, creating it first (per `create`, handling
/// an existing name per `merge`), then removing them from the source (per `remove`).
/// Returns whether it all worked; what failed has been printed.
pub fn copy_mailbox(
    ctx: &Context,
    source: &mut Opened,
    dst: &str,
    create: Create,
    remove: Remove,
    merge: &Merge,
) -> bool {
    let verbose = ctx.switches.verbosity == Verbosity::Verbose;
    let mut name = dst.to_owned();
    let mut mode = merge.clone();
    // Whether the destination is new (then it has no keywords yet).
    let mut created = false;
    if create == Create::New {
        // Only -kwcopy defines the source's keywords in the new mailbox.
        let keywords = match ctx.switches.keywords {
            KeywordMode::CreateAll => source.keywords(),
            KeywordMode::Copy | KeywordMode::Ignore => Vec::new(),
        };
        created = true;
        while let Err(e) = ctx.mailboxes.create(&name, &keywords) {
            eprintln!("{}", cant("create", &name, &e));
            match mode {
                Merge::Refuse => return false,
                Merge::Append => {
                    created = false;
                    break;
                }
                Merge::Prompt => match prompt_for_name() {
                    Some(n) => name = n,
                    None => return false,
                },
                Merge::Suffix(suffix) => {
                    name = format!("{dst}{suffix}");
                    println!("retry to create {name}");
                    // If that name is taken too, ask.
                    mode = Merge::Prompt;
                }
            }
        }
    }
    // -kwcopy into a mailbox that was there: its keywords are defined first.
    if ctx.switches.keywords == KeywordMode::CreateAll && !created {
        let all = source.keywords();
        if !all.is_empty()
            && let Err(e) = ctx.mailboxes.define_keywords(&name, &all)
        {
            eprintln!("{}", cant("append to", &name, &e));
            return false;
        }
    }
    let n = source.count();
    if n == 0 {
        if verbose {
            println!("{} [empty] => {name}", source.label());
        }
        return true;
    }
    if verbose {
        println!("{} [{n} message(s)] => {name}", source.label());
    }
    let keywords = match ctx.switches.keywords {
        KeywordMode::Ignore => KeywordCopy::Drop,
        KeywordMode::Copy | KeywordMode::CreateAll => KeywordCopy::Keep,
    };
    // Without -kwcopy, a keyword the destination does not have is dropped with a
    // warning, as c-client's append does.
    let known = match ctx.switches.keywords {
        KeywordMode::Copy if created => Some(Vec::new()),
        KeywordMode::Copy => Some(ctx.mailboxes.keywords_of(&name)),
        KeywordMode::CreateAll | KeywordMode::Ignore => None,
    };
    let all: Vec<SeqNo> = (0..n).filter_map(SeqNo::from_index).collect();
    let progress = Progress::new(n, &name);
    let result = {
        let mut next = all.iter();
        let mut messages = std::iter::from_fn(|| {
            let &seq = next.next()?;
            let mut m = source.message(seq, keywords);
            if let (Ok(m), Some(known)) = (&mut m, &known) {
                m.keywords.retain(|k| {
                    let kept = known.iter().any(|x| x.eq_ignore_ascii_case(k.as_str()));
                    if !kept {
                        eprintln!("warning: Unknown flag: {k}");
                    }
                    kept
                });
            }
            progress.tick();
            Some(m)
        });
        ctx.mailboxes.append(&name, &mut messages)
    };
    progress.finish();
    match result {
        Ok(()) => {
            if verbose {
                println!("[Ok {n} messages(s)]");
            }
            if remove == Remove::Delete {
                match source.delete_and_expunge(&all) {
                    Ok(gone) => ctx.note_expunged(gone),
                    Err(e) => {
                        eprintln!("{}", e.reason());
                        return false;
                    }
                }
            }
            true
        }
        Err(e) if e.is_missing() && mode == Merge::Append => {
            // The name could not be created and does not exist: ask for another.
            copy_mailbox(ctx, source, &name, create, remove, &Merge::Prompt)
        }
        Err(e) => {
            if e.is_missing() && verbose {
                eprintln!("[[TRYCREATE] Must create mailbox before append]");
            }
            eprintln!("{}", cant("append to", &name, &e));
            if verbose {
                println!("[Failed]");
            }
            false
        }
    }
}

/// Asks on the terminal for another destination name (`-merge prompt`); `None` at the
/// end of the input.
fn prompt_for_name() -> Option<String> {
    let stdin = std::io::stdin();
    loop {
        print!("alternative name: ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let name = line.trim_end_matches(['\n', '\r']);
        if !name.is_empty() {
            return Some(name.to_owned());
        }
    }
}
