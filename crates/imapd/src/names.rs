//! Mailbox names between the client and the store.
//!
//! The store names mailboxes (and their files) in modified UTF-7 (RFC 3501 §5.1.3). A
//! client that has not enabled UTF8=ACCEPT uses those names as they are. A client that
//! has (RFC 6855 §3) speaks UTF-8: its names are encoded to modified UTF-7 on the way in
//! (so `台北` and `&U,BTFw-` reach the same mailbox, and its `&` is stored `&-`), and
//! every name is decoded on the way out; a stored name that is not valid modified UTF-7
//! (a file another tool made) goes out as it is.
//!
//! Only CREATE and RENAME check that a new name is valid (Panda's `mail_create`, with its
//! wording); every other command takes any name that exists.

use std::borrow::Cow;

use imap_proto::command::Utf8Mode;
use imap_proto::mutf7;
use imap_proto::response::{Form, Writer};
use mailstore::list::matches;

use crate::respond::Failure;

/// A mailbox name (or LIST reference) from the client, as the store spells it.
pub(crate) fn from_client(raw: &[u8], utf8: Utf8Mode) -> Result<String, Failure> {
    let Ok(s) = std::str::from_utf8(raw) else {
        return Err(Failure::no(match utf8 {
            Utf8Mode::Off => "Invalid mailbox name: not 7-bit",
            Utf8Mode::Accept => "Invalid mailbox name: not UTF-8",
        }));
    };
    Ok(match utf8 {
        Utf8Mode::Off => s.to_owned(),
        Utf8Mode::Accept if mailstore::name::is_inbox(s) => "INBOX".to_owned(),
        Utf8Mode::Accept => mutf7::encode(s),
    })
}

/// Which command makes a new name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewName {
    /// CREATE.
    Create,
    /// RENAME (the new name).
    Rename,
}

/// A new mailbox name from the client, refused unless valid: modified UTF-7 with no 8-bit
/// octet, or, from a UTF-8 client, UTF-8 without the characters RFC 6855 §3 forbids in
/// names (controls, U+2028, U+2029).
pub(crate) fn new_name(raw: &[u8], utf8: Utf8Mode, verb: NewName) -> Result<String, Failure> {
    let verb = match verb {
        NewName::Create => "Can't create",
        NewName::Rename => "Can't rename to",
    };
    match utf8 {
        Utf8Mode::Off => {
            if !raw.is_ascii() {
                return Err(Failure::no(format!(
                    "{verb} mailbox name with 8-bit character"
                )));
            }
            if let Err(e) = mutf7::decode(raw) {
                let what = match e.kind {
                    mutf7::Mutf7ErrorKind::Unterminated => "unterminated",
                    _ => "invalid",
                };
                return Err(Failure::no(format!(
                    "{verb} {what} modified UTF-7 name: {} (byte {}: {})",
                    printable(raw),
                    e.at,
                    e.kind
                )));
            }
            from_client(raw, utf8)
        }
        Utf8Mode::Accept => {
            let Ok(s) = std::str::from_utf8(raw) else {
                return Err(Failure::no(format!(
                    "{verb} mailbox name that is not UTF-8"
                )));
            };
            if let Some(c) = s.chars().find(|&c| forbidden_in_utf8_name(c)) {
                return Err(Failure::no(format!(
                    "{verb} mailbox name with control character U+{:04X}",
                    u32::from(c)
                )));
            }
            from_client(raw, utf8)
        }
    }
}

/// A stored name as the client is shown it.
pub(crate) fn to_client(stored: &str, utf8: Utf8Mode) -> Cow<'_, str> {
    match utf8 {
        Utf8Mode::Off => Cow::Borrowed(stored),
        Utf8Mode::Accept => match mutf7::decode(stored.as_bytes()) {
            Ok(s) => Cow::Owned(s),
            Err(_) => Cow::Borrowed(stored),
        },
    }
}

/// Writes a stored name as a response item: an atom if it is one, else a quoted string
/// or a literal.
pub(crate) fn write(out: &mut Writer, stored: &str, utf8: Utf8Mode) {
    out.string_in(
        to_client(stored, utf8).as_bytes(),
        Form::AtomIfPossible,
        utf8,
    );
}

/// A LIST or LSUB reference and pattern from the client, as the store is to match them.
#[derive(Debug)]
pub(crate) struct Listing {
    /// The reference for the store.
    pub reference: String,
    /// The pattern for the store.
    pub pattern: String,
    /// For a UTF-8 client, the whole pattern (reference applied) in UTF-8, which the
    /// store's answers are checked against.
    exact: Option<String>,
}

