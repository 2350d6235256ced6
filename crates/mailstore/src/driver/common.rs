//! Pieces the format drivers share: making, locking and removing mailbox files and
//! directories, c-client's flag and keyword bits, and what a session does the same way
//! whatever its format (checking sequence numbers, applying a flag change, cutting a
//! message into header and text).
//!
//! Only what is the same in every driver that uses it lives here; a driver whose format
//! asks for something else (tenex's keyword bits counted from bit 29, UNIX's CR-dropping
//! line ends) keeps its own.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::config::StoreConfig;
use crate::error::{Error, Result};
use crate::mailbox::{FlagOp, Part};
use crate::types::{Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, SeqNo};

/// Opens `path` to read without changing its access time (which says "new mail" to
/// other programs, and `\Seen` to MH), or plainly where the system does not allow that
/// (`O_NOATIME` is only for the file's owner).
pub(crate) fn open_noatime(path: &Path) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOATIME)
        .open(path)
    {
        Ok(f) => Ok(f),
        Err(e) if e.raw_os_error() == Some(nix::libc::EPERM) => File::open(path),
        Err(e) => Err(e),
    }
}

/// Makes the new file of a one-file mailbox at `path` (which must not exist), with the
/// configured mode whatever the umask.
pub(crate) fn create_mailbox_file(cfg: &StoreConfig, path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(cfg.mailbox_mode)
        .open(path)
        .map_err(|e| Error::node(path, e))?;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(cfg.mailbox_mode));
    Ok(file)
}

/// Writes `bytes`, the whole of a mailbox just made by [`create_mailbox_file`], and syncs
/// them; on an error the file is removed.
pub(crate) fn initialize_mailbox_file(file: &File, path: &Path, bytes: &[u8]) -> Result<()> {
    if let Err(e) = file.write_all_at(bytes, 0).and_then(|()| file.sync_all()) {
        let _ = fs::remove_file(path);
        return Err(Error::io("initialize mailbox", path, e));
    }
    Ok(())
}

/// Takes an exclusive `flock` on `file` without waiting: it is had only when no session
/// has mailbox `name` open (each holds a shared one). `path` is the locked file's, for
/// errors.
pub(crate) fn lock_alone(file: &File, name: &str, path: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => Err(Error::InUse {
            name: name.to_owned(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io("flock", path, e)),
    }
}

/// Whether `path` (whose metadata is `meta`) is a directory holding the regular file
/// `own`: how a directory format whose mailboxes have a file of their own knows them.
pub(crate) fn dir_holds_file(path: &Path, meta: &fs::Metadata, own: &str) -> io::Result<bool> {
    if !meta.is_dir() {
        return Ok(false);
    }
    match fs::metadata(path.join(own)) {
        Ok(m) => Ok(m.is_file()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOTDIR) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes directory `path` (its parent exists) with the configured mode, whatever the
/// umask.
pub(crate) fn create_dir(cfg: &StoreConfig, path: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .mode(cfg.dir_mode)
        .create(path)
        .map_err(|e| Error::node(path, e))?;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(cfg.dir_mode));
    Ok(())
}

/// Removes the directory of a deleted mailbox, unless other mailboxes are still in it.
pub(crate) fn remove_dir_unless_children(path: &Path) -> Result<()> {
    match fs::remove_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
        Err(e) => Err(Error::io("delete mailbox", path, e)),
    }
}

/// Removes file `path`, which may be gone already.
pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("delete", path, e)),
    }
}

/// c-client's system flag bits (`fSEEN` … `fDRAFT`), the same in every format that
/// stores bits: mix, mx, mbx, tenex and mtx. `\Recent` has none (0x10 is "old", its
/// absence).
const SYSTEM_BITS: [(Flags, u16); 5] = [
    (Flags::SEEN, 0x01),
    (Flags::DELETED, 0x02),
    (Flags::FLAGGED, 0x04),
    (Flags::ANSWERED, 0x08),
    (Flags::DRAFT, 0x20),
];

/// c-client's system flag bits of `flags` (`\Recent` and bookkeeping bits excluded).
pub(crate) fn system_bits(flags: Flags) -> u16 {
    SYSTEM_BITS
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .fold(0, |acc, (_, b)| acc | b)
}

/// The flags of c-client's system flag bits (`\Recent` is the session's to decide).
pub(crate) fn system_flags(bits: u16) -> Flags {
    SYSTEM_BITS
        .iter()
        .filter(|(_, b)| bits & b != 0)
        .fold(Flags::EMPTY, |acc, (f, _)| acc.union(*f))
}

/// The keyword bits of a keyword set: bit *i* is keyword *i* of the mailbox's table (mix,
/// mx, mbx).
pub(crate) fn keyword_bits(set: KeywordSet) -> u32 {
    set.iter().fold(0, |acc, i| acc | (1 << i))
}

