//! The `mbx` format: c-client's preferred flat format for shared mailboxes, where several
//! sessions may have one mailbox read-write at once.
//!
//! # The format
//!
//! A mailbox is one file: a header of exactly 2048 bytes, then the messages, each
//! preceded by a one-line record. Every line ends with CRLF, message text included.
//!
//! ```text
//! *mbx*<CR><LF>                                   magic (7 bytes)
//! 6b07db1a0000002a<CR><LF>                        UIDVALIDITY and last UID, 8 hex each
//! $Label1<CR><LF>                                 keyword slot 0
//! Junk<CR><LF>                                    keyword slot 1
//! <CR><LF> … (one per free slot, 30 slots in all)
//! <NUL> …                                          padding
//! 00001f2c<CR><LF>                                PID of the last flag updater (bytes 2038–2047)
//!  2-Dec-1992 05:53:22 +0000,23;000000030011-0000002a<CR><LF>
//! Subject: one<CR><LF>                            23 bytes of message
//! <CR><LF>
//! hello<CR><LF>
//! ```
//!
//! The record says the internal date (c-client `mail_date`: the day padded with a space),
//! the message size in decimal, then 8 hex digits of keyword bits (bit *i* is slot *i* of
//! the header), 4 hex digits of system-flag bits ([`format::bits`]: `\Seen` 1, `\Deleted`
//! 2, `\Flagged` 4, `\Answered` 8, not `\Recent` 0x10, `\Draft` 0x20, hidden-expunged
//! 0x8000) and 8 hex digits of UID. The last 21 bytes before the CRLF have a fixed width
//! and are rewritten in place when flags change; nothing else ever moves but for an
//! expunge.
//!
//! A record with UID 0 (UW's COPY without UIDPLUS, its spool snarf) gets the next UID at
//! the next parse; a record without the "old" bit is `\Recent` for the next session that
//! sees it, which sets the bit. The PID field tells other sessions that flags changed
//! (with the file's mtime: the mtime is the last flag change, the ctime the last write,
//! the atime the last read).
//!
//! # Sessions and locking
//!
//! Every session holds a shared `flock` on the file for as long as it has the mailbox.
//! Parsing, appending and changing flags happen under the instance lock
//! `/tmp/.<dev>.<ino>` held exclusively and briefly (c-client's "parse/append
//! permission"). An expunge that can upgrade its `flock` to exclusive (no other session
//! has the mailbox) rewrites the file without the expunged messages ("burping"); otherwise
//! it only sets the hidden-expunged bit on them, and the space is reclaimed later by a
//! session that is alone. Unlike c-client's, the rewrite is journaled
//! ([`crate::journal`]): a process that dies half-way leaves a journal the next opener
//! finishes. There is no kiss of death.
//!
//! UW reads the header and checks each record's UID against it without any lock, so the
//! header is always written before the records it covers.
//!
//! Sources: panda-inventory.md §3.0, §3.4, §4.2, §5.3; FAQ 7.15 (the diagnostics for a
//! damaged file, each with its byte offset); files written by UW's `mailutil`.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::driver::{Driver, HomeInbox, Layout, SpoolInStatus, common};
use crate::error::{IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::types::Access;

pub mod append;
mod cache;
pub mod format;
pub mod session;

#[cfg(test)]
mod tests;

pub use session::MbxMailbox;

/// The `mbx` driver.
#[derive(Debug)]
pub(crate) struct Mbx;

impl Driver for Mbx {
    fn format(&self) -> Format {
        Format::Mbx
    }

    fn layout(&self) -> Layout {
        Layout::File
    }

    fn home_inbox(&self) -> HomeInbox {
        HomeInbox::Yes
    }

    fn spool_in_status(&self) -> SpoolInStatus {
        SpoolInStatus::Counted
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        if !meta.is_file() || meta.len() < format::HEADER_SIZE as u64 {
            return Ok(false);
        }
        let mut f = common::open_noatime(path)?;
        let mut start = [0u8; 25];
        match f.read_exact(&mut start) {
            Ok(()) => Ok(format::is_mbx(&start)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
        create(cfg, path, keywords)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(MbxMailbox::open(cfg, name, path, spool, access)?))
    }

    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        _name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        append::append_to_path(cfg, path, msgs)
    }

    fn delete(&self, cfg: &StoreConfig, name: &str, path: &Path) -> Result<()> {
        alone(cfg, name, path, |p| {
            fs::remove_file(p).ctx("delete mailbox", p)
        })
    }

    fn rename(&self, cfg: &StoreConfig, name: &str, from: &Path, to: &Path) -> Result<()> {
        alone(cfg, name, from, |p| crate::store::move_file(p, to))
    }
}

/// Makes an empty mbx file at `path` with `keywords` defined, byte for byte as UW's
/// `mbx_create` does (UIDVALIDITY the current time, the PID field left NUL).
pub fn create(cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
    let header = format::Header {
        uid_validity: crate::clock::new_uid_validity(),
        uid_last: 0,
        keywords: keywords
            .iter()
            .filter(|k| crate::types::Keyword::new(k).is_ok())
            .take(crate::types::MAX_KEYWORDS)
            .cloned()
            .collect(),
        last_pid: 0,
    };
    let bytes = format::write_header(&header, format::PidField::Blank);
    let file = common::create_mailbox_file(cfg, path)?;
    common::initialize_mailbox_file(&file, path, &bytes)
}

/// Runs `f` on `path` when no session has the mailbox (c-client's rename and delete: the
/// parse/append permission, then an exclusive `flock` without waiting).
fn alone(
    cfg: &StoreConfig,
    name: &str,
    path: &Path,
    f: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ctx("open", path)?;
    let _permission = session::permission(cfg, &file, path)?;
    common::lock_alone(&file, name, path)?;
    let r = f(path);
    let _ = file.unlock();
    r
}
