//! Appending to a UNIX mailbox (c-client `unix_append`).
//!
//! When no process has the mailbox open read-write, the append opens it read-write itself
//! (quietly: no PID, no kiss of death), so that the new messages get their UIDs at once and
//! APPENDUID can be answered. When another process has it, the messages are appended
//! without UIDs, under the dot-lock and `flock`, and that process numbers them when it
//! sees them, as mail from the delivery agent.
//!
//! Each message is stored as c-client stores it: a `From user@host <date> <zone>` line, the
//! header with incoming internal headers renamed `X-Original-…`, the status block
//! (`Status:` without `O`, so the message is new to its next reader), the body with
//! `From ` lines escaped, and an empty line.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;

use super::format::{self, FromEscape, OldMark, UidLines};
use super::open::{self, Sniff};
use super::sync::{TrustUids, mark_new_mail};
use super::{Framing, MMDF_DELIMITER, Quiet, UnixMailbox};
use crate::clock;
use crate::config::{Format, StoreConfig, UidMode};
use crate::error::{Error, IoContext, Result};
use crate::journal::{self, Holder, JournalPlace};
use crate::lock::dotlock::{DotLock, DotLockOutcome};
use crate::lock::instance::Share;
use crate::mailbox::{AppendMessage, AppendOutcome};
use crate::types::{Access, Flags, Keyword, MAX_KEYWORDS, Uid, UidValidity};

/// How much of the appended data an append journal keeps to recognise it.
const SIGNATURE: usize = 64 << 10;

/// Appends `msgs` to the UNIX mailbox at `path` (which exists, in UNIX format or empty).
pub(crate) fn append(
    cfg: &Arc<StoreConfig>,
    name: &str,
    path: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    append_in(cfg, name, path, Format::Unix, msgs)
}

