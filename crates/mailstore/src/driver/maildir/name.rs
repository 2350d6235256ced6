//! Maildir file names: the unique base name, the `:2,` info suffix with the flags, and
//! the sizes Dovecot puts in the base name.
//!
//! ```text
//! file-name = base [ ":" info ]
//! base      = time "." unique "." host *( "," field "=" value )   ; no ":" or "/"
//! info      = "2," *flag-letter                                  ; in ASCII order
//! ```
//!
//! The letters of the system flags are `D` (draft), `F` (flagged), `R` (replied:
//! `\Answered`), `S` (seen) and `T` (trashed: `\Deleted`). Other letters (`P` passed,
//! Dovecot's lower-case keyword letters) mean nothing here and are kept as they are when
//! the flags are rewritten. An info suffix that does not start with `2,` (the spec's
//! experimental `1,`) carries no flags and is kept whole.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::types::Flags;

/// The separator between a base name and its info (the spec's colon).
pub const INFO_SEP: char = ':';

/// A file name in `cur/` or `new/`, taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName {
    /// The unique part before the info, which other programs never change.
    pub base: String,
    /// The system flags the info says.
    pub flags: Flags,
    /// Info letters that are not system flags, in the order found.
    pub other: String,
    /// An info that is not `2,…`, kept whole (without the separator).
    pub raw_info: Option<String>,
}

impl FileName {
    /// Takes `name` apart; `None` for names that are no message: empty, starting with a
    /// dot, or holding a `/`, a NUL or a line end (which the UID list cannot hold).
    pub fn parse(name: &str) -> Option<FileName> {
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\0', '\n', '\r']) {
            return None;
        }
        let (base, info) = match name.split_once(INFO_SEP) {
            Some((b, i)) => (b, Some(i)),
            None => (name, None),
        };
        if base.is_empty() {
            return None;
        }
        let mut out = FileName {
            base: base.to_owned(),
            flags: Flags::EMPTY,
            other: String::new(),
            raw_info: None,
        };
        match info {
            None => {}
            Some(i) => match i.strip_prefix("2,") {
                Some(letters) => {
                    for c in letters.chars() {
                        match flag_of(c) {
                            Some(f) => out.flags = out.flags.union(f),
                            None if !out.other.contains(c) => out.other.push(c),
                            None => {}
                        }
                    }
                }
                None => out.raw_info = Some(i.to_owned()),
            },
        }
        Some(out)
    }

    /// The name of base `base` with no info.
    pub fn bare(base: &str) -> FileName {
        FileName {
            base: base.to_owned(),
            flags: Flags::EMPTY,
            other: String::new(),
            raw_info: None,
        }
    }

    /// The file name for this base with `flags` (`\Recent` ignored): `base:2,` and the
    /// letters in ASCII order. An experimental info with no flags to say is kept.
    pub fn with_flags(&self, flags: Flags) -> String {
        let flags = flags.minus(Flags::RECENT);
        if let Some(raw) = &self.raw_info
            && flags.is_empty()
        {
            return format!("{}{INFO_SEP}{raw}", self.base);
        }
        let mut letters: Vec<char> = LETTERS
            .iter()
            .filter(|(_, f)| flags.contains(*f))
            .map(|(c, _)| *c)
            .chain(self.other.chars())
            .collect();
        letters.sort_unstable();
        letters.dedup();
        let mut s = String::with_capacity(self.base.len() + 3 + letters.len());
        s.push_str(&self.base);
        s.push(INFO_SEP);
        s.push_str("2,");
        s.extend(letters);
        s
    }
}

/// The flag letters, in ASCII order.
const LETTERS: [(char, Flags); 5] = [
    ('D', Flags::DRAFT),
    ('F', Flags::FLAGGED),
    ('R', Flags::ANSWERED),
    ('S', Flags::SEEN),
    ('T', Flags::DELETED),
];

fn flag_of(c: char) -> Option<Flags> {
    LETTERS.iter().find(|(l, _)| *l == c).map(|(_, f)| *f)
}