impl Listing {
    /// The store's reference and pattern for the client's.
    ///
    /// A UTF-8 pattern cannot be encoded piece by piece (`台%` does not match the spelling
    /// of `台北`, `&U,BTFw-`, in modified UTF-7), so each stretch of characters that
    /// modified UTF-7 encodes becomes `%`: the store then finds at least every match, and
    /// [`Listing::keeps`] drops what does not match once decoded.
    pub fn new(reference: &[u8], pattern: &[u8], utf8: Utf8Mode) -> Result<Self, Failure> {
        let (r, p) = (
            from_client(reference, Utf8Mode::Off)?,
            from_client(pattern, Utf8Mode::Off)?,
        );
        if utf8 == Utf8Mode::Off {
            return Ok(Listing {
                reference: r,
                pattern: p,
                exact: None,
            });
        }
        let exact = if r.is_empty() || p.starts_with(['/', '~']) {
            p.clone()
        } else {
            format!("{r}{p}")
        };
        Ok(Listing {
            reference: widen(&r),
            pattern: if p.is_empty() { p } else { widen(&p) },
            exact: Some(exact),
        })
    }

    /// Whether the store's answer `stored` is one the client asked for.
    pub fn keeps(&self, stored: &str) -> bool {
        let Some(exact) = &self.exact else {
            return true;
        };
        if self.pattern.is_empty() {
            return true;
        }
        if stored == "INBOX" {
            return matches("INBOX", &exact.to_ascii_uppercase());
        }
        matches(&to_client(stored, Utf8Mode::Accept), exact)
    }
}

/// `s` with each stretch of characters that modified UTF-7 does not write as themselves
/// (and `&`, written `&-`) replaced by `%`.
fn widen(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_stretch = false;
    for c in s.chars() {
        if matches!(c, ' '..='~') && c != '&' {
            out.push(c);
            in_stretch = false;
        } else if !in_stretch {
            out.push('%');
            in_stretch = true;
        }
    }
    out
}

/// The characters RFC 6855 §3 forbids in mailbox names: C0 and C1 controls, DEL, and
/// the line and paragraph separators.
fn forbidden_in_utf8_name(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `raw` for a response text: printable ASCII as it is, other octets as `?`.
fn printable(raw: &[u8]) -> String {
    raw.iter()
        .take(80)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_both_ways() {
        let a = Utf8Mode::Accept;
        assert_eq!(from_client("台北".as_bytes(), a).unwrap(), "&U,BTFw-");
        assert_eq!(from_client(b"&U,BTFw-", a).unwrap(), "&-U,BTFw-");
        assert_eq!(from_client(b"inbox", a).unwrap(), "INBOX");
        assert_eq!(from_client(b"&U,BTFw-", Utf8Mode::Off).unwrap(), "&U,BTFw-");
        assert_eq!(to_client("&U,BTFw-", a), "台北");
        assert_eq!(to_client("&U,BTFw-", Utf8Mode::Off), "&U,BTFw-");
        // Not modified UTF-7: as it is.
        assert_eq!(to_client("a&b", a), "a&b");
    }

    #[test]
    fn new_names_are_checked() {
        let off = Utf8Mode::Off;
        assert_eq!(
            new_name(b"&AGE-", off, NewName::Create).unwrap_err().text,
            "Can't create invalid modified UTF-7 name: &AGE- \
             (byte 3: run encoding a printable US-ASCII character)"
        );
        assert_eq!(
            new_name(b"x&AOE", off, NewName::Rename).unwrap_err().text,
            "Can't rename to unterminated modified UTF-7 name: x&AOE \
             (byte 1: unterminated modified BASE64 run)"
        );
        assert_eq!(
            new_name("台北".as_bytes(), off, NewName::Create)
                .unwrap_err()
                .text,
            "Can't create mailbox name with 8-bit character"
        );
        assert_eq!(
            new_name("a\u{2028}b".as_bytes(), Utf8Mode::Accept, NewName::Create)
                .unwrap_err()
                .text,
            "Can't create mailbox name with control character U+2028"
        );
        assert_eq!(
            new_name(b"\xe9", Utf8Mode::Accept, NewName::Create)
                .unwrap_err()
                .text,
            "Can't create mailbox name that is not UTF-8"
        );
        assert_eq!(
            new_name(b"a&b", Utf8Mode::Accept, NewName::Create).unwrap(),
            "a&-b"
        );
    }

    #[test]
    fn utf8_patterns() {
        let l = Listing::new(b"", "台%".as_bytes(), Utf8Mode::Accept).unwrap();
        assert_eq!(l.pattern, "%%");
        assert!(l.keeps("&U,BTFw-"));
        assert!(!l.keeps("&ZeVnLIqe-"));
        assert!(!l.keeps("INBOX"));
        let l = Listing::new("日本".as_bytes(), b"*", Utf8Mode::Accept).unwrap();
        assert_eq!((l.reference.as_str(), l.pattern.as_str()), ("%", "*"));
        assert!(l.keeps("&ZeVnLIqe-"));
        assert!(!l.keeps("&U,BTFw-"));
        let l = Listing::new(b"", b"%A%", Utf8Mode::Accept).unwrap();
        assert!(!l.keeps("&U,A-"), "matched inside a run");
        assert!(
            Listing::new(b"", b"inbox", Utf8Mode::Accept)
                .unwrap()
                .keeps("INBOX")
        );
    }
}
