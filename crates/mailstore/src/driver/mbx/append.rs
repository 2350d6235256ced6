//! Appending to an mbx file, whether or not sessions have it open (c-client `mbx_append`).
//!
//! Under the parse/append permission: records still without a UID get theirs first (so
//! the new UIDs are above every other, c-client's "true UIDLAST"), then the new records
//! and messages go at the end, each after the header has taken its UID (and keywords not
//! yet defined). A failure cuts the file back to where it was. The mtime is
//! kept (an append is not a flag change) and the atime set just before now, so that the
//! mailbox reads as having new mail.

use std::fs::{File, FileTimes, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::format::{self, Header, PidField};
use super::session::{self, corrupt};
use crate::config::StoreConfig;
use crate::driver::common;
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome};
use crate::types::{Keyword, KeywordSet, MAX_KEYWORDS, Uid, UidValidity};

/// Appends `msgs` to the mbx file at `path`, which no session of this process has open
/// read-write: opened and `flock`ed shared, as a session would be, for the time of it.
pub(crate) fn append_to_path(
    cfg: &StoreConfig,
    path: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ctx("open", path)?;
    file.lock_shared().ctx("flock", path)?;
    append(cfg, path, &file, msgs)
}

/// Appends `msgs` to the mbx file `file` (open read-write, `flock`ed shared) at `path`.
///
/// The header always goes first: UW reads it and then checks every record's UID against
/// its last UID without taking any lock, so a record must never carry a UID (or a keyword
/// bit) the header does not cover yet. UIDs taken by an append that fails stay used.
pub(crate) fn append(
    cfg: &StoreConfig,
    path: &Path,
    file: &File,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    let _permission = session::permission(cfg, file, path)?;
    let meta = file.metadata().ctx("stat", path)?;
    let mut header = session::read_header(cfg, file, path)?;
    let start = meta.len();
    give_missing_uids(cfg, file, path, start, &mut header)?;
    let result = write_messages(cfg, file, path, start, &mut header, msgs);
    let uids = match result {
        Ok(uids) => uids,
        Err(e) => {
            let _ = file.set_len(start);
            return Err(e);
        }
    };
    file.sync_data().ctx("fsync", path)?;
    let now = SystemTime::now();
    let mut times = FileTimes::new().set_accessed(now - Duration::from_secs(1));
    if let Ok(m) = meta.modified() {
        times = times.set_modified(m);
    }
    let _ = file.set_times(times);
    let validity = UidValidity::new(header.uid_validity).unwrap_or(UidValidity::MIN);
    Ok(AppendOutcome {
        uids: Some((validity, uids)),
    })
}

/// Writes the header but for its PID field (which only flag updaters write).
fn write_header(file: &File, path: &Path, header: &Header) -> Result<()> {
    let bytes = format::write_header(header, PidField::Blank);
    file.write_all_at(&bytes[..format::PID_AT], 0)
        .ctx("write", path)
}

/// Gives the next UIDs to records written without one, so that new ones come after.
fn give_missing_uids(
    cfg: &StoreConfig,
    file: &File,
    path: &Path,
    size: u64,
    header: &mut Header,
) -> Result<()> {
    let mut pos = format::HEADER_SIZE as u64;
    let mut fixes = Vec::new();
    while pos < size {
        let rec = session::read_record(cfg, file, path, pos, size)?;
        let end = pos + u64::from(rec.line_len);
        if rec.uid == 0 {
            header.uid_last = header
                .uid_last
                .checked_add(1)
                .ok_or_else(|| corrupt(cfg, path, pos, "UIDs exhausted".into()))?;
            fixes.push((end - 10, header.uid_last));
        } else if rec.uid > header.uid_last {
            header.uid_last = rec.uid;
            fixes.push((0, 0));
        }
        pos = end + rec.size;
    }
    if !fixes.is_empty() {
        write_header(file, path, header)?;
        for (at, uid) in fixes.into_iter().filter(|(at, _)| *at > 0) {
            file.write_all_at(format!("{uid:08x}").as_bytes(), at)
                .ctx("write", path)?;
        }
    }
    Ok(())
}

fn write_messages(
    cfg: &StoreConfig,
    file: &File,
    path: &Path,
    start: u64,
    header: &mut Header,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<Vec<Uid>> {
    let mut uids = Vec::new();
    let mut at = start;
    for msg in msgs {
        let msg = msg?;
        if msg.data.is_empty() {
            return Err(Error::BadMessage {
                reason: "Append of zero-length message",
            });
        }
        let data = common::to_crlf(&msg.data);
        let date = msg.date.unwrap_or_else(|| crate::clock::now(&cfg.tz));
        let keywords = keyword_bits(header, &msg.keywords);
        let uid_n = header.uid_last.checked_add(1).ok_or(Error::BadMessage {
            reason: "no UID left in mailbox",
        })?;
        let uid = Uid::new(uid_n).ok_or(Error::BadMessage {
            reason: "no UID left in mailbox",
        })?;
        header.uid_last = uid_n;
        write_header(file, path, header)?;
        let line = format::write_record(
            &date,
            data.len() as u64,
            common::keyword_bits(keywords),
            common::system_bits(msg.flags),
            uid_n,
        );
        let mut out = Vec::with_capacity(line.len() + data.len());
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(&data);
        file.write_all_at(&out, at).ctx("write", path)?;
        at += out.len() as u64;
        uids.push(uid);
    }
    Ok(uids)
}

/// The keyword bits of `keywords`, defining in the header those it lacks while slots are
/// free (further ones are dropped, as c-client drops keywords it cannot define).
fn keyword_bits(header: &mut Header, keywords: &[Keyword]) -> KeywordSet {
    let mut set = KeywordSet::EMPTY;
    for k in keywords {
        let i = match header.keywords.iter().position(|h| h == k.as_str()) {
            Some(i) => i,
            None if header.keywords.len() < MAX_KEYWORDS => {
                header.keywords.push(k.as_str().to_owned());
                header.keywords.len() - 1
            }
            None => continue,
        };
        set.insert(i);
    }
    set
}
