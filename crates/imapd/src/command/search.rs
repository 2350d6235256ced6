//! SEARCH and UID SEARCH (RFC 3501 §6.4.4), with ESEARCH results (RFC 4731) when RETURN
//! is given.

use imap_proto::command::{Numbers, SearchReturn};
use imap_proto::search::SearchKey;
use imap_proto::sequence::compact;

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    numbers: Numbers,
    ret: Option<&[SearchReturn]>,
    charset: Option<&[u8]>,
    key: &SearchKey,
) -> Result<Done, Failure> {
    let seqs = crate::search::run(sel, key, charset)?;
    let ids: Vec<u32> = match numbers {
        Numbers::Sequence => seqs.iter().map(|s| s.get()).collect(),
        Numbers::Uid => seqs
            .iter()
            .filter_map(|s| sel.messages().get(s.index()).map(|m| m.uid.get()))
            .collect(),
    };
    let out = &mut *ctx.out;
    match ret {
        None => {
            out.text("* SEARCH");
            for id in &ids {
                out.text(" ").num(id);
            }
            out.crlf();
        }
        Some(opts) => {
            // RETURN () means ALL.
            let all = [SearchReturn::All];
            let opts = if opts.is_empty() { &all[..] } else { opts };
            out.text("* ESEARCH (TAG ");
            out.string(ctx.tag, imap_proto::response::Form::String);
            out.text(")");
            if numbers == Numbers::Uid {
                out.text(" UID");
            }
            if !ids.is_empty() {
                for o in opts {
                    match o {
                        SearchReturn::Min => {
                            out.text(" MIN ").num(ids[0]);
                        }
                        SearchReturn::Max => {
                            out.text(" MAX ").num(ids[ids.len() - 1]);
                        }
                        SearchReturn::All => {
                            out.text(" ALL ").text(&compact(&ids));
                        }
                        SearchReturn::Count => {}
                    }
                }
            }
            if opts.contains(&SearchReturn::Count) {
                out.text(" COUNT ").num(ids.len());
            }
            out.crlf();
        }
    }
    Ok(Done::ok("SEARCH completed"))
}
