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
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::types::{MessageInfo, Uid, UidValidity};

const MAGIC: &[u8; 8] = b"PANDADV1";

/// Derived data of one kind for one mailbox.
#[derive(Debug)]
pub struct Derived {
    path: Option<PathBuf>,
    validity: u32,
    /// Entries' bytes, in blocks that are filled and never moved.
    blocks: Vec<Vec<u8>>,
    /// Where each UID's bytes are: block, offset, length.
    index: HashMap<u32, (u32, u32, u32), BuildHasherDefault<UidHasher>>,
    state: State,
}

/// Hashes UIDs (small, mostly consecutive integers) with one multiplication; the
/// default hasher's resistance to chosen keys is not needed for UIDs the store assigns.
#[derive(Default)]
struct UidHasher(u64);

impl Hasher for UidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The size of a block of entries.
const BLOCK: usize = 1 << 20;

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
            blocks: Vec::new(),
            index: HashMap::default(),
            state: State::Saved,
        }
    }

    /// The cache in file `path` (if it holds data for `validity`).
    pub(crate) fn load(path: Option<PathBuf>, validity: UidValidity) -> Self {
        let mut d = Derived::memory(validity);
        if let Some(p) = &path
            && let Ok(f) = open_own(p)
            && d.read_from(f).is_err()
        {
            // Damaged or another UIDVALIDITY's: start empty.
            d = Derived::memory(validity);
        }
        d.path = path;
        d
    }

    /// What is kept for `uid`.
    pub fn get(&self, uid: Uid) -> Option<&[u8]> {
        let &(block, off, len) = self.index.get(&uid.get())?;
        self.blocks
            .get(block as usize)?
            .get(off as usize..off as usize + len as usize)
    }

    /// Keeps `bytes` for `uid`.
    pub fn put(&mut self, uid: Uid, bytes: &[u8]) {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= bytes.len());
        if !fits {
            self.blocks.push(Vec::with_capacity(BLOCK.max(bytes.len())));
        }
        let at = self.blocks.len() - 1;
        let Some(block) = self.blocks.last_mut() else {
            return;
        };
        let (Ok(b), Ok(off), Ok(len)) = (
            u32::try_from(at),
            u32::try_from(block.len()),
            u32::try_from(bytes.len()),
        ) else {
            return;
        };
        block.extend_from_slice(bytes);
        self.index.insert(uid.get(), (b, off, len));
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
        replace_private(&path, |f| self.write_to(f, live));
    }

    /// Streams the entries of `live` to `f` (never the whole file in memory).
    fn write_to(&self, f: fs::File, live: &[MessageInfo]) -> io::Result<()> {
        let kept: Vec<(u32, &[u8])> = live
            .iter()
            .filter_map(|m| Some((m.uid.get(), self.get(m.uid)?)))
            .collect();
        let mut w = io::BufWriter::with_capacity(1 << 16, f);
        let mut sum = FNV_START;
        let mut put = |w: &mut io::BufWriter<fs::File>, b: &[u8]| {
            sum = fnv_more(sum, b);
            w.write_all(b)
        };
        // The checksum is taken over the same pieces the reader reads: the 16-byte head,
        // then each entry's 8-byte record and its bytes.
        let mut head = [0u8; 16];
        head[..8].copy_from_slice(MAGIC);
        head[8..12].copy_from_slice(&self.validity.to_le_bytes());
        head[12..].copy_from_slice(&(kept.len() as u32).to_le_bytes());
        put(&mut w, &head)?;
        for (uid, b) in kept {
            let mut rec = [0u8; 8];
            rec[..4].copy_from_slice(&uid.to_le_bytes());
            rec[4..].copy_from_slice(&(b.len() as u32).to_le_bytes());
            put(&mut w, &rec)?;
            put(&mut w, b)?;
        }
        w.write_all(&sum.to_le_bytes())?;
        w.flush()
    }

    /// Reads entries from `f`, checking the checksum as it goes (the file is never
    /// held whole in memory); any fault is an error and the caller starts afresh.
    fn read_from(&mut self, f: fs::File) -> io::Result<()> {
        let bad = || io::Error::from(io::ErrorKind::InvalidData);
        let mut r = io::BufReader::with_capacity(1 << 16, f);
        let mut sum = FNV_START;
        let mut take = |r: &mut io::BufReader<fs::File>, buf: &mut [u8]| -> io::Result<()> {
            r.read_exact(buf)?;
            sum = fnv_more(sum, buf);
            Ok(())
        };
        let mut head = [0u8; 16];
        take(&mut r, &mut head)?;
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if &head[..8] != MAGIC || word(&head[8..12]) != self.validity {
            return Err(bad());
        }
        let mut entry = Vec::new();
        for _ in 0..word(&head[12..16]) {
            let mut rec = [0u8; 8];
            take(&mut r, &mut rec)?;
            let (uid, len) = (word(&rec[..4]), word(&rec[4..]) as usize);
            if len > 1 << 30 {
                return Err(bad());
            }
            entry.resize(len, 0);
            take(&mut r, &mut entry)?;
            if let Some(uid) = Uid::new(uid) {
                self.put(uid, &entry);
            }
        }
        let mut stored = [0u8; 8];
        r.read_exact(&mut stored)?;
        if u64::from_le_bytes(stored) != sum {
            return Err(bad());
        }
        self.state = State::Saved;
        Ok(())
    }
}

/// Writes the private (mode 0600) cache file `path` with `write`, through a new file
/// renamed into place, so that a reader sees the old file or the new one whole. Failures
/// are ignored (the file is gone or stays as it was): it is only a cache.
pub(crate) fn replace_private(path: &Path, write: impl FnOnce(fs::File) -> io::Result<()>) {
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
        .and_then(write);
    if written.is_err() || fs::rename(&tmp, path).is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// The file, if it is a regular file of this user.
fn open_own(p: &std::path::Path) -> io::Result<fs::File> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(p)?;
    let m = f.metadata()?;
    if !m.is_file() || m.uid() != nix::unistd::geteuid().as_raw() {
        return Err(io::ErrorKind::PermissionDenied.into());
    }
    Ok(f)
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// An FNV-1a-style checksum continued over more bytes, eight at a time (it guards
/// against damage, not against an adversary).
fn fnv_more(mut h: u64, b: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(x)).wrapping_mul(PRIME);
    }
    for &x in words.remainder() {
        h = (h ^ u64::from(x)).wrapping_mul(PRIME);
    }
    h
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
