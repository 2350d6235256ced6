//! The values the store hands out: identifiers, flags, keywords and per-message facts.

use std::fmt;
use std::num::NonZeroU32;

use rfc822::DateTime;

use crate::error::{Error, Result};

/// A message's unique identifier within one UIDVALIDITY epoch of a mailbox (RFC 3501 §2.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(NonZeroU32);

/// A mailbox's UIDVALIDITY: UIDs are only comparable under the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UidValidity(NonZeroU32);

/// A message sequence number: 1 for the first message of the open mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeqNo(NonZeroU32);

macro_rules! nonzero_id {
    ($t:ident) => {
        impl $t {
            /// The smallest value, 1.
            pub const MIN: Self = Self(NonZeroU32::MIN);
            /// The largest value, 2³² − 1.
            pub const MAX: Self = Self(NonZeroU32::MAX);

            /// The identifier with value `n`, if `n` is not zero.
            pub const fn new(n: u32) -> Option<Self> {
                match NonZeroU32::new(n) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The numeric value.
            pub const fn get(self) -> u32 {
                self.0.get()
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

nonzero_id!(Uid);
nonzero_id!(UidValidity);
nonzero_id!(SeqNo);

impl Uid {
    /// The UID after this one, if there is one (UIDs end at 2³² − 1).
    pub fn next(self) -> Option<Uid> {
        self.0.checked_add(1).map(Uid)
    }
}

impl SeqNo {
    /// The sequence number of the message at zero-based position `index`.
    pub fn from_index(index: usize) -> Option<Self> {
        u32::try_from(index)
            .ok()?
            .checked_add(1)
            .and_then(Self::new)
    }

    /// The zero-based position of this message.
    pub fn index(self) -> usize {
        // u32 always fits in usize on the 32- and 64-bit targets we build for.
        self.get() as usize - 1
    }
}

/// How a mailbox is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Flags may change and messages may be expunged.
    ReadWrite,
    /// Nothing this session does changes the mailbox (other processes still may).
    ReadOnly,
}

/// One system flag (RFC 3501 §2.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `\Seen`
    Seen,
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Draft`
    Draft,
    /// `\Recent`: set by the store only, never by a client.
    Recent,
}

/// A set of system flags.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flags.
    pub const EMPTY: Flags = Flags(0);
    /// `\Seen`
    pub const SEEN: Flags = Flags(0x01);
    /// `\Deleted`
    pub const DELETED: Flags = Flags(0x02);
    /// `\Flagged`
    pub const FLAGGED: Flags = Flags(0x04);
    /// `\Answered`
    pub const ANSWERED: Flags = Flags(0x08);
    /// `\Draft`
    pub const DRAFT: Flags = Flags(0x20);
    /// `\Recent`
    pub const RECENT: Flags = Flags(0x40);
    /// Every flag a client may set or clear (all but `\Recent`).
    pub const SETTABLE: Flags = Flags(0x01 | 0x02 | 0x04 | 0x08 | 0x20);

    /// Whether every flag of `other` is set here.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags set in either.
    #[must_use]
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// The flags of `self` not in `other`.
    #[must_use]
    pub const fn minus(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// The flags set in both.
    #[must_use]
    pub const fn intersect(self, other: Flags) -> Flags {
        Flags(self.0 & other.0)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set holding just `flag`.
    pub const fn of(flag: Flag) -> Flags {
        match flag {
            Flag::Seen => Flags::SEEN,
            Flag::Answered => Flags::ANSWERED,
            Flag::Flagged => Flags::FLAGGED,
            Flag::Deleted => Flags::DELETED,
            Flag::Draft => Flags::DRAFT,
            Flag::Recent => Flags::RECENT,
        }
    }

    /// The flags in this set, in RFC order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        [
            Flag::Seen,
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Draft,
            Flag::Recent,
        ]
        .into_iter()
        .filter(move |f| self.contains(Flags::of(*f)))
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Flags::EMPTY, |acc, f| acc.union(Flags::of(f)))
    }
}

/// The most keywords a mailbox may define (c-client's NUSERFLAGS).
pub const MAX_KEYWORDS: usize = 30;

/// The longest keyword, in bytes (c-client's MAXUSERFLAG).
pub const MAX_KEYWORD_LEN: usize = 50;

/// A keyword (a user-defined flag): an IMAP atom without `\`, at most 50 bytes.
///
/// ```text
/// flag-keyword = atom
/// atom         = 1*ATOM-CHAR
/// ATOM-CHAR    = <any CHAR except atom-specials>
/// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keyword(String);

impl Keyword {
    /// Validates `s` as a keyword.
    pub fn new(s: &str) -> Result<Self> {
        let bad = |reason| Error::InvalidKeyword {
            keyword: s.chars().take(80).collect(),
            reason,
        };
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if s.len() > MAX_KEYWORD_LEN {
            return Err(bad("longer than 50 characters"));
        }
        if !s.bytes().all(is_atom_char) {
            return Err(bad("not an atom"));
        }
        Ok(Keyword(s.to_owned()))
    }

    /// The keyword as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `b` may appear in an IMAP atom that is not a flag name (`\` excluded too).
fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// The keywords of one message, as positions in its mailbox's keyword table.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KeywordSet(u32);

impl KeywordSet {
    /// No keywords.
    pub const EMPTY: KeywordSet = KeywordSet(0);

    /// Whether the keyword at table position `index` is set.
    pub fn contains(self, index: usize) -> bool {
        index < MAX_KEYWORDS && self.0 & (1 << index) != 0
    }

    /// Sets the keyword at table position `index` (positions past the limit are ignored).
    pub fn insert(&mut self, index: usize) {
        if index < MAX_KEYWORDS {
            self.0 |= 1 << index;
        }
    }

    /// Clears the keyword at table position `index`.
    pub fn remove(&mut self, index: usize) {
        if index < MAX_KEYWORDS {
            self.0 &= !(1 << index);
        }
    }

    /// The table positions set, in ascending order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..MAX_KEYWORDS).filter(move |i| self.contains(*i))
    }

    /// Whether no keyword is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The union of two sets.
    #[must_use]
    pub fn union(self, other: KeywordSet) -> KeywordSet {
        KeywordSet(self.0 | other.0)
    }

    /// The keywords of `self` not in `other`.
    #[must_use]
    pub fn minus(self, other: KeywordSet) -> KeywordSet {
        KeywordSet(self.0 & !other.0)
    }
}

impl fmt::Debug for KeywordSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// What the store knows about one message of an open mailbox without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// Its UID.
    pub uid: Uid,
    /// Its system flags, `\Recent` included.
    pub flags: Flags,
    /// Its keywords, as positions in [`crate::Mailbox::keywords`].
    pub keywords: KeywordSet,
    /// When it arrived (IMAP INTERNALDATE).
    pub internal_date: DateTime,
    /// Its size with CRLF line ends, as a client sees it (RFC822.SIZE).
    pub size: u32,
}

/// A mailbox's counts, as the IMAP STATUS command reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Number of messages.
    pub messages: u32,
    /// Number of messages with `\Recent`.
    pub recent: u32,
    /// Number of messages without `\Seen`.
    pub unseen: u32,
    /// The UID the next message will get.
    pub uid_next: Uid,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: UidValidity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_validated_atoms() {
        assert!(Keyword::new("$Label1").is_ok());
        assert!(Keyword::new("NonJunk").is_ok());
        for bad in ["", "a b", "a(b", "\\Seen", "a*", "a%", "a\"", "é", "a]"] {
            assert!(Keyword::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Keyword::new(&"k".repeat(50)).is_ok());
        assert!(Keyword::new(&"k".repeat(51)).is_err());
    }

    #[test]
    fn flag_sets() {
        let f: Flags = [Flag::Seen, Flag::Deleted].into_iter().collect();
        assert!(f.contains(Flags::SEEN));
        assert!(!f.contains(Flags::FLAGGED));
        assert_eq!(f.minus(Flags::SEEN), Flags::DELETED);
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            vec![Flag::Seen, Flag::Deleted]
        );
        let mut k = KeywordSet::EMPTY;
        k.insert(3);
        k.insert(29);
        k.insert(30);
        assert_eq!(k.iter().collect::<Vec<_>>(), vec![3, 29]);
        k.remove(3);
        assert_eq!(k.iter().collect::<Vec<_>>(), vec![29]);
    }

    #[test]
    fn ids_are_nonzero() {
        assert!(Uid::new(0).is_none());
        assert_eq!(Uid::new(u32::MAX).and_then(Uid::next), None);
        assert_eq!(SeqNo::from_index(0).map(SeqNo::get), Some(1));
        assert_eq!(SeqNo::new(5).map(SeqNo::index), Some(4));
    }
}
