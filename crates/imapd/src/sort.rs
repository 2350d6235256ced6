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
            from: String::new(),
            to: String::new(),
            cc: String::new(),
            message_id: None,
            references: Vec::new(),
        };
        let mut in_reply_to = Vec::new();
        for field in header::fields(&h) {
            let v = rfc822::mime::unfold(field.value());
            let first_mailbox = || {
                rfc822::address::parse_list(&v)
                    .into_iter()
                    .find_map(|a| a.host.is_some().then_some(a.mailbox).flatten())
                    .map(|m| casemap(&String::from_utf8_lossy(&m)))
                    .unwrap_or_default()
            };
            if field.is("Date") {
                if let Some(d) = rfc822::date::parse_rfc5322(&v) {
                    f.sent = d.timestamp();
                }
            } else if field.is("Subject") && f.subject.is_empty() {
                f.subject = base_subject(&v);
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

/// The base subject (RFC 5256 §2.1): decoded, white space collapsed, reply and forward
/// markers (`Re:`, `Fwd:`, `[list]` blobs, `(fwd)`, `[fwd: …]`) removed, folded.
pub(crate) fn base_subject(raw: &[u8]) -> String {
    let decoded = decode_words(raw);
    let mut s: String = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = s.clone();
        // (2) trailing "(fwd)" and white space.
        loop {
            let t = s.trim_end();
            if t.len() >= 5 && t[t.len() - 5..].eq_ignore_ascii_case("(fwd)") {
                s = t[..t.len() - 5].to_owned();
            } else {
                s = t.to_owned();
                break;
            }
        }
        // (3) leading subject leaders and blobs.
        loop {
            let b = s.clone();
            s = strip_leader(&s);
            if s == b {
                break;
            }
        }
        // (6) "[fwd:" … "]".
        if s.len() > 6 && s[..5].eq_ignore_ascii_case("[fwd:") && s.ends_with(']') {
            s = s[5..s.len() - 1].trim().to_owned();
        }
        if s == before {
            break;
        }
    }
    casemap(&s)
}

/// Removes one leading `re:`/`fw:`/`fwd:` (with optional blob) or blob.
fn strip_leader(s: &str) -> String {
    let t = s.trim_start();
    // subj-blob: "[" *BLOBCHAR "]" — removed only if something is left.
    let after_blobs = skip_blob(t);
    let lower = after_blobs.to_ascii_lowercase();
    for w in ["re", "fwd", "fw"] {
        if lower.starts_with(w) {
            let rest = skip_blob(after_blobs[w.len()..].trim_start());
            if let Some(r) = rest.strip_prefix(':') {
                return r.trim_start().to_owned();
            }
        }
    }
    if after_blobs.len() != t.len() && !after_blobs.trim().is_empty() {
        return after_blobs.trim_start().to_owned();
    }
    t.to_owned()
}

fn skip_blob(t: &str) -> &str {
    if let Some(rest) = t.strip_prefix('[')
        && let Some(close) = rest.find(']')
        && !rest[..close].contains('[')
    {
        return rest[close + 1..].trim_start();
    }
    t
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
        for (raw, base) in [
            ("Re: hello", "hello"),
            ("RE: Re: Fwd: hello", "hello"),
            ("[list] Re: hello (fwd)", "hello"),
            ("Re[2]: hello", "hello"),
            ("[fwd: hello]", "hello"),
            ("  Hello   World  ", "hello world"),
            ("[only blob]", "[only blob]"),
            ("=?UTF-8?Q?R=C3=A9sum=C3=A9?=", "resume"),
            ("", ""),
        ] {
            assert_eq!(base_subject(raw.as_bytes()), base, "{raw:?}");
        }
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
