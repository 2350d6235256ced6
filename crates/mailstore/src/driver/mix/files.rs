//! The files of one mix mailbox: their names, opening and `flock`ing them, reading them
//! whole through the parsers of [`super::format`], rewriting them, and choosing modseqs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::format::{self, Index, LineError, Meta, Status};
use crate::clock;
use crate::error::{Error, IoContext, Result};

/// The metadata file.
pub(crate) const META: &str = ".mixmeta";
/// The index file.
pub(crate) const INDEX: &str = ".mixindex";
/// The status file.
pub(crate) const STATUS: &str = ".mixstatus";
/// The sort cache (optional; we neither read nor write it, but delete it with the box).
pub(crate) const SORTCACHE: &str = ".mixsortcache";

/// A new data file is started when an append would push the current one past this
/// (c-client's MIXDATAROLL, 1 MiB).
pub(crate) const DATA_ROLL: u64 = 1 << 20;

/// The name of data file number `n` (`.mix` for 0, the legacy primary file).
pub(crate) fn data_name(n: u32) -> String {
    if n == 0 {
        ".mix".to_owned()
    } else {
        format!(".mix{n:08x}")
    }
}

/// The number of data file `name`, if it is one.
pub(crate) fn data_number(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".mix")?;
    if rest.is_empty() {
        return Some(0);
    }
    if rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u32::from_str_radix(rest, 16).ok();
    }
    None
}

/// How a mailbox file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// For reading.
    Read,
    /// For reading and writing.
    Write,
}

/// How a file is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Share {
    /// `flock` shared.
    Shared,
    /// `flock` exclusive.
    Exclusive,
}

/// One open, `flock`ed file of the mailbox; closing it lets the lock go.
#[derive(Debug)]
pub(crate) struct Locked {
    pub(crate) file: File,
    pub(crate) path: PathBuf,
}

impl Locked {
    /// Opens `dir/name` and locks it, waiting for the lock.
    pub(crate) fn open(dir: &Path, name: &str, mode: Mode, share: Share) -> Result<Locked> {
        let path = dir.join(name);
        let file = open(&path, mode)?;
        match share {
            Share::Shared => file.lock_shared(),
            Share::Exclusive => file.lock(),
        }
        .ctx("flock", &path)?;
        Ok(Locked { file, path })
    }

    /// The whole file.
    pub(crate) fn read_all(&self) -> Result<Vec<u8>> {
        read_all(&self.file, &self.path)
    }

    /// The file parsed as metadata.
    pub(crate) fn meta(&self) -> Result<Meta> {
        let bytes = self.read_all()?;
        format::parse_meta(&bytes).map_err(|e| corrupt(&self.path, e))
    }

    /// The file parsed as the index.
    pub(crate) fn index(&self) -> Result<Index> {
        let bytes = self.read_all()?;
        format::parse_index(&bytes).map_err(|e| corrupt(&self.path, e))
    }

    /// The file parsed as status.
    pub(crate) fn status(&self) -> Result<Status> {
        let bytes = self.read_all()?;
        format::parse_status(&bytes).map_err(|e| corrupt(&self.path, e))
    }

    /// Replaces the file's content with `bytes`, in place, and syncs it.
    pub(crate) fn rewrite(&self, bytes: &[u8]) -> Result<()> {
        rewrite(&self.file, &self.path, bytes)
    }
}

/// Opens `path` for reading, or reading and writing.
pub(crate) fn open(path: &Path, mode: Mode) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(mode == Mode::Write)
        .open(path)
        .ctx("open", path)
}

/// Creates `path`, which must not exist, with mode `perm`.
pub(crate) fn create_new(path: &Path, perm: u32) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(perm)
        .open(path)
        .map_err(|e| Error::node(path, e))?;
    // The mode whatever the umask (0666 in `#public/`, as c-client sets it).
    let _ = file.set_permissions(fs::Permissions::from_mode(perm));
    Ok(file)
}

/// Reads all of `file` from its start.
pub(crate) fn read_all(file: &File, path: &Path) -> Result<Vec<u8>> {
    let mut f = file;
    f.seek(SeekFrom::Start(0)).ctx("seek", path)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).ctx("read", path)?;
    Ok(bytes)
}

/// Replaces the content of `file` with `bytes` in place (as c-client does: the file keeps
/// its inode, so locks held on it stay valid), and syncs it.
pub(crate) fn rewrite(file: &File, path: &Path, bytes: &[u8]) -> Result<()> {
    file.write_all_at(bytes, 0).ctx("write", path)?;
    file.set_len(bytes.len() as u64).ctx("truncate", path)?;
    file.sync_data().ctx("sync", path)
}

/// The error for a bad line in `path`.
pub(crate) fn corrupt(path: &Path, e: LineError) -> Error {
    Error::Corrupt {
        path: path.to_owned(),
        offset: e.offset,
        what: e.what.to_owned(),
    }
}

/// The size of `path`, 0 when it does not exist.
pub(crate) fn size_or_zero(path: &Path) -> Result<u64> {
    match fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io("stat", path, e)),
    }
}

/// Hands out modseqs: unsigned 32-bit times that never go backwards (`mixfmt.txt` §2.1.3).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Modseq {
    last: u32,
}

impl Modseq {
    /// A source whose values all exceed `seen` (the largest sequence or modseq read).
    pub(crate) fn after(seen: u32) -> Modseq {
        Modseq { last: seen }
    }

    /// The next value: now, or one past the last when the clock is behind.
    pub(crate) fn next(&mut self) -> u32 {
        let now = u32::try_from(clock::unix_now().max(0)).unwrap_or(u32::MAX);
        self.last = now.max(self.last.saturating_add(1));
        self.last
    }
}

/// The largest sequence or modseq in a mailbox's metadata, index and status.
pub(crate) fn highest(meta: &Meta, index: &Index, status: &Status) -> u32 {
    status
        .entries
        .iter()
        .map(|e| e.modseq)
        .chain([meta.seq, meta.new_file, index.seq, status.seq])
        .max()
        .unwrap_or(0)
}
