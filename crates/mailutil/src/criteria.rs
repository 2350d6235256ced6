//! `mailutil prune` search criteria: c-client's `mail_criteria` grammar (IMAP2-style
//! SEARCH keys), and the search itself on an open mailbox.
//!
//! ```text
//! criteria = [key *(SP key)]            ; no key at all matches every message
//! key      = "ALL" / "ANSWERED" / "DELETED" / "DRAFT" / "FLAGGED" / "NEW" / "OLD" /
//!            "RECENT" / "SEEN" / "UNANSWERED" / "UNDELETED" / "UNDRAFT" /
//!            "UNFLAGGED" / "UNSEEN" /
//!            ("BCC" / "BODY" / "CC" / "FROM" / "KEYWORD" / "SUBJECT" / "TEXT" / "TO" /
//!             "UNKEYWORD") SP string /
//!            ("BEFORE" / "ON" / "SINCE" / "SENTBEFORE" / "SENTON" / "SENTSINCE") SP date /
//!            ("LARGER" / "SMALLER") SP number
//! string   = atom / DQUOTE *(any but DQUOTE) DQUOTE / "{" number "}" CRLF *OCTET
//! date     = day "-" month-name "-" year / year "-" month "-" day
//! ```
//!
//! Keys are matched without regard to case; several keys must all match. There is no OR,
//! NOT, UID or HEADER key: c-client refuses them (`Unknown search criterion: OR`),
//! and so does this parser. The argument of a key must follow its single space: a second
//! space, or no argument, makes the key itself unknown, as in c-client.

use mailstore::{Flags, Mailbox, MessageInfo, Part, SeqNo};
use rfc822::mime::{self, Kind};
use rfc822::text::{casemap, decode_words, to_text};

/// A day, as (year, month, day).
pub type Day = (i16, u8, u8);

/// One search key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// ALL.
    All,
    /// A system flag set (ANSWERED, DELETED, …) or clear (UNANSWERED, …).
    Flag(Flags, Has),
    /// NEW: \Recent and not \Seen.
    New,
    /// OLD: not \Recent.
    Old,
    /// RECENT.
    Recent,
    /// KEYWORD / UNKEYWORD.
    Keyword(String, Has),
    /// BEFORE: arrived before this day.
    Before(Day),
    /// ON: arrived on this day.
    On(Day),
    /// SINCE: arrived on or after this day.
    Since(Day),
    /// SENTBEFORE: its Date: is before this day.
    SentBefore(Day),
    /// SENTON: its Date: is this day.
    SentOn(Day),
    /// SENTSINCE: its Date: is this day or later.
    SentSince(Day),
    /// LARGER: RFC822.SIZE above.
    Larger(u32),
    /// SMALLER: RFC822.SIZE below.
    Smaller(u32),
    /// A header field (BCC, CC, FROM, SUBJECT, TO) contains the text.
    Header(&'static str, String),
    /// BODY: the body text contains it.
    Body(String),
    /// TEXT: the header or the body text contains it.
    Text(String),
}

/// Whether a flag key wants the flag set or clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Has {
    /// Set.
    Set,
    /// Clear.
    Clear,
}

/// Parsed criteria: all keys must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criteria(pub Vec<Key>);

/// Criteria c-client would not parse: the message names the word it stopped at.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownCriterion(pub String);

impl std::fmt::Display for UnknownCriterion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // c-client shows at most 30 characters of the word.
        let word: String = self.0.chars().take(30).collect();
        write!(f, "Unknown search criterion: {word}")
    }
}

/// A cursor over the criteria text that cuts words as C's `strtok` does (the grammar is
/// defined by that behaviour: runs of spaces between keys are skipped, but an argument
/// must follow its key's single space).
struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    /// The next space-separated word.
    fn word(&mut self) -> Option<&'a str> {
        let rest = &self.text[self.pos..];
        let skipped = rest.len() - rest.trim_start_matches(' ').len();
        let start = self.pos + skipped;
        if start >= self.text.len() {
            self.pos = self.text.len();
            return None;
        }
        let end = self.text[start..]
            .find(' ')
            .map_or(self.text.len(), |i| start + i);
        self.pos = (end + 1).min(self.text.len());
        Some(&self.text[start..end])
    }

    /// A string argument: atom, quoted string or `{n}` CRLF literal.
    fn string(&mut self) -> Option<String> {
        let rest = &self.text[self.pos..];
        match rest.as_bytes().first()? {
            b'{' => {
                let close = rest.find('}')?;
                let n: usize = rest[1..close].parse().ok()?;
                let data_start = close + 1 + 2;
                if rest.get(close + 1..data_start)? != "\r\n" {
                    return None;
                }
                let data = rest.get(data_start..data_start + n)?;
                let after = &rest[data_start + n..];
                if !(after.is_empty() || after.starts_with(' ')) {
                    return None;
                }
                self.pos += data_start + n + usize::from(!after.is_empty());
                Some(data.to_owned())
            }
            b' ' => None,
            b'"' => {
                let close = rest[1..].find('"')? + 1;
                // strtok skips the opening quotes and stops at the next one.
                let inner = rest[1..close].trim_start_matches('"');
                if inner.is_empty() {
                    return None;
                }
                self.pos += close + 1;
                Some(inner.to_owned())
            }
            _ => self.word().map(str::to_owned),
        }
    }
}

