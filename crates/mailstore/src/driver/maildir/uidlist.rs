//! The UID list `.panda-uidlist`: UIDVALIDITY, the next UID, the keyword table and, for
//! each message, its UID, the time zone of its internal date and its keywords, keyed by
//! the file's base name (the part before `:2,`, which other programs keep when they
//! change flags).
//!
//! ```text
//! uidlist  = header LF keywords LF *(entry LF)
//! header   = "PANDA-UIDLIST 1 " uidvalidity SP next-uid
//! keywords = "K" *(SP keyword)                 ; table positions 0, 1, …; only grows
//! entry    = uid SP zone SP kw-mask SP base    ; base: the rest of the line
//! zone     = ("+" / "-") 4DIGIT / "-"          ; "-": unknown (local time)
//! kw-mask  = 1*8HEXDIG                         ; bit n: keyword at position n
//! ```
//!
//! The list is replaced whole (written to `.panda-uidlist.tmp`, then renamed over)
//! under an exclusive `flock` of `.panda-uidlist.lock`, so readers never see half of
//! one. A list that cannot be read is set aside and started afresh with a new
//! UIDVALIDITY; lines that cannot be read are dropped (their messages get new UIDs).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{IoContext, Result};
use crate::types::{Keyword, KeywordSet, MAX_KEYWORDS, Uid};

/// The UID list's file name.
pub const FILE: &str = ".panda-uidlist";
/// The lock file's name.
pub const LOCK: &str = ".panda-uidlist.lock";
/// The name the new list is written under before it replaces the old.
pub const TMP: &str = ".panda-uidlist.tmp";

const MAGIC: &str = "PANDA-UIDLIST 1 ";

/// A UID list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidList {
    /// UIDVALIDITY.
    pub validity: u32,
    /// The UID the next new message gets.
    pub next: u32,
    /// The keyword table.
    pub keywords: Vec<Keyword>,
    /// The messages, by ascending UID.
    pub entries: Vec<Entry>,
}

/// One message of a UID list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its UID.
    pub uid: Uid,
    /// The UTC offset of its internal date in seconds, if known.
    pub zone: Option<i32>,
    /// Its keywords.
    pub keywords: KeywordSet,
    /// The base name of its file.
    pub base: String,
}

impl UidList {
    /// A new, empty list with UIDVALIDITY `validity`.
    pub fn new(validity: u32) -> UidList {
        UidList {
            validity: validity.max(1),
            next: 1,
            keywords: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Reads a list; `None` when its header cannot be read. Bad entry lines are skipped,
    /// as are entries for a UID or base already seen; `next` is raised past every UID.
    pub fn parse(text: &[u8]) -> Option<UidList> {
        let text = std::str::from_utf8(text).ok()?;
        let mut lines = text.split('\n');
        let head = lines.next()?.strip_prefix(MAGIC)?;
        let (v, n) = head.split_once(' ')?;
        let validity: u32 = v.parse().ok().filter(|v| *v > 0)?;
        let mut next: u32 = n.parse().ok().filter(|n| *n > 0)?;
        let kw_line = lines.next()?;
        let kw_rest = kw_line.strip_prefix('K')?;
        let mut keywords = Vec::new();
        for k in kw_rest.split(' ').filter(|k| !k.is_empty()) {
            let k = Keyword::new(k).ok()?;
            if keywords.contains(&k) || keywords.len() >= MAX_KEYWORDS {
                return None;
            }
            keywords.push(k);
        }
        let mut entries: Vec<Entry> = Vec::new();
        let mut bases = std::collections::HashSet::new();
        let mut uids = std::collections::HashSet::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let Some(e) = parse_entry(line, keywords.len()) else {
                continue;
            };
            if !uids.insert(e.uid) || !bases.insert(e.base.clone()) {
                continue;
            }
            next = next.max(e.uid.get().saturating_add(1));
            entries.push(e);
        }
        entries.sort_by_key(|e| e.uid);
        Some(UidList {
            validity,
            next,
            keywords,
            entries,
        })
    }

    /// The list as it is stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{MAGIC}{} {}\nK", self.validity, self.next);
        for k in &self.keywords {
            out.push(' ');
            out.push_str(k.as_str());
        }
        out.push('\n');
        for e in &self.entries {
            let zone = match e.zone {
                None => "-".to_owned(),
                Some(z) => {
                    let a = z.unsigned_abs() / 60;
                    format!(
                        "{}{:02}{:02}",
                        if z < 0 { '-' } else { '+' },
                        a / 60,
                        a % 60
                    )
                }
            };
            let mask: u32 = e.keywords.iter().fold(0, |m, i| m | (1 << i));
            out.push_str(&format!("{} {zone} {mask:x} {}\n", e.uid, e.base));
        }
        out.into_bytes()
    }

    /// The position of keyword `k`, defining it if need be; `None` when the table is
    /// full.
    pub fn keyword_index(&mut self, k: &Keyword) -> Option<usize> {
        if let Some(i) = self.keywords.iter().position(|x| x == k) {
            return Some(i);
        }
        if self.keywords.len() >= MAX_KEYWORDS {
            return None;
        }
        self.keywords.push(k.clone());
        Some(self.keywords.len() - 1)
    }

