//! Delivery into a mix mailbox (`mixfmt.txt` §3): under a shared lock on the metadata and
//! exclusive locks on index and status, the messages go to the end of the current data
//! file (or a new one, when the first message would push it past 1 MiB), then the
//! metadata (last UID), status and index are rewritten. Whether or not sessions have the
//! mailbox open, they see the new messages at their next poll.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::files::{self, DATA_ROLL, INDEX, Locked, META, Mode, Modseq, STATUS, Share};
use super::format::{self, IndexEntry, StatusEntry};
use crate::clock;
use crate::config::StoreConfig;
use crate::driver::common;
use crate::driver::unix::format::to_crlf;
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome};
use crate::types::{Keyword, MAX_KEYWORDS, Uid, UidValidity};

/// Appends `msgs` to the mix mailbox in directory `dir`. An error from `msgs` (or a bad
/// message) leaves the mailbox as it was.
pub(crate) fn append(
    cfg: &StoreConfig,
    dir: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    let meta_lock = Locked::open(dir, META, Mode::Write, Share::Shared)?;
    let index_lock = Locked::open(dir, INDEX, Mode::Write, Share::Exclusive)?;
    let status_lock = Locked::open(dir, STATUS, Mode::Write, Share::Exclusive)?;
    let mut meta = meta_lock.meta()?;
    let mut index = index_lock.index()?;
    let mut status = status_lock.status()?;
    let validity = UidValidity::new(meta.validity).ok_or_else(|| Error::Corrupt {
        path: meta_lock.path.clone(),
        offset: 0,
        what: "UIDVALIDITY is zero".into(),
    })?;
    let mut modseq = Modseq::after(files::highest(&meta, &index, &status));

    let Some(first) = msgs.next() else {
        return Ok(AppendOutcome {
            uids: Some((validity, Vec::new())),
        });
    };
    let first = prepare(cfg, first?)?;
    let old_file = meta.new_file;
    let mut data_path = dir.join(files::data_name(meta.new_file));
    let mut start = files::size_or_zero(&data_path)?;
    if start > 0 && start + first.data.len() as u64 + 64 > DATA_ROLL {
        meta.new_file = modseq.next();
        data_path = dir.join(files::data_name(meta.new_file));
        start = 0;
    }
    let mut data = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(cfg.mailbox_mode)
        .open(&data_path)
        .ctx("open", &data_path)?;
    if start == 0 {
        // A new data file: the mode whatever the umask (0666 in `#public/`).
        let _ = data.set_permissions(std::fs::Permissions::from_mode(cfg.mailbox_mode));
    }

    let mut uids = Vec::new();
    let mut new_index = Vec::new();
    let mut new_status = Vec::new();
    let mut pos = start;
    let mut next = Some(first);
    let mut keywords = meta.keywords.clone();
    let written: Result<()> = (|| {
        while let Some(m) = next.take() {
            let uid = meta
                .last_uid
                .checked_add(1)
                .and_then(Uid::new)
                .ok_or(Error::BadMessage {
                    reason: "the mailbox has used up its UIDs",
                })?;
            meta.last_uid = uid.get();
            let kw_bits = keyword_bits(&mut keywords, &m.keywords)?;
            let size = u32::try_from(m.data.len()).map_err(|_| Error::BadMessage {
                reason: "message too large for the mix format",
            })?;
            let record = format::msg_record(uid.get(), &m.date, size);
            let pos32 = u32::try_from(pos).map_err(|_| Error::BadMessage {
                reason: "data file too large for the mix format",
            })?;
            let mut buf = Vec::with_capacity(record.len() + m.data.len());
            buf.extend_from_slice(record.as_bytes());
            buf.extend_from_slice(&m.data);
            data.write_all(&buf).ctx("write", &data_path)?;
            new_index.push(IndexEntry {
                uid: uid.get(),
                date: m.date,
                size,
                file: meta.new_file,
                pos: pos32,
                isize: record.len() as u32,
                hsize: format::header_size(&m.data) as u32,
            });
            new_status.push(StatusEntry {
                uid: uid.get(),
                keywords: kw_bits,
                flags: m.flags,
                modseq: 0,
            });
            uids.push(uid);
            pos += buf.len() as u64;
            next = msgs
                .next()
                .transpose()?
                .map(|m| prepare(cfg, m))
                .transpose()?;
        }
        data.sync_data().ctx("sync", &data_path)
    })();
    if let Err(e) = written {
        // Take back what was written (best effort: the index never points there).
        if meta.new_file != old_file {
            let _ = std::fs::remove_file(&data_path);
        } else {
            let _ = data.set_len(start);
        }
        return Err(e);
    }

    // Metadata first (a crash then leaves a gap in the UIDs, never a UID used twice),
    // then status, then the index that makes the messages visible.
    let seq = modseq.next();
    meta.keywords = keywords;
    meta.seq = modseq.next();
    meta_lock.rewrite(&format::meta_text(&meta))?;
    status.seq = seq;
    status.entries.extend(
        new_status
            .into_iter()
            .map(|e| StatusEntry { modseq: seq, ..e }),
    );
    status_lock.rewrite(&format::status_text(&status))?;
    index.seq = seq;
    index.entries.extend(new_index);
    index_lock.rewrite(&format::index_text(&index))?;
    Ok(AppendOutcome {
        uids: Some((validity, uids)),
    })
}

/// A message ready to write: CRLF text, disk flags, a date.
struct Prepared {
    data: Vec<u8>,
    flags: u16,
    keywords: Vec<Keyword>,
    date: rfc822::DateTime,
}

fn prepare(cfg: &StoreConfig, m: AppendMessage) -> Result<Prepared> {
    let mut data = Vec::new();
    to_crlf(&m.data, &mut data);
    if data.is_empty() {
        return Err(Error::BadMessage {
            reason: "empty message",
        });
    }
    Ok(Prepared {
        data,
        flags: common::system_bits(m.flags),
        keywords: m.keywords,
        date: m.date.unwrap_or_else(|| clock::now(&cfg.tz)),
    })
}

/// The status bits of `wanted` in `table`, defining the keywords missing from it.
pub(crate) fn keyword_bits(table: &mut Vec<String>, wanted: &[Keyword]) -> Result<u32> {
    let mut bits = 0u32;
    for k in wanted {
        let i = match table.iter().position(|t| t == k.as_str()) {
            Some(i) => i,
            None => {
                if table.len() >= MAX_KEYWORDS {
                    return Err(Error::TooManyKeywords {
                        limit: MAX_KEYWORDS,
                    });
                }
                table.push(k.as_str().to_owned());
                table.len() - 1
            }
        };
        bits |= 1 << i;
    }
    Ok(bits)
}