/// Parses criteria as c-client's `mail_criteria` does.
pub fn parse(text: &str) -> Result<Criteria, UnknownCriterion> {
    let mut words = Words { text, pos: 0 };
    let mut keys = Vec::new();
    while let Some(word) = words.word() {
        let upper = word.to_ascii_uppercase();
        let flag = |f: Flags, has: Has| Some(Key::Flag(f, has));
        let key = match upper.as_str() {
            "ALL" => Some(Key::All),
            "ANSWERED" => flag(Flags::ANSWERED, Has::Set),
            "DELETED" => flag(Flags::DELETED, Has::Set),
            "DRAFT" => flag(Flags::DRAFT, Has::Set),
            "FLAGGED" => flag(Flags::FLAGGED, Has::Set),
            "SEEN" => flag(Flags::SEEN, Has::Set),
            "UNANSWERED" => flag(Flags::ANSWERED, Has::Clear),
            "UNDELETED" => flag(Flags::DELETED, Has::Clear),
            "UNDRAFT" => flag(Flags::DRAFT, Has::Clear),
            "UNFLAGGED" => flag(Flags::FLAGGED, Has::Clear),
            "UNSEEN" => flag(Flags::SEEN, Has::Clear),
            "NEW" => Some(Key::New),
            "OLD" => Some(Key::Old),
            "RECENT" => Some(Key::Recent),
            "KEYWORD" => words.string().map(|k| Key::Keyword(k, Has::Set)),
            "UNKEYWORD" => words.string().map(|k| Key::Keyword(k, Has::Clear)),
            "BCC" => words.string().map(|s| Key::Header("Bcc", s)),
            "CC" => words.string().map(|s| Key::Header("Cc", s)),
            "FROM" => words.string().map(|s| Key::Header("From", s)),
            "SUBJECT" => words.string().map(|s| Key::Header("Subject", s)),
            "TO" => words.string().map(|s| Key::Header("To", s)),
            "BODY" => words.string().map(Key::Body),
            "TEXT" => words.string().map(Key::Text),
            "BEFORE" => words.string().and_then(|d| parse_day(&d)).map(Key::Before),
            "ON" => words.string().and_then(|d| parse_day(&d)).map(Key::On),
            "SINCE" => words.string().and_then(|d| parse_day(&d)).map(Key::Since),
            "SENTBEFORE" => words
                .string()
                .and_then(|d| parse_day(&d))
                .map(Key::SentBefore),
            "SENTON" => words.string().and_then(|d| parse_day(&d)).map(Key::SentOn),
            "SENTSINCE" => words
                .string()
                .and_then(|d| parse_day(&d))
                .map(Key::SentSince),
            "LARGER" => words.string().and_then(|n| number(&n)).map(Key::Larger),
            "SMALLER" => words.string().and_then(|n| number(&n)).map(Key::Smaller),
            _ => None,
        };
        match key {
            Some(k) => keys.push(k),
            None => return Err(UnknownCriterion(upper)),
        }
    }
    Ok(Criteria(keys))
}