    /// Gives the next UID to a message with base name `base`; `None` when UIDs ran out.
    pub fn assign(&mut self, base: &str, zone: Option<i32>, keywords: KeywordSet) -> Option<Uid> {
        let uid = Uid::new(self.next)?;
        self.next = self.next.checked_add(1)?;
        self.entries.push(Entry {
            uid,
            zone,
            keywords,
            base: base.to_owned(),
        });
        Some(uid)
    }
}

fn parse_entry(line: &str, nkeywords: usize) -> Option<Entry> {
    let mut parts = line.splitn(4, ' ');
    let uid = Uid::new(parts.next()?.parse().ok()?)?;
    let zone = match parts.next()? {
        "-" => None,
        z => {
            let (sign, digits) = match z.as_bytes().first()? {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let h: i32 = digits[..2].parse().ok()?;
            let m: i32 = digits[2..].parse().ok()?;
            if h > 23 || m > 59 {
                return None;
            }
            Some(sign * (h * 3600 + m * 60))
        }
    };
    let mask = u32::from_str_radix(parts.next()?, 16).ok()?;
    let mut keywords = KeywordSet::EMPTY;
    for i in 0..nkeywords {
        if mask & (1 << i) != 0 {
            keywords.insert(i);
        }
    }
    let base = parts.next()?;
    if base.is_empty() || base.contains([':', '/', '\r']) {
        return None;
    }
    Some(Entry {
        uid,
        zone,
        keywords,
        base: base.to_owned(),
    })
}

/// Reads the list in maildir `dir`: `Ok(None)` when there is none or it cannot be read.
pub fn read(dir: &Path) -> Result<Option<UidList>> {
    let path = dir.join(FILE);
    match fs::read(&path) {
        Ok(t) => Ok(UidList::parse(&t)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::Error::io("read", path, e)),
    }
}

/// Writes `list` as the list of maildir `dir` (the caller holds the lock).
pub fn write(dir: &Path, list: &UidList, mode: u32) -> Result<()> {
    let tmp = dir.join(TMP);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .ctx("create", &tmp)?;
    // The mode whatever the umask (0666 in `#public/`).
    let _ = f.set_permissions(std::fs::Permissions::from_mode(mode));
    f.write_all(&list.to_bytes())
        .and_then(|()| f.sync_all())
        .ctx("write", &tmp)?;
    let path = dir.join(FILE);
    fs::rename(&tmp, &path).ctx("rename", &path)
}

/// The UID list's lock, held while it lives.
#[derive(Debug)]
pub struct ListLock {
    file: File,
}

impl ListLock {
    /// Waits for the lock of maildir `dir`.
    pub fn acquire(dir: &Path, mode: u32) -> Result<ListLock> {
        let path = dir.join(LOCK);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(mode)
            .open(&path)
            .ctx("open", &path)?;
        file.lock().ctx("flock", &path)?;
        Ok(ListLock { file })
    }
}

impl Drop for ListLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut l = UidList::new(1_700_000_000);
        let k = Keyword::new("$Label1").unwrap();
        assert_eq!(l.keyword_index(&k), Some(0));
        let mut ks = KeywordSet::EMPTY;
        ks.insert(0);
        l.assign("1.M1P1Q1.h,S=3,W=4", Some(3600), ks).unwrap();
        l.assign("2.x y", Some(-5 * 3600 - 30 * 60), KeywordSet::EMPTY)
            .unwrap();
        l.assign("3.z", None, KeywordSet::EMPTY).unwrap();
        let bytes = l.to_bytes();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "PANDA-UIDLIST 1 1700000000 4\nK $Label1\n1 +0100 1 1.M1P1Q1.h,S=3,W=4\n\
             2 -0530 0 2.x y\n3 - 0 3.z\n"
        );
        assert_eq!(UidList::parse(&bytes), Some(l));
    }

    #[test]
    fn bad_lines_are_dropped_and_next_is_raised() {
        let text = b"PANDA-UIDLIST 1 7 2\nK a\n5 - 1 x\nzz\n5 - 0 dup-uid\n6 +9999 0 y\n7 - 0 x\n";
        let l = UidList::parse(text).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.next, 6);
        assert!(l.entries[0].keywords.contains(0));
        assert_eq!(UidList::parse(b"garbage"), None);
        assert_eq!(UidList::parse(b"PANDA-UIDLIST 1 0 1\nK\n"), None);
    }

    #[test]
    fn keyword_table_is_limited() {
        let mut l = UidList::new(1);
        for i in 0..MAX_KEYWORDS {
            assert_eq!(
                l.keyword_index(&Keyword::new(&format!("k{i}")).unwrap()),
                Some(i)
            );
        }
        assert_eq!(l.keyword_index(&Keyword::new("more").unwrap()), None);
        assert_eq!(l.keyword_index(&Keyword::new("k3").unwrap()), Some(3));
    }
}