/// The message size with CRLF line ends that a base name states (`,W=`), if it does.
pub fn virtual_size(base: &str) -> Option<u64> {
    base.split(',')
        .skip(1)
        .find_map(|field| field.strip_prefix("W="))
        .and_then(|v| v.parse().ok())
}

/// The order in which messages found without a UID get theirs: by the delivery time that
/// starts the name (seconds, then the microseconds of a `.M<usec>` part), then by the
/// name.
pub fn delivery_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn number(s: &str) -> (u64, &str) {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        (s[..digits].parse().unwrap_or(u64::MAX), &s[digits..])
    }
    fn key(s: &str) -> (u64, u64, &str) {
        let (secs, rest) = number(s);
        let usec = rest.strip_prefix(".M").map_or(0, |r| number(r).0);
        (secs, usec, s)
    }
    key(a).cmp(&key(b))
}

/// How many names this process has made (the `Q` part that keeps them unique).
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

/// A new unique base name, `time.M<usec>P<pid>Q<n>.host,S=<size>,W=<vsize>`: `size` is
/// the file's size, `vsize` the message's with CRLF line ends. In the host name `/`
/// becomes `\057` and `:` becomes `\072`, as the spec asks.
pub fn new_base(size: u64, vsize: u64, host: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let n = DELIVERIES.fetch_add(1, Ordering::Relaxed);
    let host = host.replace('/', "\\057").replace(':', "\\072");
    format!(
        "{}.M{}P{}Q{}.{},S={size},W={vsize}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n,
        host.replace(',', "\\054")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_in_names() {
        let f = FileName::parse("1700000000.M1P2Q3.host:2,FRS").unwrap();
        assert_eq!(f.base, "1700000000.M1P2Q3.host");
        assert_eq!(
            f.flags,
            Flags::FLAGGED.union(Flags::ANSWERED).union(Flags::SEEN)
        );
        assert_eq!(
            f.with_flags(Flags::DELETED.union(Flags::DRAFT)),
            "1700000000.M1P2Q3.host:2,DT"
        );
        let plain = FileName::parse("123.abc").unwrap();
        assert_eq!(plain.flags, Flags::EMPTY);
        assert_eq!(plain.with_flags(Flags::EMPTY), "123.abc:2,");
        assert_eq!(
            plain.with_flags(Flags::RECENT.union(Flags::SEEN)),
            "123.abc:2,S"
        );
    }

    #[test]
    fn other_letters_are_kept_in_order() {
        let f = FileName::parse("1.x:2,PSac").unwrap();
        assert_eq!(f.flags, Flags::SEEN);
        assert_eq!(f.other, "Pac");
        assert_eq!(
            f.with_flags(Flags::SEEN.union(Flags::FLAGGED)),
            "1.x:2,FPSac"
        );
        let exp = FileName::parse("1.x:1,whatever").unwrap();
        assert_eq!(exp.with_flags(Flags::EMPTY), "1.x:1,whatever");
        assert_eq!(exp.with_flags(Flags::SEEN), "1.x:2,S");
    }

    #[test]
    fn names_that_are_no_message() {
        for bad in ["", ".hidden", ":2,S", "a\nb", "a/b"] {
            assert_eq!(FileName::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sizes_and_order() {
        assert_eq!(virtual_size("1.M2P3Q4.h,S=10,W=12"), Some(12));
        assert_eq!(virtual_size("1.M2P3Q4.h"), None);
        let b = new_base(10, 12, "a/b:c");
        assert!(b.ends_with(".a\\057b\\072c,S=10,W=12"), "{b}");
        assert_eq!(virtual_size(&b), Some(12));
        assert!(FileName::parse(&b).is_some());
        assert_eq!(delivery_order("9.x", "10.x"), std::cmp::Ordering::Less);
        assert_eq!(delivery_order("10.a", "10.b"), std::cmp::Ordering::Less);
        assert_eq!(
            delivery_order("10.M99P1Q2.h", "10.M100P1Q1.h"),
            std::cmp::Ordering::Less
        );
    }
}