/// The keyword set of keyword bits, among the first `defined` keywords of the table
/// (bits past it are ignored).
pub(crate) fn keyword_set(bits: u32, defined: usize) -> KeywordSet {
    let mut set = KeywordSet::EMPTY;
    for i in (0..defined.min(MAX_KEYWORDS)).filter(|i| bits & (1 << i) != 0) {
        set.insert(i);
    }
    set
}

/// `data` with every bare LF made CRLF (other bytes, lone CRs included, are kept): the
/// form mbx stores, and how a one-file-per-message format's file is given to a client.
pub(crate) fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// The part of a whole message whose header is its first `header_len` bytes.
pub(crate) fn cut_part(mut whole: Vec<u8>, header_len: usize, part: Part) -> Vec<u8> {
    match part {
        Part::Whole => whole,
        Part::Header => {
            whole.truncate(header_len);
            whole
        }
        Part::Text => whole.split_off(header_len),
    }
}

/// The flags `op` with `flags` makes of a message's `old` ones; a replacement keeps
/// `\Recent`, which is not the client's to change.
pub(crate) fn apply_flags(op: FlagOp, old: Flags, flags: Flags) -> Flags {
    match op {
        FlagOp::Replace => flags.union(old.intersect(Flags::RECENT)),
        FlagOp::Add => old.union(flags),
        FlagOp::Remove => old.minus(flags),
    }
}

/// The keywords `op` with `set` makes of a message's `old` ones.
pub(crate) fn apply_keywords(op: FlagOp, old: KeywordSet, set: KeywordSet) -> KeywordSet {
    match op {
        FlagOp::Replace => set,
        FlagOp::Add => old.union(set),
        FlagOp::Remove => old.minus(set),
    }
}

/// Refuses a change unless the session is read-write.
pub(crate) fn writable(access: Access) -> Result<()> {
    match access {
        Access::ReadWrite => Ok(()),
        Access::ReadOnly => Err(Error::ReadOnly),
    }
}

/// Refuses sequence numbers past the `count` messages of the session (the first such).
pub(crate) fn check_seqs(seqs: &[SeqNo], count: usize) -> Result<()> {
    match seqs.iter().find(|s| s.index() >= count) {
        Some(s) => Err(Error::NoSuchMessage(s.get())),
        None => Ok(()),
    }
}

/// Refuses keywords in a format that has none (`reason` says which).
pub(crate) fn no_keywords(keywords: &[Keyword], reason: &'static str) -> Result<()> {
    match keywords.first() {
        Some(k) => Err(Error::InvalidKeyword {
            keyword: k.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_bits_round_trip() {
        let all = Flags::SETTABLE;
        assert_eq!(system_bits(all), 0x2f);
        assert_eq!(system_flags(0x2f), all);
        assert_eq!(system_bits(Flags::RECENT), 0);
        assert_eq!(system_flags(0x10), Flags::EMPTY, "old is not a flag");
    }

    #[test]
    fn keyword_bits_round_trip() {
        let mut set = KeywordSet::EMPTY;
        set.insert(0);
        set.insert(29);
        assert_eq!(keyword_bits(set), 1 | 1 << 29);
        assert_eq!(keyword_set(1 | 1 << 29, MAX_KEYWORDS), set);
        assert_eq!(keyword_set(1 | 1 << 29, 1), KeywordSet::EMPTY.union(one(0)));
        assert_eq!(keyword_set(u32::MAX, 64).iter().count(), MAX_KEYWORDS);
    }

    fn one(i: usize) -> KeywordSet {
        let mut s = KeywordSet::EMPTY;
        s.insert(i);
        s
    }

    #[test]
    fn line_ends_and_parts() {
        assert_eq!(to_crlf(b"a\nb\r\nc\rd\n"), b"a\r\nb\r\nc\rd\r\n");
        let whole = b"A: b\r\n\r\nbody".to_vec();
        assert_eq!(cut_part(whole.clone(), 8, Part::Header), b"A: b\r\n\r\n");
        assert_eq!(cut_part(whole.clone(), 8, Part::Text), b"body");
        assert_eq!(cut_part(whole.clone(), 8, Part::Whole), whole);
    }

    #[test]
    fn replacing_flags_keeps_recent() {
        let old = Flags::RECENT.union(Flags::SEEN);
        assert_eq!(
            apply_flags(FlagOp::Replace, old, Flags::DRAFT),
            Flags::DRAFT.union(Flags::RECENT)
        );
        assert_eq!(apply_flags(FlagOp::Remove, old, Flags::SEEN), Flags::RECENT);
        assert_eq!(
            apply_flags(FlagOp::Add, Flags::EMPTY, Flags::SEEN),
            Flags::SEEN
        );
    }
}
