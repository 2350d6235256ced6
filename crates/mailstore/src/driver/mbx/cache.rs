//! A cache of an mbx file's record lines, so that opening an unchanged mailbox does not
//! read every record again (one read per message: on a large mailbox, most of the time of
//! an open goes to the system calls).
//!
//! After a session has parsed the whole file, it saves each record line's fields with the
//! file's identity as `fstat` gives it: device, inode, size, and modification and change
//! times to the nanosecond. The next open that finds exactly that identity takes the
//! records from the cache; any write to the file by anyone (a flag rewritten in place, an
//! append, an expunge) changes its change time, which `utime` cannot set back, so a stale
//! cache is never used. What the session then does with the records (UID checks, `\Recent`,
//! marking messages seen) is the same as with records read from the file.
//!
//! Caches live in the store's state directory beside the UNIX ones, named
//! `<dev>.<ino>.mbx`, mode 0600; losing one costs only a parse.
//!
//! ```text
//! "PANDAMB1" dev ino size mtime(s, ns) ctime(s, ns)   file identity (i64 each)
//! count                                              u64
//! count * (offset u64, size u64, line_len u32, uid u32, user u32, sys u16,
//!          has_date u8, date seconds i64, date offset i32)
//! checksum                                           FNV-1a 64 of all above
//! ```

use std::fs::{self, Metadata};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use rfc822::DateTime;

use super::format::Record;
use crate::config::StoreConfig;

const MAGIC: &[u8; 8] = b"PANDAMB1";
const ENTRY: usize = 8 + 8 + 4 + 4 + 4 + 2 + 1 + 8 + 4;

/// A record line as read from the file, and where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cached {
    /// Offset of the record line.
    pub offset: u64,
    /// The record line's fields.
    pub record: Record,
}