/// A size: decimal digits only.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A date as c-client's `mail_parse_date` reads a search date: `d-Mon-yyyy` (the IMAP
/// form; the month may be spelled out), `yyyy-m-d` or `m/d/yyyy`. A two-digit year is
/// 19xx from 70, else 20xx; years before 1970 are refused. The day is checked against 31
/// only, not against its month (`31-Apr-2000` is taken, as c-client takes it).
fn parse_day(s: &str) -> Option<Day> {
    let digits = |t: &str| !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit());
    let num = |t: &str| -> Option<u16> { if digits(t) { t.parse().ok() } else { None } };
    let year = |t: &str| -> Option<i16> {
        let y = num(t)?;
        let y = match t.len() {
            1 | 2 if y >= 70 => y + 1900,
            1 | 2 => y + 2000,
            _ => y,
        };
        i16::try_from(y).ok().filter(|y| *y >= 1970)
    };
    let (y, m, d) = if let Some((m, rest)) = s.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        (year(y)?, num(m)?, num(d)?)
    } else {
        let mut parts = s.splitn(3, '-');
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
        if a.len() == 4 && digits(a) {
            (year(a)?, num(b)?, num(c)?)
        } else {
            let month = MONTHS.iter().position(|m| {
                b.len() >= 3
                    && b.bytes().all(|x| x.is_ascii_alphabetic())
                    && m.eq_ignore_ascii_case(&b[..3])
            })?;
            (year(c)?, u16::try_from(month + 1).ok()?, num(a)?)
        }
    };
    let (m, d) = (u8::try_from(m).ok()?, u8::try_from(d).ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

impl Criteria {
    /// The messages of `mailbox` that match, in order. Each message's text is read only
    /// when a key needs it.
    pub fn search(&self, mailbox: &mut dyn Mailbox) -> mailstore::Result<Vec<SeqNo>> {
        let keywords: Vec<String> = mailbox.keywords().iter().map(|k| k.to_string()).collect();
        let infos = mailbox.messages().to_vec();
        let mut out = Vec::new();
        for (i, info) in infos.iter().enumerate() {
            let Some(seq) = SeqNo::from_index(i) else {
                break;
            };
            let mut text = None;
            let mut all = true;
            for key in &self.0 {
                if !matches(key, info, &keywords, &mut text, mailbox, seq)? {
                    all = false;
                    break;
                }
            }
            if all {
                out.push(seq);
            }
        }
        Ok(out)
    }
}

/// Whether message `seq` matches `key`; `text` caches its whole text once read.
fn matches(
    key: &Key,
    info: &MessageInfo,
    keywords: &[String],
    text: &mut Option<Vec<u8>>,
    mailbox: &mut dyn Mailbox,
    seq: SeqNo,
) -> mailstore::Result<bool> {
    let flags = info.flags;
    let day = || {
        let c = info.internal_date.civil();
        (c.year, c.month.number(), c.day)
    };
    Ok(match key {
        Key::All => true,
        Key::Flag(f, Has::Set) => flags.contains(*f),
        Key::Flag(f, Has::Clear) => !flags.contains(*f),
        Key::New => flags.contains(Flags::RECENT) && !flags.contains(Flags::SEEN),
        Key::Old => !flags.contains(Flags::RECENT),
        Key::Recent => flags.contains(Flags::RECENT),
        Key::Keyword(k, has) => {
            let set = keywords
                .iter()
                .position(|x| x.eq_ignore_ascii_case(k))
                .is_some_and(|i| info.keywords.contains(i));
            set == (*has == Has::Set)
        }
        Key::Before(d) => day() < *d,
        Key::On(d) => day() == *d,
        Key::Since(d) => day() >= *d,
        Key::SentBefore(d) => sent_day(whole(text, mailbox, seq)?).is_some_and(|s| s < *d),
        Key::SentOn(d) => sent_day(whole(text, mailbox, seq)?).is_some_and(|s| s == *d),
        Key::SentSince(d) => sent_day(whole(text, mailbox, seq)?).is_some_and(|s| s >= *d),
        Key::Larger(n) => info.size > *n,
        Key::Smaller(n) => info.size < *n,
        Key::Header(name, needle) => {
            let msg = whole(text, mailbox, seq)?;
            in_header(msg, Some(name), needle)
        }
        Key::Body(needle) => in_body(whole(text, mailbox, seq)?, needle),
        Key::Text(needle) => {
            let msg = whole(text, mailbox, seq)?;
            in_header(msg, None, needle) || in_body(msg, needle)
        }
    })
}

/// The whole text of message `seq`, read once.
fn whole<'t>(
    text: &'t mut Option<Vec<u8>>,
    mailbox: &mut dyn Mailbox,
    seq: SeqNo,
) -> mailstore::Result<&'t [u8]> {
    if text.is_none() {
        *text = Some(mailbox.fetch(seq, Part::Whole)?);
    }
    Ok(text.as_deref().unwrap_or_default())
}

