//! STORE and UID STORE (RFC 3501 §6.4.6): flags and keywords; new keywords are defined as
//! needed and announced with fresh FLAGS.

use imap_proto::command::{Numbers, Silence, StoreMode};
use imap_proto::sequence::SequenceSet;
use mailstore::mailbox::FlagOp;
use mailstore::{Flag, Flags, Keyword};

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

/// Splits flags as written into system flags and keywords. `\Recent` cannot be set and
/// is ignored; an unknown `\Flag` is an error.
pub(crate) fn parse_flags(raw: &[Vec<u8>]) -> Result<(Flags, Vec<Keyword>), Failure> {
    let mut flags = Flags::EMPTY;
    let mut keywords = Vec::new();
    for f in raw {
        if f.first() == Some(&b'\\') {
            let name = f[1..].to_ascii_lowercase();
            let flag = match name.as_slice() {
                b"seen" => Flag::Seen,
                b"answered" => Flag::Answered,
                b"flagged" => Flag::Flagged,
                b"deleted" => Flag::Deleted,
                b"draft" => Flag::Draft,
                b"recent" => continue,
                _ => {
                    return Err(Failure::bad(format!(
                        "Unknown system flag {}",
                        String::from_utf8_lossy(f)
                    )));
                }
            };
            flags = flags.union([flag].into_iter().collect());
        } else {
            let s = std::str::from_utf8(f).map_err(|_| Failure::bad("Invalid keyword"))?;
            let k = Keyword::new(s).map_err(|e| Failure::bad(e.to_string()))?;
            if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
    }
    Ok((flags, keywords))
}

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    numbers: Numbers,
    set: &SequenceSet,
    mode: StoreMode,
    silence: Silence,
    raw: &[Vec<u8>],
) -> Result<Done, Failure> {
    if !sel.writable() {
        return Err(Failure::no_code("READ-ONLY", "Mailbox is read-only"));
    }
    let (flags, keywords) = parse_flags(raw)?;
    let seqs = sel.resolve(numbers, set)?;
    let op = match mode {
        StoreMode::Replace => FlagOp::Replace,
        StoreMode::Add => FlagOp::Add,
        StoreMode::Remove => FlagOp::Remove,
    };
    if !seqs.is_empty() {
        sel.mailbox.set_flags(&seqs, op, flags, &keywords)?;
    }
    if sel.mailbox.keywords().len() != sel.keywords {
        sel.write_flags(ctx.out);
    }
    if silence == Silence::Loud {
        for seq in seqs {
            ctx.out.text("* ").num(seq.get()).text(" FETCH (");
            if numbers == Numbers::Uid
                && let Some(m) = sel.messages().get(seq.index())
            {
                ctx.out.text("UID ").num(m.uid.get()).text(" ");
            }
            ctx.out.text("FLAGS ");
            sel.write_message_flags(ctx.out, seq);
            ctx.out.text(")\r\n");
        }
    }
    Ok(Done::ok("STORE completed"))
}
