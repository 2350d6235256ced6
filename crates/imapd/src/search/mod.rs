//! SEARCH (RFC 3501 §6.4.4, RFC 5032 WITHIN): which messages match a key.
//!
//! Keys are prepared once (search strings converted from their charset and folded,
//! keywords looked up); then each message is tested, reading its header or whole text
//! only when a key needs it.

mod rfc2231;
pub(crate) mod text;

use imap_proto::search::{Day, SearchKey};
use imap_proto::sequence::SequenceSet;
use mailstore::mailbox::Part as StorePart;
use mailstore::{Flags, MessageInfo, SeqNo};
use rfc822::text::Charset;

use crate::respond::Failure;
use crate::selected::Selected;
use text::{Needle, WithHeader};

/// A key ready to test.
#[derive(Debug)]
enum Key {
    All,
    Flag(Flags, Has),
    Keyword(Option<usize>, Has),
    New,
    Old,
    Recent,
    Larger(u32),
    Smaller(u32),
    Before(Day),
    On(Day),
    Since(Day),
    SentBefore(Day),
    SentOn(Day),
    SentSince(Day),
    Older(u32),
    Younger(u32),
    Header(Vec<u8>, Needle),
    Body(Needle),
    Text(Needle),
    Sequence(SequenceSet),
    Uid(SequenceSet),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
}

/// Whether a flag key wants the flag set or clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Has {
    Set,
    Clear,
}

/// The charset search strings are in.
fn charset(name: Option<&[u8]>) -> Result<Charset, Failure> {
    match name {
        None => Ok(Charset::Utf8),
        Some(n) => Charset::from_name(n).ok_or_else(|| {
            Failure::no_code(
                &format!("BADCHARSET ({})", Charset::NAMES.join(" ")),
                "Unknown charset",
            )
        }),
    }
}

/// Prepares `key` for the selected mailbox.
fn prepare(key: &SearchKey, cs: Charset, sel: &Selected) -> Key {
    let needle = |s: &[u8]| Needle::new(&cs.decode(s));
    let keyword = |k: &[u8]| {
        sel.mailbox
            .keywords()
            .iter()
            .position(|x| x.as_str().as_bytes().eq_ignore_ascii_case(k))
    };
    let header = |name: &str, v: &[u8]| Key::Header(name.as_bytes().to_vec(), needle(v));
    match key {
        SearchKey::All => Key::All,
        SearchKey::Answered => Key::Flag(Flags::ANSWERED, Has::Set),
        SearchKey::Deleted => Key::Flag(Flags::DELETED, Has::Set),
        SearchKey::Draft => Key::Flag(Flags::DRAFT, Has::Set),
        SearchKey::Flagged => Key::Flag(Flags::FLAGGED, Has::Set),
        SearchKey::Seen => Key::Flag(Flags::SEEN, Has::Set),
        SearchKey::Unanswered => Key::Flag(Flags::ANSWERED, Has::Clear),
        SearchKey::Undeleted => Key::Flag(Flags::DELETED, Has::Clear),
        SearchKey::Undraft => Key::Flag(Flags::DRAFT, Has::Clear),
        SearchKey::Unflagged => Key::Flag(Flags::FLAGGED, Has::Clear),
        SearchKey::Unseen => Key::Flag(Flags::SEEN, Has::Clear),
        SearchKey::Keyword(k) => Key::Keyword(keyword(k), Has::Set),
        SearchKey::Unkeyword(k) => Key::Keyword(keyword(k), Has::Clear),
        SearchKey::New => Key::New,
        SearchKey::Old => Key::Old,
        SearchKey::Recent => Key::Recent,
        SearchKey::Larger(n) => Key::Larger(*n),
        SearchKey::Smaller(n) => Key::Smaller(*n),
        SearchKey::Before(d) => Key::Before(*d),
        SearchKey::On(d) => Key::On(*d),
        SearchKey::Since(d) => Key::Since(*d),
        SearchKey::SentBefore(d) => Key::SentBefore(*d),
        SearchKey::SentOn(d) => Key::SentOn(*d),
        SearchKey::SentSince(d) => Key::SentSince(*d),
        SearchKey::Older(n) => Key::Older(*n),
        SearchKey::Younger(n) => Key::Younger(*n),
        SearchKey::Bcc(v) => header("Bcc", v),
        SearchKey::Cc(v) => header("Cc", v),
        SearchKey::From(v) => header("From", v),
        SearchKey::To(v) => header("To", v),
        SearchKey::Subject(v) => header("Subject", v),
        SearchKey::Header(name, v) => Key::Header(name.clone(), needle(v)),
        SearchKey::Body(v) => Key::Body(needle(v)),
        SearchKey::Text(v) => Key::Text(needle(v)),
        SearchKey::Sequence(s) => Key::Sequence(s.clone()),
        SearchKey::Uid(s) => Key::Uid(s.clone()),
        SearchKey::Not(k) => Key::Not(Box::new(prepare(k, cs, sel))),
        SearchKey::Or(a, b) => {
            Key::Or(Box::new(prepare(a, cs, sel)), Box::new(prepare(b, cs, sel)))
        }
        SearchKey::And(v) => Key::And(v.iter().map(|k| prepare(k, cs, sel)).collect()),
    }
}

