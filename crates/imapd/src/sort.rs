//! SORT (RFC 5256): ordering messages by criteria, and the base subject both SORT and
//! THREAD compare.

use std::cmp::Ordering;

use imap_proto::command::{SortCriterion, SortKey, SortOrder};
use mailstore::SeqNo;
use mailstore::mailbox::Part as StorePart;
use rfc822::header;
use rfc822::text::{casemap, decode_words};

use crate::respond::Failure;
use crate::selected::Selected;

/// What SORT and THREAD know about one message.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub seq: SeqNo,
    pub uid: u32,
    pub arrival: i64,
    pub sent: i64,
    pub size: u32,
    pub subject: String,
    pub marked: Marked,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub message_id: Option<Vec<u8>>,
    pub references: Vec<Vec<u8>>,
}

/// Reads the facts of messages `seqs`.
pub(crate) fn facts(sel: &mut Selected, seqs: &[SeqNo]) -> Result<Vec<Facts>, Failure> {
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let info = sel
            .messages()
            .get(seq.index())
            .cloned()
            .ok_or_else(|| Failure::no("message vanished"))?;
        let h = sel.mailbox.fetch(seq, StorePart::Header)?;
        let mut f = Facts {
            seq,
            uid: info.uid.get(),
            arrival: info.internal_date.timestamp(),
            sent: info.internal_date.timestamp(),
            size: info.size,
            subject: String::new(),
            marked: Marked::Original,
            from: String::new(),
            to: String::new(),
            cc: String::new(),
            message_id: None,
            references: Vec::new(),
        };
        let mut in_reply_to = Vec::new();
        let mut subject_seen = false;
        for field in header::fields(&h) {
            let v = rfc822::mime::unfold(field.value());
            let first_mailbox = || {
                rfc822::address::parse_list(&v)
                    .into_iter()
                    .find_map(|a| a.host.is_some().then_some(a.mailbox).flatten())
                    .map(|m| sort_key(&String::from_utf8_lossy(&m)))
                    .unwrap_or_default()
            };
            if field.is("Date") {
                if let Some(d) = rfc822::date::parse_rfc5322(&v) {
                    f.sent = d.timestamp();
                }
            } else if field.is("Subject") && !subject_seen {
                subject_seen = true;
                (f.subject, f.marked) = base_subject(&v);
            } else if field.is("From") && f.from.is_empty() {
                f.from = first_mailbox();
            } else if field.is("To") && f.to.is_empty() {
                f.to = first_mailbox();
            } else if field.is("Cc") && f.cc.is_empty() {
                f.cc = first_mailbox();
            } else if field.is("Message-ID") && f.message_id.is_none() {
                f.message_id = msg_ids(&v).into_iter().next();
            } else if field.is("References") && f.references.is_empty() {
                f.references = msg_ids(&v);
            } else if field.is("In-Reply-To") && in_reply_to.is_empty() {
                in_reply_to = msg_ids(&v);
            }
        }
        if f.references.is_empty() {
            f.references = in_reply_to.into_iter().take(1).collect();
        }
        out.push(f);
    }
    Ok(out)
}

/// The `<…>` message identifiers in a field value.
fn msg_ids(v: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(open) = rest.iter().position(|&c| c == b'<') {
        let Some(len) = rest[open..].iter().position(|&c| c == b'>') else {
            break;
        };
        let id: Vec<u8> = rest[open..=open + len]
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if id.len() > 2 {
            out.push(id);
        }
        rest = &rest[open + len + 1..];
    }
    out
}

/// Whether a subject marked its message as a reply or a forward (RFC 5256 §2.1: base
/// subject extraction removed a `Re:`/`Fw:`/`Fwd:` leader, a `(fwd)` trailer or a
/// `[fwd: …]` wrapper). THREAD=REFERENCES uses it when it gathers by subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marked {
    /// Nothing was removed that says reply or forward.
    Original,
    /// A reply or forward marker was removed.
    ReplyOrForward,
}

/// The base subject (RFC 5256 §2.1) as a comparison key: encoded words decoded to
/// Unicode (whatever their charsets), white space collapsed, reply and forward markers
/// and `[list]` blobs removed, then case and form folded and upper-cased — RFC 5051
/// `i;unicode-casemap` titlecases, which is also why c-client sorts `[ \ ] _` after the
/// letters.
pub(crate) fn base_subject(raw: &[u8]) -> (String, Marked) {
    let decoded = decode_words(raw);
    let (base, marked) = extract_base(&decoded);
    (sort_key(&base), marked)
}

/// The comparison key of text for SORT: folded (RFC 5051), then upper case, so octet
/// order is c-client's.
pub(crate) fn sort_key(s: &str) -> String {
    let folded = casemap(s);
    if folded.is_ascii() {
        folded.to_ascii_uppercase()
    } else {
        folded.to_uppercase()
    }
}