fn path(cfg: &StoreConfig, meta: &Metadata) -> Option<PathBuf> {
    Some(
        cfg.own_state_dir()?
            .join(format!("{:x}.{:x}.mbx", meta.dev(), meta.ino())),
    )
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

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Saves `records`, every record of the file as `meta` describes it. Failures are
/// ignored: the cache is only a cache.
pub(crate) fn save(cfg: &StoreConfig, meta: &Metadata, records: &[Cached]) {
    let Some(path) = path(cfg, meta) else { return };
    let mut out = Vec::with_capacity(8 + 7 * 8 + 8 + records.len() * ENTRY + 8);
    out.extend_from_slice(MAGIC);
    for v in identity(meta) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(records.len() as u64).to_le_bytes());
    for c in records {
        let r = &c.record;
        out.extend_from_slice(&c.offset.to_le_bytes());
        out.extend_from_slice(&r.size.to_le_bytes());
        out.extend_from_slice(&r.line_len.to_le_bytes());
        out.extend_from_slice(&r.uid.to_le_bytes());
        out.extend_from_slice(&r.user_flags.to_le_bytes());
        out.extend_from_slice(&r.sys_flags.to_le_bytes());
        out.push(u8::from(r.date.is_some()));
        let (seconds, offset) = r
            .date
            .as_ref()
            .map_or((0, 0), |d| (d.timestamp(), d.offset_seconds()));
        out.extend_from_slice(&seconds.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    let tmp = path.with_extension(format!("mbx.{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&out));
    if written.is_ok() {
        let _ = fs::rename(&tmp, &path);
    } else {
        let _ = fs::remove_file(&tmp);
    }
}

/// The records cached for the file as `meta` describes it, if the cache is for exactly
/// that file state and intact.
pub(crate) fn load(cfg: &StoreConfig, meta: &Metadata) -> Option<Vec<Cached>> {
    let path = path(cfg, meta)?;
    let file_meta = fs::symlink_metadata(&path).ok()?;
    if !file_meta.is_file() || file_meta.uid() != nix::unistd::geteuid().as_raw() {
        return None;
    }
    let bytes = fs::read(&path).ok()?;
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if fnv1a(body).to_le_bytes() != sum {
        return None;
    }
    let mut r = Reader { bytes: body };
    if r.take(8)? != MAGIC {
        return None;
    }
    for want in identity(meta) {
        if r.i64()? != want {
            return None;
        }
    }
    let count = usize::try_from(r.u64()?).ok()?;
    if r.bytes.len() != count.checked_mul(ENTRY)? {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = r.u64()?;
        let size = r.u64()?;
        let line_len = r.u32()?;
        let uid = r.u32()?;
        let user_flags = r.u32()?;
        let sys_flags = u16::from_le_bytes(r.take(2)?.try_into().ok()?);
        let has_date = r.take(1)?[0];
        let seconds = r.i64()?;
        let zone = i32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let date = match has_date {
            0 => None,
            _ => Some(DateTime::new(seconds, zone).ok()?),
        };
        out.push(Cached {
            offset,
            record: Record {
                date,
                size,
                user_flags,
                sys_flags,
                uid,
                line_len,
            },
        });
    }
    Some(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::{load, save};
    use crate::driver::unix::tests::{env, msg};
    use crate::mailbox::{Close, FlagOp};
    use crate::types::{Access, Flags, SeqNo};

    #[test]
    fn an_unchanged_file_is_read_from_the_cache_and_a_changed_one_is_not() {
        let e = env();
        e.store.create("#driver.mbx/box").unwrap();
        e.store
            .append(
                "box",
                &mut (1..=3).map(|i| Ok(msg(&format!("m{i}"), "x\r\n"))),
            )
            .unwrap();
        // A read-write open marks the messages seen (a write); the read-only one after
        // it parses an unchanged file and fills the cache.
        e.store
            .open("box", Access::ReadWrite)
            .unwrap()
            .close(Close::Keep)
            .unwrap();
        let first = e.store.open("box", Access::ReadOnly).unwrap();
        let uids: Vec<u32> = first.messages().iter().map(|m| m.uid.get()).collect();
        first.close(Close::Keep).unwrap();
        let path = e.path("box");
        let meta = std::fs::metadata(&path).unwrap();
        let cfg = e.store.config();
        let mut records = load(cfg, &meta).expect("the cache was written");
        assert_eq!(records.len(), 3);
        // The cache is what an open uses: a record changed in it shows.
        records[1].record.user_flags = 0;
        records[1].record.sys_flags |= super::super::format::bits::FLAGGED;
        save(cfg, &meta, &records);
        let mb = e.store.open("box", Access::ReadOnly).unwrap();
        assert!(mb.messages()[1].flags.contains(Flags::FLAGGED));
        assert_eq!(
            mb.messages()
                .iter()
                .map(|m| m.uid.get())
                .collect::<Vec<_>>(),
            uids
        );
        mb.close(Close::Keep).unwrap();
        // Any write to the file (here a flag rewritten in place) makes it stale.
        let mut rw = e.store.open("box", Access::ReadWrite).unwrap();
        rw.set_flags(&[SeqNo::new(3).unwrap()], FlagOp::Add, Flags::SEEN, &[])
            .unwrap();
        rw.close(Close::Keep).unwrap();
        let mb = e.store.open("box", Access::ReadOnly).unwrap();
        assert!(!mb.messages()[1].flags.contains(Flags::FLAGGED));
        assert!(mb.messages()[2].flags.contains(Flags::SEEN));
        mb.close(Close::Keep).unwrap();
        // A damaged cache is not used.
        let meta = std::fs::metadata(&path).unwrap();
        let cache_file = cfg.own_state_dir().unwrap().join(format!(
            "{:x}.{:x}.mbx",
            std::os::unix::fs::MetadataExt::dev(&meta),
            std::os::unix::fs::MetadataExt::ino(&meta)
        ));
        let mut bytes = std::fs::read(&cache_file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&cache_file, &bytes).unwrap();
        assert!(load(cfg, &meta).is_none());
        let mb = e.store.open("box", Access::ReadOnly).unwrap();
        assert_eq!(mb.messages().len(), 3);
    }
}
