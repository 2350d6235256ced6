//! FETCH (RFC 3501 §6.4.5, §7.4.2; RFC 3516 BINARY): message data as response items.

mod envelope;
mod section;
mod structure;

use std::borrow::Cow;

use imap_proto::command::Numbers;
use imap_proto::fetch::FetchAttr;
use imap_proto::response::Writer;
use imap_proto::sequence::SequenceSet;
use mailstore::mailbox::{FlagOp, Part as StorePart};
use mailstore::{Flags, SeqNo};
use rfc822::mime;

use structure::Extensions;

use crate::config::NulBytes;
use crate::respond::{Failure, Outcome};
use crate::selected::{Cached, Selected};

/// How much of each message the attributes need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// What the store knows without reading (flags, size, date, UID).
    Nothing,
    /// The header.
    Header,
    /// The whole message.
    Whole,
}

impl Need {
    fn of(attr: &FetchAttr) -> Need {
        match attr {
            FetchAttr::Flags | FetchAttr::InternalDate | FetchAttr::Rfc822Size | FetchAttr::Uid => {
                Need::Nothing
            }
            FetchAttr::Envelope | FetchAttr::Rfc822Header => Need::Header,
            _ => Need::Whole,
        }
    }
}

/// A message as read for one FETCH response.
struct Loaded {
    /// The header, or the whole message (CRLF line ends).
    bytes: Vec<u8>,
    need: Need,
    root: Option<mime::Part>,
}

impl Loaded {
    fn header(&self) -> &[u8] {
        match self.need {
            // The header with the empty line that ends it.
            Need::Whole => &self.bytes[..rfc822::header::split(&self.bytes).1],
            _ => &self.bytes,
        }
    }

    fn root(&mut self) -> &mime::Part {
        self.root.get_or_insert_with(|| mime::parse(&self.bytes))
    }
}

/// Runs FETCH or UID FETCH.
pub(crate) fn run(
    sel: &mut Selected,
    nul: NulBytes,
    numbers: Numbers,
    set: &SequenceSet,
    attrs: &[FetchAttr],
    out: &mut Writer,
) -> Outcome {
    let seqs = sel.resolve(numbers, set)?;
    // Reading a body marks it \Seen; do it first so the FLAGS written show it.
    let mut marked: Vec<SeqNo> = Vec::new();
    if sel.writable() && attrs.iter().any(FetchAttr::sets_seen) {
        marked = seqs
            .iter()
            .copied()
            .filter(|s| {
                sel.messages()
                    .get(s.index())
                    .is_some_and(|m| !m.flags.contains(Flags::SEEN))
            })
            .collect();
        if !marked.is_empty() {
            sel.mailbox
                .set_flags(&marked, FlagOp::Add, Flags::SEEN, &[])?;
        }
    }
    if attrs.contains(&FetchAttr::Envelope) {
        warm_envelopes(sel, &seqs)?;
    }
    let asks_flags = attrs.contains(&FetchAttr::Flags);
    for seq in seqs {
        // BODY and BODYSTRUCTURE may be known without reading the message.
        let mut need_here = Need::Nothing;
        for a in attrs {
            let n = match cached_kind(a) {
                Some(which) if sel.has_cached(which, seq) => Need::Nothing,
                _ => Need::of(a),
            };
            need_here = need_here.max(n);
        }
        let mut loaded = match need_here {
            Need::Nothing => None,
            Need::Header => Some(Loaded {
                bytes: sel.mailbox.fetch(seq, StorePart::Header)?,
                need: Need::Header,
                root: None,
            }),
            Need::Whole => Some(Loaded {
                bytes: sel.mailbox.fetch(seq, StorePart::Whole)?,
                need: Need::Whole,
                root: None,
            }),
        };
        out.text("* ").num(seq.get()).text(" FETCH (");
        let mut first = true;
        for a in attrs {
            if !first {
                out.text(" ");
            }
            first = false;
            if let Some(which) = cached_kind(a) {
                structure_item(out, sel, seq, which, loaded.as_mut())?;
            } else {
                item(out, sel, seq, a, loaded.as_mut(), nul)?;
            }
        }
        if !asks_flags && marked.binary_search(&seq).is_ok() {
            out.text(" FLAGS ");
            sel.write_message_flags(out, seq);
        }
        out.text(")\r\n");
    }
    Ok(())
}

/// How many headers are read before their envelopes are made, in parallel.
const ENVELOPE_BATCH: usize = 2048;