/// RFC 5256 §2.1 steps (1)–(6) on decoded text.
fn extract_base(decoded: &str) -> (String, Marked) {
    let mut marked = Marked::Original;
    // (1) Runs of white space become one space.
    let mut s: String = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        // (2) Trailing "(fwd)" and white space.
        loop {
            let t = s.trim_end();
            match t.len().checked_sub(5).and_then(|at| t.get(at..)) {
                Some(tail) if tail.eq_ignore_ascii_case("(fwd)") => {
                    s = t[..t.len() - 5].to_owned();
                    marked = Marked::ReplyOrForward;
                }
                _ => {
                    s = t.to_owned();
                    break;
                }
            }
        }
        // (3)–(5) Leaders and blobs until nothing changes.
        loop {
            let t = s.trim_start();
            if let Some(rest) = strip_refwd(t) {
                s = rest.to_owned();
                marked = Marked::ReplyOrForward;
                continue;
            }
            // (4) A leading blob goes if something is left after it.
            if let Some(rest) = skip_blob(t)
                && !rest.is_empty()
            {
                s = rest.to_owned();
                continue;
            }
            s = t.to_owned();
            break;
        }
        // (6) "[fwd:" … "]": take the inside and start again.
        if s.len() > 6
            && s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("[fwd:"))
            && s.ends_with(']')
        {
            s = s[5..s.len() - 1].to_owned();
            marked = Marked::ReplyOrForward;
            continue;
        }
        return (s, marked);
    }
}

/// `t` without a leading subj-leader `*subj-blob subj-refwd` (RFC 5256 §5 grammar:
/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`), if it has one.
fn strip_refwd(t: &str) -> Option<&str> {
    let mut rest = t;
    while let Some(r) = skip_blob(rest) {
        rest = r;
    }
    let word = ["re", "fwd", "fw"].into_iter().find(|w| {
        rest.get(..w.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(w))
    })?;
    let mut after = rest[word.len()..].trim_start();
    if let Some(r) = skip_blob(after) {
        after = r;
    }
    after.strip_prefix(':').map(str::trim_start)
}

/// `t` after a leading `[…]` blob (no `[` or `]` inside) and the white space after it.
fn skip_blob(t: &str) -> Option<&str> {
    let rest = t.strip_prefix('[')?;
    let close = rest.find(['[', ']'])?;
    (rest.as_bytes()[close] == b']').then(|| rest[close + 1..].trim_start())
}

/// Orders `facts` by `criteria` (ties by sequence number).
pub(crate) fn order(facts: &mut [Facts], criteria: &[SortCriterion]) {
    facts.sort_by(|a, b| {
        for c in criteria {
            let o = match c.key {
                SortKey::Arrival => a.arrival.cmp(&b.arrival),
                SortKey::Date => a.sent.cmp(&b.sent),
                SortKey::Size => a.size.cmp(&b.size),
                SortKey::Subject => a.subject.cmp(&b.subject),
                SortKey::From => a.from.cmp(&b.from),
                SortKey::To => a.to.cmp(&b.to),
                SortKey::Cc => a.cc.cmp(&b.cc),
            };
            let o = match c.order {
                SortOrder::Ascending => o,
                SortOrder::Descending => o.reverse(),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.seq.cmp(&b.seq)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_subjects() {
        use Marked::{Original as O, ReplyOrForward as R};
        for (raw, base, marked) in [
            ("Re: hello", "HELLO", R),
            ("RE: Re: Fwd: hello", "HELLO", R),
            ("[list] Re: hello (fwd)", "HELLO", R),
            ("[a][b] re [2]: hello", "HELLO", R),
            ("Re[2]: hello", "HELLO", R),
            ("Fw : hello", "HELLO", R),
            ("[fwd: hello]", "HELLO", R),
            ("[fwd: Re: [x] hello (fwd)]", "HELLO", R),
            ("[list] hello", "HELLO", O),
            ("  Hello   World  ", "HELLO WORLD", O),
            ("[only blob]", "[ONLY BLOB]", O),
            ("[a] [b]", "[B]", O),
            ("Reply to all", "REPLY TO ALL", O),
            ("re:", "", R),
            ("=?UTF-8?Q?R=C3=A9sum=C3=A9?=", "RESUME", O),
            ("Re: =?ISO-8859-1?Q?r=E9sum=E9?=", "RESUME", R),
            ("=?UTF-8?B?UmU6INCf0YDQuNCy0LXRgg==?=", "ПРИВЕТ", R),
            ("Straße", "STRASSE", O),
            ("", "", O),
        ] {
            assert_eq!(
                base_subject(raw.as_bytes()),
                (base.to_owned(), marked),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn sort_keys_order_as_c_client() {
        // Upper-cased keys put `[ \ ] _` after the letters.
        assert!(sort_key("_x") > sort_key("zebra"));
        assert!(sort_key("[x]") > sort_key("Zebra"));
        assert!(sort_key("apple") < sort_key("Banana"));
        assert_eq!(sort_key("Éclair"), sort_key("eclair"));
    }

    #[test]
    fn message_ids() {
        assert_eq!(
            msg_ids(b"<a@b> (c) <c@d>"),
            vec![b"<a@b>".to_vec(), b"<c@d>".to_vec()]
        );
        assert!(msg_ids(b"none").is_empty());
    }
}