/// Appends `msgs` to the mailbox at `path` (which exists, in `format` — unix or mmdf —
/// or empty).
pub(crate) fn append_in(
    cfg: &Arc<StoreConfig>,
    name: &str,
    path: &Path,
    format: Format,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    let empty = std::fs::metadata(path).ctx("stat", path)?.len() == 0;
    if !empty {
        match UnixMailbox::open(
            Arc::clone(cfg),
            name,
            path,
            format,
            Access::ReadWrite,
            Quiet::Yes,
        ) {
            Ok(mut mb) => {
                let out = mb.append_messages(msgs)?;
                mb.checkpoint()?;
                mark_new_mail(&mb.file);
                if mb.restamp().is_ok() {
                    mb.save_index();
                }
                return Ok(out);
            }
            Err(Error::Lock { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    append_without_session(cfg, path, Framing::of(format), msgs, empty)
}

impl UnixMailbox {
    /// Appends through this session, which holds the mailbox read-write: the messages get
    /// their UIDs now.
    pub(crate) fn append_messages(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        if self.access != Access::ReadWrite {
            let cfg = Arc::clone(&self.cfg);
            let framing = Framing::of(self.format);
            return append_without_session(&cfg, &self.path.clone(), framing, msgs, false);
        }
        let place = JournalPlace::new(&self.cfg.journal_dir(), self.id);
        let guard = self.lock_and_refresh(Share::Exclusive)?;
        let sticky = self.cfg.uids == UidMode::Sticky;
        let at = self.file.metadata().ctx("stat", &self.path)?.len();
        let mut writer = Appender::new(&self.file, &self.path, at, place);
        if at > 0 && !ends_with_lf(&self.file, at)? {
            writer.push(b"\n")?;
        }
        let mut uid = self.model.uid_last;
        let mut uids = Vec::new();
        let mut buf = Vec::new();
        for msg in msgs {
            let msg = msg?;
            let mut kws = Vec::new();
            for k in &msg.keywords {
                match self.model.keywords.iter().position(|t| t == k) {
                    Some(i) => kws.push(i),
                    None if sticky && self.model.keywords.len() < MAX_KEYWORDS => {
                        self.model.keywords.push(k.clone());
                        self.model.base_dirty = true;
                        self.model.dirty = true;
                        kws.push(self.model.keywords.len() - 1);
                    }
                    None => {}
                }
            }
            let uid_lines = if sticky {
                uid = uid.checked_add(1).ok_or(Error::BadMessage {
                    reason: "mailbox has run out of UIDs",
                })?;
                uids.extend(Uid::new(uid));
                UidLines::Uid(uid)
            } else {
                UidLines::None
            };
            buf.clear();
            let names = kws.iter().map(|&i| self.model.keywords[i].as_str());
            let framing = Framing::of(self.format);
            stored_message(&mut buf, &msg, &self.cfg, framing, names, uid_lines)?;
            writer.push(&buf)?;
        }
        let end = writer.finish()?;
        // Take the new messages in, with the UIDs we gave them.
        self.scan_appended(end)?;
        drop(guard);
        Ok(AppendOutcome {
            uids: UidValidity::new(self.model.uid_validity)
                .filter(|_| sticky)
                .map(|v| (v, uids)),
        })
    }

    fn scan_appended(&mut self, end: u64) -> Result<()> {
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        debug_assert_eq!(meta.len(), end);
        self.scan_more(end, TrustUids::Yes)?;
        self.stamp = Some(super::Stamp::of(&meta));
        Ok(())
    }
}

/// Appends without holding the mailbox: no UIDs (the holder gives them), keywords only if
/// the mailbox already defines them.
fn append_without_session(
    cfg: &Arc<StoreConfig>,
    path: &Path,
    framing: Framing,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    empty: bool,
) -> Result<AppendOutcome> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ctx("open", path)?;
    let meta = file.metadata().ctx("stat", path)?;
    let id = (meta.dev(), meta.ino());
    let place = JournalPlace::new(&cfg.journal_dir(), id);
    let _dot = match DotLock::acquire(path, &cfg.locks, &*cfg.notify)? {
        DotLockOutcome::Held(l) => Some(l),
        DotLockOutcome::Unavailable => None,
    };
    file.lock().ctx("flock", path)?;
    let result = (|| {
        // Another process holds the mailbox: only append journals are ours to settle.
        for dir in cfg.journal_dirs() {
            journal::recover(
                &file,
                path,
                &JournalPlace::new(&dir, id),
                Holder::Outside,
                &*cfg.notify,
            )?;
        }
        let at = file.metadata().ctx("stat", path)?.len();
        let sniffed = match framing {
            Framing::FromLine => open::sniff(path).ctx("read", path)?,
            Framing::Mmdf if at == 0 => Sniff::Empty,
            Framing::Mmdf if open::starts_with_mmdf_delimiter(&file)? => Sniff::Unix,
            Framing::Mmdf => Sniff::Other,
        };
        match sniffed {
            Sniff::Unix | Sniff::Empty => {}
            Sniff::Other => {
                return Err(Error::UnknownFormat {
                    name: path.display().to_string(),
                });
            }
        }
        let sticky = cfg.uids == UidMode::Sticky;
        let table = if empty || at == 0 {
            Vec::new()
        } else {
            keyword_table(&file, framing)
        };
        let mut writer = Appender::new(&file, path, at, place);
        if at > 0 && !ends_with_lf(&file, at)? {
            writer.push(b"\n")?;
        }
        let mut buf = Vec::new();
        for msg in msgs {
            let msg = msg?;
            buf.clear();
            let names: Vec<&str> = msg
                .keywords
                .iter()
                .filter(|k| table.iter().any(|t| t.eq_ignore_ascii_case(k.as_str())))
                .map(Keyword::as_str)
                .collect();
            let lines = if sticky {
                UidLines::KeywordsOnly
            } else {
                UidLines::None
            };
            stored_message(&mut buf, &msg, cfg, framing, names.into_iter(), lines)?;
            writer.push(&buf)?;
        }
        writer.finish()?;
        mark_new_mail(&file);
        Ok(AppendOutcome { uids: None })
    })();
    let _ = file.unlock();
    result
}

/// The keyword table in the first message's `X-IMAP:` / `X-IMAPbase:` line.
fn keyword_table(file: &File, framing: Framing) -> Vec<String> {
    let mut buf = vec![0u8; SIGNATURE];
    let mut f = file;
    let n = (&mut f).take(SIGNATURE as u64).read(&mut buf).unwrap_or(0);
    let mut head = &buf[..n];
    // Skip white space before the first From line, and that line; then look at the
    // header lines.
    let ws = head
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    head = &head[ws..];
    if framing == Framing::Mmdf {
        head = head.strip_prefix(MMDF_DELIMITER).unwrap_or(head);
    }
    if let Some(i) = memchr::memchr(b'\n', head) {
        head = &head[i + 1..];
    }
    for line in head.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if (line.starts_with(b"X-IMAP:") || line.starts_with(b"X-IMAPbase:"))
            && let Some(b) = format::uid_base(line)
        {
            return b
                .keywords
                .into_iter()
                .flatten()
                .filter_map(|k| String::from_utf8(k.to_vec()).ok())
                .collect();
        }
    }
    Vec::new()
}

fn ends_with_lf(file: &File, len: u64) -> Result<bool> {
    let mut b = [0u8; 1];
    file.read_exact_at(&mut b, len - 1)
        .map_err(|e| Error::io("read", "mailbox", e))?;
    Ok(b[0] == b'\n')
}

/// The stored form of one appended message.
fn stored_message<'k>(
    out: &mut Vec<u8>,
    msg: &AppendMessage,
    cfg: &StoreConfig,
    framing: Framing,
    keywords: impl Iterator<Item = &'k str>,
    uid: UidLines<'_>,
) -> Result<()> {
    if msg.data.is_empty() {
        return Err(Error::BadMessage {
            reason: "Append of zero-length message",
        });
    }
    let date = match msg.date {
        Some(d) => d,
        None => clock::now(&cfg.tz),
    };
    let sender = format!("{}@{}", cfg.user, cfg.hostname);
    if framing == Framing::Mmdf {
        out.extend_from_slice(MMDF_DELIMITER);
    }
    format::write_from_line(out, &sender, &date);
    let (header, body) = match framing {
        Framing::FromLine => format::prepare_append(&msg.data, cfg.from_escape),
        Framing::Mmdf => {
            format::prepare_append(&format::strip_mmdf_marks(&msg.data), FromEscape::Never)
        }
    };
    out.extend_from_slice(&header);
    format::write_status_block(
        out,
        msg.flags.intersect(Flags::SETTABLE),
        keywords,
        uid,
        OldMark::Omit,
    );
    out.extend_from_slice(&body);
    match framing {
        Framing::FromLine => out.push(b'\n'),
        // The text runs to the delimiter: no separating empty line (UW's mmdf_append
        // writes one, which its parser then counts as text).
        Framing::Mmdf => out.extend_from_slice(MMDF_DELIMITER),
    }
    Ok(())
}

/// Writes appended data in order, journaled: the first bytes (enough to recognise the
/// append) go to the journal before anything reaches the mailbox.
struct Appender<'a> {
    file: &'a File,
    path: &'a Path,
    start: u64,
    at: u64,
    place: JournalPlace,
    pending: Vec<u8>,
    journaled: bool,
}

