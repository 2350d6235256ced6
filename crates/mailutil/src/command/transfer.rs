//! `transfer [-m[erge] MODE] SOURCE DEST`: copies a whole hierarchy. Every selectable
//! mailbox that `LIST SOURCE*` finds is copied to DEST followed by its full name (so
//! `transfer mail/ backup/` makes `backup/mail/…`), hierarchy delimiters swapped when
//! DEST's differ. The first mailbox that fails to copy ends the transfer; one that cannot
//! be opened is reported and skipped.

use super::copy::{Create, Remove, copy_mailbox};
use super::{Context, Outcome};
use crate::access::{Access, cant};
use crate::args::{Merge, SourceAccess, Verbosity};

/// Transfers the hierarchy `src` to `dst`.
pub fn run(ctx: &Context, src: &str, dst: &str) -> Outcome {
    let verbose = ctx.switches.verbosity == Verbosity::Verbose;
    if verbose {
        println!("Listing mailboxes...");
    }
    // The destination's delimiter, from LIST "" "" on its side.
    let dst_delimiter = ctx
        .mailboxes
        .list(dst_reference(dst), "")
        .ok()
        .and_then(|l| l.first().map(|e| e.delimiter));
    let dst_delimiter = match dst_delimiter {
        Some(d) => d,
        None => {
            println!("warning: unable to get destination hierarchy delimiter!");
            None
        }
    };
    let listed = match ctx.mailboxes.list(src, "*") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", e.reason());
            Vec::new()
        }
    };
    let access = match ctx.switches.access {
        SourceAccess::ReadWrite => Access::ReadWrite,
        SourceAccess::ReadOnly => Access::ReadOnly,
    };
    let merge = ctx.switches.merge.clone().unwrap_or(Merge::Refuse);
    for entry in listed.iter().filter(|e| e.selectable && !e.name.is_empty()) {
        let target = format!(
            "{dst}{}",
            swap_delimiters(&entry.name, entry.delimiter, dst_delimiter)
        );
        if verbose {
            println!("Copying {}\n  => {target}", entry.name);
        }
        let mut source = match ctx.mailboxes.open(&entry.name, access) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}", cant("open", &entry.name, &e));
                println!("can't open source mailbox {}", entry.name);
                continue;
            }
        };
        let ok = copy_mailbox(ctx, &mut source, &target, Create::New, Remove::Keep, &merge);
        if let Err(e) = source.close() {
            eprintln!("{}", e.reason());
        }
        if !ok {
            return Outcome::Failure;
        }
    }
    Outcome::Success
}

/// The reference to ask the destination's delimiter with: its `{server}` part for a
/// remote name, nothing for a local one.
fn dst_reference(dst: &str) -> &str {
    match (dst.starts_with('{'), dst.find('}')) {
        (true, Some(i)) => &dst[..=i],
        _ => "",
    }
}

/// `name` with its delimiter `from` and the destination's `to` exchanged, as c-client's
/// mailutil does when they differ (a `to` in a name without a delimiter becomes `x`).
fn swap_delimiters(name: &str, from: Option<char>, to: Option<char>) -> String {
    match to {
        Some(to) if Some(to) != from => name
            .chars()
            .map(|c| {
                if c == to {
                    from.unwrap_or('x')
                } else if Some(c) == from {
                    to
                } else {
                    c
                }
            })
            .collect(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::swap_delimiters;

    #[test]
    fn delimiters_swap_only_when_they_differ() {
        assert_eq!(swap_delimiters("a/b.c", Some('/'), Some('/')), "a/b.c");
        assert_eq!(swap_delimiters("a/b.c", Some('/'), Some('.')), "a.b/c");
        assert_eq!(swap_delimiters("a.b", None, Some('.')), "axb");
        assert_eq!(swap_delimiters("a/b", Some('/'), None), "a/b");
    }
}