/// Makes and caches the envelopes of `seqs` that are not cached yet: the headers are read
/// in batches (the store reads one message at a time), and while the next batch is read
/// the envelopes of the last one are made on the other cores. A long FETCH ENVELOPE on a
/// mailbox no session has opened before spends most of its time here.
fn warm_envelopes(sel: &mut Selected, seqs: &[SeqNo]) -> Outcome {
    let missing: Vec<SeqNo> = seqs
        .iter()
        .copied()
        .filter(|&s| !sel.has_cached(Cached::Envelope, s))
        .collect();
    if missing.len() < ENVELOPE_BATCH / 4 {
        return Ok(());
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let read = |sel: &mut Selected, batch: &[SeqNo]| -> Result<Vec<Vec<u8>>, Failure> {
        batch
            .iter()
            .map(|&seq| Ok(sel.mailbox.fetch(seq, StorePart::Header)?))
            .collect()
    };
    let make = |headers: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        headers
            .iter()
            .map(|h| {
                let mut w = Writer::new();
                envelope::write(&mut w, h);
                w.take()
            })
            .collect()
    };
    let batches: Vec<&[SeqNo]> = missing.chunks(ENVELOPE_BATCH).collect();
    let mut next = read(sel, batches[0])?;
    for (i, batch) in batches.iter().enumerate() {
        let headers = std::mem::take(&mut next);
        let per = headers.len().div_ceil(workers).max(1);
        let mut parts: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut it = headers.into_iter();
        loop {
            let part: Vec<Vec<u8>> = it.by_ref().take(per).collect();
            if part.is_empty() {
                break;
            }
            parts.push(part);
        }
        let made: Result<Vec<Vec<u8>>, Failure> = std::thread::scope(|scope| {
            let jobs: Vec<_> = parts
                .into_iter()
                .map(|part| scope.spawn(move || make(part)))
                .collect();
            if let Some(b) = batches.get(i + 1) {
                next = read(sel, b)?;
            }
            Ok(jobs
                .into_iter()
                .flat_map(|j| j.join().unwrap_or_default())
                .collect())
        });
        let made = made?;
        if made.len() != batch.len() {
            // A worker failed; the main loop makes what is missing one by one.
            continue;
        }
        for (&seq, env) in batch.iter().zip(&made) {
            if let Some(uid) = sel.messages().get(seq.index()).map(|m| m.uid) {
                sel.cache(Cached::Envelope).put(uid, env);
            }
        }
    }
    Ok(())
}

/// Which cache answers an attribute, if one does.
fn cached_kind(a: &FetchAttr) -> Option<Cached> {
    match a {
        FetchAttr::Envelope => Some(Cached::Envelope),
        FetchAttr::Body => Some(Cached::Body),
        FetchAttr::BodyStructure => Some(Cached::BodyStructure),
        _ => None,
    }
}

/// Writes ENVELOPE, BODY or BODYSTRUCTURE, from the cache or from the message (then
/// cached).
fn structure_item(
    out: &mut Writer,
    sel: &mut Selected,
    seq: SeqNo,
    which: Cached,
    loaded: Option<&mut Loaded>,
) -> Outcome {
    let name = match which {
        Cached::Envelope => "ENVELOPE ",
        Cached::Body => "BODY ",
        Cached::BodyStructure => "BODYSTRUCTURE ",
    };
    out.text(name);
    let uid = sel
        .messages()
        .get(seq.index())
        .map(|m| m.uid)
        .ok_or_else(|| Failure::no("message vanished"))?;
    if let Some(b) = sel.cache(which).get(uid) {
        out.raw(b);
        return Ok(());
    }
    let Some(m) = loaded else {
        return Err(Failure::no("internal error: message not read"));
    };
    let mut w = Writer::new();
    match which {
        Cached::Envelope => envelope::write(&mut w, m.header()),
        Cached::Body | Cached::BodyStructure => {
            let ext = if which == Cached::Body {
                Extensions::Without
            } else {
                Extensions::With
            };
            m.root();
            if let Some(root) = &m.root {
                structure::write(&mut w, &m.bytes, root, ext);
            }
        }
    }
    let bytes = w.take();
    out.raw(&bytes);
    sel.cache(which).put(uid, &bytes);
    Ok(())
}