impl<'a> Appender<'a> {
    fn new(file: &'a File, path: &'a Path, at: u64, place: JournalPlace) -> Self {
        Appender {
            file,
            path,
            start: at,
            at,
            place,
            pending: Vec::new(),
            journaled: false,
        }
    }

    fn push(&mut self, data: &[u8]) -> Result<()> {
        self.pending.extend_from_slice(data);
        if self.pending.len() >= SIGNATURE * 16 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.journaled {
            let sig = &self.pending[..self.pending.len().min(SIGNATURE)];
            journal::begin_append(self.start, sig, &self.place)?;
            self.journaled = true;
        }
        journal::note_append_end(&self.place, self.at + self.pending.len() as u64)?;
        if let Err(e) = self.file.write_all_at(&self.pending, self.at) {
            self.undo();
            return Err(Error::io("Message append failed:", self.path, e));
        }
        self.at += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Finishes the append; returns the new end of the file.
    fn finish(mut self) -> Result<u64> {
        self.flush()?;
        if let Err(e) = self.file.sync_data() {
            self.undo();
            return Err(Error::io("Message append failed:", self.path, e));
        }
        if self.journaled {
            journal::end_append(&self.place);
            self.journaled = false;
        }
        Ok(self.at)
    }

    fn undo(&mut self) {
        let _ = self.file.set_len(self.start);
        let _ = self.file.sync_all();
        if self.journaled {
            journal::end_append(&self.place);
            self.journaled = false;
        }
    }
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        // An append abandoned half-way (an error from the message source) is taken back.
        if self.journaled {
            self.undo();
        }
    }
}
