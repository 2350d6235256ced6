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
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::name::{FileName, delivery_order};
use super::uidlist::{self, ListLock, UidList};
use crate::config::StoreConfig;
use crate::error::{Error, Result};
use crate::notify::Level;
use crate::types::{Flags, KeywordSet};

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

/// Reads the maildir, again (up to twice more) while a message of `known` (base names,
/// with the names they were last seen under) is missing; what each read finds is kept,
/// the latest read winning. Those still missing are looked for by their likely names.
pub fn scan_stable(dir: &Path, known: &HashMap<String, FileName>) -> Result<Listing> {
    let mut out = scan_once(dir)?;
    for _ in 0..2 {
        if known.keys().all(|b| out.contains_key(b)) {
            return Ok(out);
        }
        out.extend(scan_once(dir)?);
    }
    for (base, last) in known {
        if !out.contains_key(base)
            && let Some(s) = probe(dir, last)
        {
            out.insert(base.clone(), s);
        }
    }
    Ok(out)
}

/// Finds the file of the message last seen as `last` now. Its likely names (the base
/// with each combination of flags, in `cur/` and `new/`) are tried first, as a directory
/// read while files are renamed may miss them; then the directories are read. A few
/// rounds of both are made before the message counts as gone.
pub fn locate(dir: &Path, last: &FileName) -> Result<Option<Seen>> {
    for _ in 0..8 {
        if let Some(s) = probe(dir, last) {
            return Ok(Some(s));
        }
        if let Some(s) = scan_once(dir)?.remove(&last.base) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

fn probe(dir: &Path, last: &FileName) -> Option<Seen> {
    const ALL: [Flags; 5] = [
        Flags::DRAFT,
        Flags::FLAGGED,
        Flags::ANSWERED,
        Flags::SEEN,
        Flags::DELETED,
    ];
    let mut names = vec![(Sub::New, last.base.clone())];
    for bits in 0u8..32 {
        let flags = ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .fold(Flags::EMPTY, |acc, (_, f)| acc.union(*f));
        let name = last.with_flags(flags);
        names.push((Sub::Cur, name.clone()));
        names.push((Sub::New, name));
    }
    names.into_iter().find_map(|(sub, name)| {
        fs::symlink_metadata(dir.join(sub.dir()).join(&name))
            .ok()
            .and_then(|_| FileName::parse(&name))
            .map(|parsed| Seen { sub, name, parsed })
    })
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
    let mut list = match uidlist::read(dir)? {
        Some(l) => l,
        None => fresh_list(dir, old_validity),
    };
    if lock.is_some() {
        let fresh = scan_once(dir)?;
        listing.extend(fresh);
        // An entry whose file neither read found is looked for by name before it goes.
        for e in &list.entries {
            if !listing.contains_key(&e.base)
                && let Some(s) = probe(dir, &FileName::bare(&e.base))
            {
                listing.insert(e.base.clone(), s);
            }
        }
        list.entries.retain(|e| listing.contains_key(&e.base));
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

/// A new, empty UID list for maildir `dir`, whose list is missing or cannot be read: its
/// UIDVALIDITY differs from `old_validity` and from the unreadable list's (which was
/// written no earlier than its UIDVALIDITY, so a value after its time differs).
pub fn fresh_list(dir: &Path, old_validity: u32) -> UidList {
    let floor = fs::metadata(dir.join(uidlist::FILE))
        .ok()
        .and_then(|m| u32::try_from(m.mtime()).ok())
        .unwrap_or(0)
        .max(old_validity);
    UidList::new(crate::clock::next_uid_validity(floor))
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