/// One message under test, read as keys need it.
struct Candidate<'a> {
    sel: &'a mut Selected,
    seq: SeqNo,
    info: MessageInfo,
    header: Option<Vec<u8>>,
    whole: Option<Vec<u8>>,
    now: i64,
    last: u32,
    last_uid: u32,
}

impl Candidate<'_> {
    fn header(&mut self) -> Result<&[u8], Failure> {
        if let Some(w) = &self.whole {
            let end = rfc822::header::split(w).1;
            return Ok(&w[..end]);
        }
        if self.header.is_none() {
            self.header = Some(self.sel.mailbox.fetch(self.seq, StorePart::Header)?);
        }
        Ok(self.header.as_deref().unwrap_or_default())
    }

    fn whole(&mut self) -> Result<&[u8], Failure> {
        if self.whole.is_none() {
            self.whole = Some(self.sel.mailbox.fetch(self.seq, StorePart::Whole)?);
        }
        Ok(self.whole.as_deref().unwrap_or_default())
    }

    /// The day the message was sent (its Date:, as written), else its arrival day.
    fn sent_day(&mut self) -> Result<Day, Failure> {
        let date = {
            let h = self.header()?;
            rfc822::header::fields(h)
                .find(|f| f.is("Date"))
                .and_then(|f| rfc822::date::parse_rfc5322(&rfc822::mime::unfold(f.value())))
        };
        Ok(day_of(date.as_ref().unwrap_or(&self.info.internal_date)))
    }

    fn matches(&mut self, key: &Key) -> Result<bool, Failure> {
        let flags = self.info.flags;
        Ok(match key {
            Key::All => true,
            Key::Flag(f, Has::Set) => flags.contains(*f),
            Key::Flag(f, Has::Clear) => !flags.contains(*f),
            Key::Keyword(Some(i), has) => self.info.keywords.contains(*i) == (*has == Has::Set),
            Key::Keyword(None, has) => *has == Has::Clear,
            Key::New => flags.contains(Flags::RECENT) && !flags.contains(Flags::SEEN),
            Key::Old => !flags.contains(Flags::RECENT),
            Key::Recent => flags.contains(Flags::RECENT),
            Key::Larger(n) => self.info.size > *n,
            Key::Smaller(n) => self.info.size < *n,
            Key::Before(d) => day_of(&self.info.internal_date) < *d,
            Key::On(d) => day_of(&self.info.internal_date) == *d,
            Key::Since(d) => day_of(&self.info.internal_date) >= *d,
            Key::SentBefore(d) => self.sent_day()? < *d,
            Key::SentOn(d) => self.sent_day()? == *d,
            Key::SentSince(d) => self.sent_day()? >= *d,
            Key::Older(n) => self.info.internal_date.timestamp() <= self.now - i64::from(*n),
            Key::Younger(n) => self.info.internal_date.timestamp() >= self.now - i64::from(*n),
            Key::Header(name, needle) => text::in_header(self.header()?, Some(name), needle),
            Key::Body(needle) => text::in_message(self.whole()?, needle, WithHeader::No),
            Key::Text(needle) => text::in_message(self.whole()?, needle, WithHeader::Yes),
            Key::Sequence(set) => set.contains(self.seq.get(), self.last),
            Key::Uid(set) => set.contains(self.info.uid.get(), self.last_uid),
            Key::Not(k) => !self.matches(k)?,
            Key::Or(a, b) => self.matches(a)? || self.matches(b)?,
            Key::And(v) => {
                for k in v {
                    if !self.matches(k)? {
                        return Ok(false);
                    }
                }
                true
            }
        })
    }
}

/// A day as SEARCH compares them.
fn day_of(d: &rfc822::DateTime) -> Day {
    let c = d.civil();
    (c.year, c.month.number(), c.day)
}

/// The messages of the selected mailbox that match `key`, in order.
pub(crate) fn run(
    sel: &mut Selected,
    key: &SearchKey,
    charset_name: Option<&[u8]>,
) -> Result<Vec<SeqNo>, Failure> {
    let cs = charset(charset_name)?;
    let key = prepare(key, cs, sel);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let n = (sel.exists as usize).min(sel.messages().len());
    let last_uid = sel.messages()[..n].last().map_or(0, |m| m.uid.get());
    let mut out = Vec::new();
    for i in 0..n {
        let Some(seq) = SeqNo::from_index(i) else {
            break;
        };
        let info = sel.messages()[i].clone();
        let mut c = Candidate {
            sel,
            seq,
            info,
            header: None,
            whole: None,
            now,
            last: n as u32,
            last_uid,
        };
        if c.matches(&key)? {
            out.push(seq);
        }
    }
    Ok(out)
}
