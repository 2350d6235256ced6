//! Data derived from messages' text and kept by UID, such as IMAP's BODYSTRUCTURE, so
//! that a session need not read and parse every message again.
//!
//! A message's text never changes while it keeps its UID (RFC 3501 §2.3.1.1), so what is
//! derived from it stays true for as long as the mailbox's UIDVALIDITY does. Each kind of
//! data of each mailbox is one file in the store's state directory, next to the mailbox
//! caches, named after the mailbox's device and inode and the kind; a file written under
//! another UIDVALIDITY, damaged, or not ours is ignored. Losing it costs only the work.
//!
//! ```text
//! "PANDADV1" uidvalidity:u32 count:u32      header
//! (uid:u32 len:u32 bytes)*                  entries, little-endian
//! checksum:u64                              FNV-1a of all above
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use crate::types::{MessageInfo, Uid, UidValidity};

const MAGIC: &[u8; 8] = b"PANDADV1";

/// Derived data of one kind for one mailbox.
#[derive(Debug)]
pub struct Derived {
    path: Option<PathBuf>,
    validity: u32,
    data: Vec<u8>,
    index: HashMap<u32, (u32, u32)>,
    state: State,
}

/// Whether there is anything to save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Saved,
    Changed,
}

impl Derived {
    /// A cache kept in memory only.
    pub fn memory(validity: UidValidity) -> Self {
        Derived {
            path: None,
            validity: validity.get(),
            data: Vec::new(),
            index: HashMap::new(),
            state: State::Saved,
        }
    }

    /// The cache in file `path` (if it holds data for `validity`).
    pub(crate) fn load(path: Option<PathBuf>, validity: UidValidity) -> Self {
        let mut d = Derived::memory(validity);
        if let Some(p) = &path
            && let Ok(bytes) = read_own(p)
        {
            d.parse(&bytes);
        }
        d.path = path;
        d
    }

    /// What is kept for `uid`.
    pub fn get(&self, uid: Uid) -> Option<&[u8]> {
        let &(off, len) = self.index.get(&uid.get())?;
        self.data.get(off as usize..off as usize + len as usize)
    }

    /// Keeps `bytes` for `uid`.
    pub fn put(&mut self, uid: Uid, bytes: &[u8]) {
        let (Ok(off), Ok(len)) = (u32::try_from(self.data.len()), u32::try_from(bytes.len()))
        else {
            return;
        };
        self.data.extend_from_slice(bytes);
        self.index.insert(uid.get(), (off, len));
        self.state = State::Changed;
    }

    /// Writes the cache, keeping only the messages of `live` (expunged ones go). Failures
    /// are ignored: it is only a cache.
    pub fn save(&mut self, live: &[MessageInfo]) {
        if self.state == State::Saved {
            return;
        }
        self.state = State::Saved;
        let Some(path) = self.path.clone() else {
            return;
        };
        let mut out = Vec::with_capacity(self.data.len() + 16 + live.len() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.validity.to_le_bytes());
        let count_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        let mut count = 0u32;
        for m in live {
            if let Some(b) = self.get(m.uid) {
                out.extend_from_slice(&m.uid.get().to_le_bytes());
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(b);
                count += 1;
            }
        }
        out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
        let sum = fnv(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        let Some(dir) = path.parent() else { return };
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        let written = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&out));
        if written.is_err() || fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    fn parse(&mut self, b: &[u8]) {
        let Some((body, sum)) = b.split_last_chunk::<8>() else {
            return;
        };
        if body.len() < 16 || &body[..8] != MAGIC || fnv(body) != u64::from_le_bytes(*sum) {
            return;
        }
        let u32_at = |i: usize| {
            body.get(i..i + 4)
                .and_then(|s| s.try_into().ok())
                .map(u32::from_le_bytes)
        };
        if u32_at(8) != Some(self.validity) {
            return;
        }
        let Some(count) = u32_at(12) else { return };
        let mut at = 16;
        for _ in 0..count {
            let (Some(uid), Some(len)) = (u32_at(at), u32_at(at + 4)) else {
                return;
            };
            let Some(bytes) = body.get(at + 8..at + 8 + len as usize) else {
                return;
            };
            if let Some(uid) = Uid::new(uid) {
                self.put(uid, bytes);
            }
            at += 8 + len as usize;
        }
        self.state = State::Saved;
    }
}

/// The file's bytes, if it is a regular file of this user.
fn read_own(p: &std::path::Path) -> io::Result<Vec<u8>> {
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(p)?;
    let m = f.metadata()?;
    if !m.is_file() || m.uid() != nix::unistd::geteuid().as_raw() {
        return Err(io::ErrorKind::PermissionDenied.into());
    }
    let mut v = Vec::with_capacity(m.len() as usize);
    f.read_to_end(&mut v)?;
    Ok(v)
}

/// 64-bit FNV-1a.
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Flags;

    fn info(uid: u32) -> MessageInfo {
        MessageInfo {
            uid: Uid::new(uid).unwrap(),
            flags: Flags::EMPTY,
            keywords: crate::types::KeywordSet::EMPTY,
            internal_date: rfc822::DateTime::UNIX_EPOCH,
            size: 1,
        }
    }

    #[test]
    fn round_trip_and_invalidation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bs");
        let v = UidValidity::new(7).unwrap();
        let mut d = Derived::load(Some(path.clone()), v);
        d.put(Uid::new(1).unwrap(), b"one");
        d.put(Uid::new(2).unwrap(), b"two");
        d.put(Uid::new(3).unwrap(), b"");
        d.save(&[info(1), info(3)]);
        let d = Derived::load(Some(path.clone()), v);
        assert_eq!(d.get(Uid::new(1).unwrap()), Some(&b"one"[..]));
        assert_eq!(d.get(Uid::new(2).unwrap()), None, "expunged entries go");
        assert_eq!(d.get(Uid::new(3).unwrap()), Some(&b""[..]));
        // Another UIDVALIDITY: nothing.
        let other = Derived::load(Some(path.clone()), UidValidity::new(8).unwrap());
        assert_eq!(other.get(Uid::new(1).unwrap()), None);
        // Damage: nothing.
        let mut bytes = fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert_eq!(Derived::load(Some(path), v).get(Uid::new(1).unwrap()), None);
    }
}