/// The day of the message's Date: as written (in its own zone); none without a Date:
/// that parses (then no SENT* key matches, as in c-client).
fn sent_day(msg: &[u8]) -> Option<Day> {
    let end = rfc822::header::split(msg).1;
    let date = rfc822::header::fields(&msg[..end])
        .find(|f| f.is("Date"))
        .and_then(|f| rfc822::date::parse_rfc5322(&mime::unfold(f.value())))?;
    let c = date.civil();
    Some((c.year, c.month.number(), c.day))
}

/// Whether a header field (`name`, or any) of `msg`, decoded and unfolded, contains
/// `needle` regardless of case.
fn in_header(msg: &[u8], name: Option<&str>, needle: &str) -> bool {
    let needle = casemap(needle);
    let end = rfc822::header::split(msg).1;
    rfc822::header::fields(&msg[..end])
        .filter(|f| name.is_none_or(|n| f.is(n)))
        .any(|f| casemap(&decode_words(&mime::unfold(f.value()))).contains(&needle))
}

/// Whether the body text of `msg` (each text part, transfer-decoded and in its charset)
/// contains `needle` regardless of case.
fn in_body(msg: &[u8], needle: &str) -> bool {
    let needle = casemap(needle);
    let root = mime::parse(msg);
    in_part(msg, &root, &needle)
}

fn in_part(msg: &[u8], part: &mime::Part, needle: &str) -> bool {
    match &part.kind {
        Kind::Multipart(parts) => parts.iter().any(|p| in_part(msg, p, needle)),
        Kind::Message(inner) => {
            let end = inner.header.end.min(msg.len());
            let start = inner.header.start.min(end);
            in_header(&msg[start..end], None, needle) || in_part(msg, inner, needle)
        }
        Kind::Leaf => {
            let body = msg.get(part.body.clone()).unwrap_or_default();
            let decoded = rfc822::decode::transfer(&part.content.encoding, body)
                .unwrap_or(std::borrow::Cow::Borrowed(body));
            let text = to_text(part.content.param(b"charset"), &decoded);
            casemap(&text).contains(needle)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_arguments() {
        assert_eq!(
            parse("subject hello FROM \"Ann Smith\" LARGER 100 before 1-Jan-2000").unwrap(),
            Criteria(vec![
                Key::Header("Subject", "hello".into()),
                Key::Header("From", "Ann Smith".into()),
                Key::Larger(100),
                Key::Before((2000, 1, 1)),
            ])
        );
        assert_eq!(
            parse("SINCE 2001-02-03").unwrap().0,
            vec![Key::Since((2001, 2, 3))]
        );
        assert_eq!(parse("").unwrap(), Criteria(vec![]));
        for (text, day) in [
            ("ON 1/2/2000", (2000, 1, 2)),
            ("ON 2000-1-2", (2000, 1, 2)),
            ("ON 02-january-00", (2000, 1, 2)),
            ("ON 2-Jan-99", (1999, 1, 2)),
            ("ON 31-Apr-2000", (2000, 4, 31)),
        ] {
            assert_eq!(parse(text).unwrap().0, vec![Key::On(day)], "{text}");
        }
        assert_eq!(parse("  DELETED   SEEN ").unwrap().0.len(), 2);
        assert_eq!(
            parse("TEXT {3}\r\na b").unwrap().0,
            vec![Key::Text("a b".into())]
        );
    }

    #[test]
    fn refused_as_c_client_refuses_them() {
        let err = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(err("OR SEEN DELETED"), "Unknown search criterion: OR");
        assert_eq!(err("NOT SEEN"), "Unknown search criterion: NOT");
        assert_eq!(err("SUBJECT"), "Unknown search criterion: SUBJECT");
        assert_eq!(
            err("SUBJECT  two-spaces"),
            "Unknown search criterion: SUBJECT"
        );
        assert_eq!(
            err("SUBJECT \"unclosed"),
            "Unknown search criterion: SUBJECT"
        );
        assert_eq!(err("LARGER 10x"), "Unknown search criterion: LARGER");
        assert_eq!(err("SINCE 32-Jan-2000"), "Unknown search criterion: SINCE");
        assert_eq!(err("DRAFT 100"), "Unknown search criterion: 100");
        assert_eq!(
            err("sentbefore 13/1/2000"),
            "Unknown search criterion: SENTBEFORE"
        );
        assert_eq!(err("BEFORE Jan-1-2000"), "Unknown search criterion: BEFORE");
        assert_eq!(err("BEFORE 1-Jan-1969"), "Unknown search criterion: BEFORE");
        assert_eq!(
            err("BEFORE 1-Jan-2000x"),
            "Unknown search criterion: BEFORE"
        );
        assert_eq!(err("HEADER X y"), "Unknown search criterion: HEADER");
    }
}
