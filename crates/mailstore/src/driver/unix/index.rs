//! A cache of what a UNIX mailbox holds, so that opening an unchanged mailbox does not read
//! it again.
//!
//! After this store has read a whole mailbox (or rewritten it), it saves where each
//! message lies and what its status block says, together with the file's identity as
//! `fstat` gives it: device, inode, size, and modification and change times to the
//! nanosecond. The next open that finds the file with exactly that identity takes the
//! messages from the cache instead of scanning the file; any write to the file, by anyone,
//! changes its change time (the kernel keeps it, and `utime` cannot set it), so a stale
//! cache is never used. The cache holds no message text.
//!
//! Caches live in the store's state directory (by default `~/.cache/panda-imap`, which
//! must belong to this user), one file per mailbox named after its device and inode, mode
//! 0600; a file not owned by this user is ignored. Losing them costs only a scan.
//!
//! ```text
//! "PANDAIX1" dev ino size mtime(s, ns) ctime(s, ns)          file identity
//! uidvalidity uidlast pseudo-end base-holder prev-uid         mailbox state
//! nkeywords (len name)*                                       keyword table
//! nmessages record*                                           messages
//! checksum                                                    FNV-1a of all above
//! ```

use std::fs::{self, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use rfc822::DateTime;

use super::{Model, Msg};
use crate::config::{StoreConfig, UidMode};
use crate::driver::common;
use crate::types::{Flags, Keyword, MAX_KEYWORDS, MessageInfo, Uid};

const MAGIC: &[u8; 8] = b"PANDAIX1";

/// The cache file for the mailbox with device and inode `id`, if caching is on.
fn path(cfg: &StoreConfig, (dev, ino): (u64, u64)) -> Option<PathBuf> {
    if cfg.uids != UidMode::Sticky {
        return None;
    }
    Some(cfg.own_state_dir()?.join(format!("{dev:x}.{ino:x}.index")))
}

fn identity(meta: &Metadata) -> [i64; 7] {
    [
        meta.dev() as i64,
        meta.ino() as i64,
        meta.len() as i64,
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
    ]
}

/// Saves `model`, which must say what the file says (nothing pending), for the file as
/// `meta` describes it. Failures are ignored: the cache is only a cache.
pub(crate) fn save(cfg: &StoreConfig, meta: &Metadata, model: &Model) {
    let Some(path) = path(cfg, (meta.dev(), meta.ino())) else {
        return;
    };
    if model.ddirty || model.base_dirty || model.msgs.iter().any(|m| m.dirty) {
        return;
    }
    crate::derived::replace_private(&path, |f| write_model(f, meta, model));
}

fn write_model(f: fs::File, meta: &Metadata, model: &Model) -> io::Result<()> {
    let mut w = Summed {
        inner: io::BufWriter::with_capacity(64 << 10, f),
        sum: FNV_START,
    };
    w.put(MAGIC)?;
    for v in identity(meta) {
        w.put(&v.to_le_bytes())?;
    }
    w.put(&model.uid_validity.to_le_bytes())?;
    w.put(&model.uid_last.to_le_bytes())?;
    w.put(&model.pseudo.map_or(u64::MAX, |p| p).to_le_bytes())?;
    w.put(&model.base_holder.map_or(0, Uid::get).to_le_bytes())?;
    w.put(&model.prev_uid.to_le_bytes())?;
    w.put(&(model.keywords.len() as u32).to_le_bytes())?;
    for k in &model.keywords {
        w.put(&(k.as_str().len() as u32).to_le_bytes())?;
        w.put(k.as_str().as_bytes())?;
    }
    w.put(&(model.msgs.len() as u64).to_le_bytes())?;
    let mut rec = Vec::with_capacity(64);
    for (m, i) in model.msgs.iter().zip(&model.infos) {
        rec.clear();
        put64(&mut rec, m.start);
        put32(&mut rec, m.from_len);
        put32(&mut rec, m.from_hash);
        put32(&mut rec, m.header_len);
        put32(&mut rec, m.kept_len);
        put64(&mut rec, m.body_len);
        rec.push(m.sep_len);
        rec.push(u8::from(m.old_on_disk));
        // c-client's bits, all below 0x40.
        rec.push(common::system_bits(i.flags) as u8);
        put32(&mut rec, common::keyword_bits(i.keywords));
        put32(&mut rec, i.uid.get());
        put64(&mut rec, i.internal_date.timestamp() as u64);
        put32(&mut rec, i.internal_date.offset_seconds() as u32);
        put32(&mut rec, i.size);
        w.put(&rec)?;
    }
    let sum = w.sum;
    w.inner.write_all(&sum.to_le_bytes())?;
    w.inner.flush()
}

/// A writer that keeps the FNV-1a checksum of what passes through it.
struct Summed<W> {
    inner: W,
    sum: u64,
}

impl<W: Write> Summed<W> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.sum = fold(self.sum, b);
        self.inner.write_all(b)
    }
}