/// Writes one item of one message.
fn item(
    out: &mut Writer,
    sel: &Selected,
    seq: SeqNo,
    attr: &FetchAttr,
    loaded: Option<&mut Loaded>,
    nul: NulBytes,
) -> Outcome {
    let info = sel
        .messages()
        .get(seq.index())
        .ok_or_else(|| Failure::no("message vanished"))?;
    let Some(m) = loaded else {
        match attr {
            FetchAttr::Uid => {
                out.text("UID ").num(info.uid.get());
            }
            FetchAttr::Flags => {
                out.text("FLAGS ");
                sel.write_message_flags(out, seq);
            }
            FetchAttr::InternalDate => {
                out.text("INTERNALDATE \"")
                    .text(&info.internal_date.internal_form())
                    .text("\"");
            }
            FetchAttr::Rfc822Size => {
                out.text("RFC822.SIZE ").num(info.size);
            }
            _ => return Err(Failure::no("internal error: message not read")),
        }
        return Ok(());
    };
    match attr {
        FetchAttr::Uid | FetchAttr::Flags | FetchAttr::InternalDate | FetchAttr::Rfc822Size => {
            return item(out, sel, seq, attr, None, nul);
        }
        FetchAttr::Rfc822Header => {
            out.text("RFC822.HEADER ");
            data(out, m.header(), nul);
        }
        FetchAttr::Rfc822 => {
            out.text("RFC822 ");
            data(out, &m.bytes, nul);
        }
        FetchAttr::Rfc822Text => {
            let (_, body) = rfc822::header::split(&m.bytes);
            out.text("RFC822.TEXT ");
            data(out, &m.bytes[body..], nul);
        }
        FetchAttr::Envelope | FetchAttr::Body | FetchAttr::BodyStructure => {
            return Err(Failure::no("internal error: answered from its cache"));
        }
        FetchAttr::Section {
            section, partial, ..
        } => {
            m.root();
            let bytes = match &m.root {
                Some(root) => section::bytes(&m.bytes, root, section),
                None => None,
            };
            out.text("BODY[").text(&section.to_string()).text("]");
            write_partial(out, bytes, *partial, nul, Literal::Text);
        }
        FetchAttr::Binary { part, partial, .. } => {
            let decoded = binary(m, part)?;
            out.text("BINARY[").text(&path(part)).text("]");
            write_partial(out, decoded, *partial, nul, Literal::Binary);
        }
        FetchAttr::BinarySize { part } => {
            let n = binary(m, part)?.map_or(0, |d| d.len());
            out.text("BINARY.SIZE[").text(&path(part)).text("] ").num(n);
        }
    }
    Ok(())
}

/// The decoded content of part `path` (RFC 3516); unknown encodings are an error.
fn binary<'a>(m: &'a mut Loaded, part: &[u32]) -> Result<Option<Cow<'a, [u8]>>, Failure> {
    m.root();
    let Some(root) = &m.root else { return Ok(None) };
    if part.is_empty() {
        return Ok(Some(Cow::Borrowed(&m.bytes)));
    }
    let Some(p) = section::part(root, part) else {
        return Ok(None);
    };
    let body = &m.bytes[p.body.clone()];
    rfc822::decode::transfer(&p.content.encoding, body)
        .map(Some)
        .map_err(|e| Failure::no_code("UNKNOWN-CTE", e.to_string()))
}

fn path(part: &[u32]) -> String {
    part.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// How a body is sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Literal {
    /// A literal (NULs handled as configured).
    Text,
    /// A `literal8` when it holds NUL (RFC 3516).
    Binary,
}

fn write_partial(
    out: &mut Writer,
    bytes: Option<Cow<'_, [u8]>>,
    partial: Option<(u32, u32)>,
    nul: NulBytes,
    kind: Literal,
) {
    let Some(bytes) = bytes else {
        if let Some((origin, _)) = partial {
            out.text("<").num(origin).text(">");
        }
        out.text(" NIL");
        return;
    };
    let slice = match partial {
        Some((origin, count)) => {
            out.text("<").num(origin).text(">");
            let start = (origin as usize).min(bytes.len());
            let end = start.saturating_add(count as usize).min(bytes.len());
            &bytes[start..end]
        }
        None => &bytes[..],
    };
    out.text(" ");
    match kind {
        Literal::Binary if memchr::memchr(0, slice).is_some() => {
            out.text("~");
            out.literal(slice);
        }
        Literal::Binary => {
            out.literal(slice);
        }
        Literal::Text => data(out, slice, nul),
    }
}

/// Message data as a literal, NULs as configured (FAQ 7.34).
fn data(out: &mut Writer, bytes: &[u8], nul: NulBytes) {
    if nul == NulBytes::As0x80 && memchr::memchr(0, bytes).is_some() {
        let fixed: Vec<u8> = bytes
            .iter()
            .map(|&b| if b == 0 { 0x80 } else { b })
            .collect();
        out.literal(&fixed);
    } else {
        out.literal(bytes);
    }
}
