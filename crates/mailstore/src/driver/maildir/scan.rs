//! Reading a maildir's `new/` and `cur/`, and giving UIDs to the messages found.
//!
//! Other programs rename files at any time (to change flags, or from `new/` to `cur/`),
//! and a directory read while a file is renamed may miss it. So `new/` is read before
//! `cur/` (a file moving from one to the other is then seen at least once), a scan that
//! misses a file this session knows is done again, and a UID is forgotten only when two
//! scans, the second under the UID list's lock, both miss its file.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::Path;

use super::name::{FileName, delivery_order};
use super::uidlist::{self, ListLock, UidList};
use crate::config::StoreConfig;
use crate::error::{Error, Result};
use crate::notify::Level;
use crate::types::KeywordSet;

/// The two directories messages are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// `new/`: delivered, not yet seen by a read-write session (`\Recent`).
    New,
    /// `cur/`.
    Cur,
}

impl Sub {
    /// The directory's name.
    pub fn dir(self) -> &'static str {
        match self {
            Sub::New => "new",
            Sub::Cur => "cur",
        }
    }
}

/// A message file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Where.
    pub sub: Sub,
    /// Its whole file name.
    pub name: String,
    /// The name taken apart.
    pub parsed: FileName,
}

/// The message files of a maildir, by base name.
pub type Listing = HashMap<String, Seen>;

/// Reads `new/` then `cur/` once (a base found in both counts as in `cur/`).
pub fn scan_once(dir: &Path) -> Result<Listing> {
    let mut out = Listing::new();
    for sub in [Sub::New, Sub::Cur] {
        let path = dir.join(sub.dir());
        let rd = fs::read_dir(&path).map_err(|e| Error::io("read directory", &path, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::io("read directory", &path, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(parsed) = FileName::parse(&name) else {
                continue;
            };
            out.insert(parsed.base.clone(), Seen { sub, name, parsed });
        }
    }
    Ok(out)
}

/// Reads the maildir, again (up to twice more) while a base of `known` is missing; what
/// each read finds is kept, the latest read winning.
pub fn scan_stable(dir: &Path, known: &HashSet<String>) -> Result<Listing> {
    let mut out = scan_once(dir)?;
    for _ in 0..2 {
        if known.iter().all(|b| out.contains_key(b)) {
            break;
        }
        out.extend(scan_once(dir)?);
    }
    Ok(out)
}

/// Finds the file of base `base` now.
pub fn locate(dir: &Path, base: &str) -> Result<Option<Seen>> {
    for _ in 0..3 {
        if let Some(s) = scan_once(dir)?.remove(base) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// The UID list of the maildir, with a UID for every message of `listing`: when some
/// have none, they get theirs (in delivery order) under the lock, after a second scan
/// whose files are added to `listing`; entries whose files neither scan found are
/// dropped. `old_validity` is the UIDVALIDITY a new list must differ from. When the list
/// cannot be written (a maildir this user may only read), the UIDs are made up for this
/// session.
pub fn uids_for(
    cfg: &StoreConfig,
    dir: &Path,
    listing: &mut Listing,
    old_validity: u32,
) -> Result<UidList> {
    if let Some(list) = uidlist::read(dir)? {
        let have: HashSet<&str> = list.entries.iter().map(|e| e.base.as_str()).collect();
        if listing.keys().all(|b| have.contains(b.as_str())) {
            return Ok(list);
        }
    }
    let lock = match ListLock::acquire(dir, cfg.mailbox_mode) {
        Ok(l) => Some(l),
        Err(Error::Io { source, .. }) if read_only_error(&source) => None,
        Err(e) => return Err(e),
    };
    let mut list = uidlist::read(dir)?
        .unwrap_or_else(|| UidList::new(crate::clock::next_uid_validity(old_validity)));
    if lock.is_some() {
        let fresh = scan_once(dir)?;
        list.entries
            .retain(|e| listing.contains_key(&e.base) || fresh.contains_key(&e.base));
        listing.extend(fresh);
    }
    adopt(&mut list, listing.keys().map(String::as_str));
    if lock.is_some() {
        match uidlist::write(dir, &list, cfg.mailbox_mode) {
            Ok(()) => {}
            Err(Error::Io { source, .. }) if read_only_error(&source) => {
                cfg.notify
                    .notice(Level::Warn, "Can't write maildir UID list, UIDs not sticky");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(list)
}

/// Gives UIDs, in delivery order, to the bases of `bases` the list does not have.
pub fn adopt<'a>(list: &mut UidList, bases: impl Iterator<Item = &'a str>) {
    let have: HashSet<String> = list.entries.iter().map(|e| e.base.clone()).collect();
    let mut new: Vec<&str> = bases.filter(|b| !have.contains(*b)).collect();
    new.sort_by(|a, b| delivery_order(a, b));
    for b in new {
        if list.assign(b, None, KeywordSet::EMPTY).is_none() {
            break;
        }
    }
}

fn read_only_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::EACCES | nix::libc::EROFS | nix::libc::EPERM)
    )
}