/// The model saved for the file as `meta` describes it, if there is a cache for exactly
/// that file.
pub(crate) fn load(cfg: &StoreConfig, meta: &Metadata) -> Option<Model> {
    let path = path(cfg, (meta.dev(), meta.ino()))?;
    let own = fs::symlink_metadata(&path).ok()?;
    if !own.is_file() || own.uid() != nix::unistd::geteuid().as_raw() || own.mode() & 0o077 != 0 {
        return None;
    }
    let file = fs::File::open(&path).ok()?;
    let total = file.metadata().ok()?.len();
    if total < 16 {
        return None;
    }
    let mut r = Reader {
        inner: io::BufReader::with_capacity(64 << 10, file).take(total - 8),
        sum: FNV_START,
    };
    if r.bytes::<8>()? != *MAGIC {
        return None;
    }
    for want in identity(meta) {
        if r.u64()? as i64 != want {
            return None;
        }
    }
    let mut m = Model {
        uid_validity: r.u32()?,
        uid_last: r.u32()?,
        ..Model::default()
    };
    m.pseudo = Some(r.u64()?).filter(|&p| p != u64::MAX);
    m.base_holder = Uid::new(r.u32()?);
    m.prev_uid = r.u32()?;
    let nk = r.u32()? as usize;
    if nk > crate::types::MAX_KEYWORDS {
        return None;
    }
    for _ in 0..nk {
        let len = r.u32()? as usize;
        if len > crate::types::MAX_KEYWORD_LEN {
            return None;
        }
        let mut name = vec![0u8; len];
        r.fill(&mut name)?;
        m.keywords
            .push(Keyword::new(std::str::from_utf8(&name).ok()?).ok()?);
    }
    let n = usize::try_from(r.u64()?).ok()?;
    if n as u64 > total / 40 {
        return None;
    }
    m.msgs.reserve_exact(n);
    m.infos.reserve_exact(n);
    for _ in 0..n {
        let msg = Msg {
            start: r.u64()?,
            from_len: r.u32()?,
            from_hash: r.u32()?,
            header_len: r.u32()?,
            kept_len: r.u32()?,
            body_len: r.u64()?,
            sep_len: r.u8()?,
            old_on_disk: r.u8()? != 0,
            dirty: false,
        };
        let mut flags = common::system_flags(u16::from(r.u8()?));
        if !msg.old_on_disk {
            flags = flags.union(Flags::RECENT);
        }
        let keywords = common::keyword_set(r.u32()?, MAX_KEYWORDS);
        let uid = Uid::new(r.u32()?)?;
        let secs = r.u64()? as i64;
        let offset = r.u32()? as i32;
        let size = r.u32()?;
        m.msgs.push(msg);
        m.infos.push(MessageInfo {
            uid,
            flags,
            keywords,
            internal_date: DateTime::new(secs, offset).ok()?,
            size,
        });
    }
    // All read, and the checksum (the last 8 bytes) agrees.
    let sum = r.sum;
    if r.inner.limit() != 0 {
        return None;
    }
    let mut inner = r.inner.into_inner();
    let mut tail = [0u8; 8];
    inner.read_exact(&mut tail).ok()?;
    if u64::from_le_bytes(tail) != sum {
        return None;
    }
    m.seen_any = m.pseudo.is_some() || !m.msgs.is_empty();
    m.opened = true;
    m.parsed_len = meta.len();
    // New messages are to be claimed by a read-write session, as after a scan.
    m.dirty = m.infos.iter().any(|i| i.flags.contains(Flags::RECENT));
    Some(m)
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, continued over `b`.
fn fold(h: u64, b: &[u8]) -> u64 {
    b.iter().fold(h, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A reader that keeps the FNV-1a checksum of what it reads.
struct Reader<R> {
    inner: R,
    sum: u64,
}

impl<R: Read> Reader<R> {
    fn fill(&mut self, b: &mut [u8]) -> Option<()> {
        self.inner.read_exact(b).ok()?;
        self.sum = fold(self.sum, b);
        Some(())
    }

    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Some(b)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.bytes::<1>()?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes::<4>()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes::<8>()?))
    }
}
