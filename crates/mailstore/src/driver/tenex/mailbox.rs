//! An open tenex or mtx mailbox.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::format::{self, F_OLD, FLAG_DIGITS, Variant};
use crate::clock;
use crate::config::{Format, StoreConfig};
use crate::driver::snarf::{self, Snarfer};
use crate::driver::unix::format::to_crlf;
use crate::driver::unix::sync::{mark_new_mail, mark_read};
use crate::error::{Error, IoContext, Result};
use crate::lock::instance::{Attempt, InstanceLock, Share, Wait};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::notify::Level;
use crate::types::{Access, Flags, Keyword, KeywordSet, MessageInfo, SeqNo, Uid, UidValidity};

/// The longest header line read (a date, a 20-digit size and the flags fit easily).
const MAX_LINE: usize = 256;

/// How much is moved at a time when expunge slides messages down.
const COPY_CHUNK: usize = 1 << 20;

/// Where one message lies in the file, and its flags as stored.
#[derive(Clone, Copy, Debug)]
struct Msg {
    /// Offset of its header line.
    start: u64,
    /// Length of the header line, line end included.
    line_len: u32,
    /// Stored bytes of the message.
    size: u64,
    /// Stored bytes of its header, the empty line included.
    header_len: u64,
    /// The system flags as stored (`F_OLD` included).
    system: u8,
    /// The keyword word as stored.
    user: u32,
}

impl Msg {
    fn text_start(&self) -> u64 {
        self.start + u64::from(self.line_len)
    }

    fn end(&self) -> u64 {
        self.text_start() + self.size
    }

    /// Offset of the twelve flag digits.
    fn flags_at(&self, variant: Variant) -> u64 {
        self.text_start() - (variant.line_end().len() + FLAG_DIGITS) as u64
    }
}

/// What tells whether another session changed the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Self {
        Stamp {
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// An open tenex or mtx mailbox (see the module documentation of [`super`]).
#[derive(Debug)]
pub struct TenexMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    path: PathBuf,
    variant: Variant,
    /// The file, with a shared `flock` held for the session.
    file: File,
    id: (u64, u64),
    access: Access,
    keywords: Vec<Keyword>,
    uid_validity: UidValidity,
    uid_last: u32,
    msgs: Vec<Msg>,
    infos: Vec<MessageInfo>,
    /// Bytes of the file read into `msgs`.
    parsed_len: u64,
    stamp: Option<Stamp>,
    /// For INBOX in the home directory: the spool whose mail moves in.
    spool: Option<PathBuf>,
    snarfer: Snarfer,
    pending: Vec<Change>,
}

impl TenexMailbox {
    /// Opens the mailbox in `path`. Read-write becomes read-only (with a notice) when the
    /// file cannot be written.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        variant: Variant,
        spool: Option<&Path>,
        want: Access,
    ) -> Result<Self> {
        let (file, access) = match want {
            Access::ReadWrite => match OpenOptions::new().read(true).write(true).open(path) {
                Ok(f) => (f, Access::ReadWrite),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    cfg.notify.notice(
                        Level::Warn,
                        "Can't get write access to mailbox, access is readonly",
                    );
                    (File::open(path).ctx("open", path)?, Access::ReadOnly)
                }
                Err(e) => return Err(Error::io("open", path, e)),
            },
            Access::ReadOnly => (File::open(path).ctx("open", path)?, Access::ReadOnly),
        };
        file.lock_shared().ctx("flock", path)?;
        let meta = file.metadata().ctx("stat", path)?;
        let keywords = super::fixed_keywords(&cfg);
        let mut mb = TenexMailbox {
            name: name.to_owned(),
            path: path.to_owned(),
            variant,
            file,
            id: (meta.dev(), meta.ino()),
            access,
            keywords,
            uid_validity: UidValidity::new(clock::new_uid_validity()).unwrap_or(UidValidity::MIN),
            uid_last: 0,
            msgs: Vec::new(),
            infos: Vec::new(),
            parsed_len: 0,
            stamp: None,
            spool: spool.map(Path::to_owned),
            snarfer: Snarfer::default(),
            pending: Vec::new(),
            cfg,
        };
        mb.snarf()?;
        mb.take_new()?;
        mb.stamp = Some(mb.stat()?);
        mb.pending.clear();
        if mb.infos.is_empty() {
            mb.cfg.notify.notice(Level::Info, "Mailbox is empty");
        }
        Ok(mb)
    }

    fn stat(&self) -> Result<Stamp> {
        Ok(Stamp::of(&self.file.metadata().ctx("stat", &self.path)?))
    }

    fn corrupt(&self, offset: u64, what: String) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            what,
        }
    }

    /// Moves the spool's mail in, once per snarf interval, when this is INBOX read-write.
    fn snarf(&mut self) -> Result<()> {
        let Some(spool) = self.spool.clone() else {
            return Ok(());
        };
        if self.access != Access::ReadWrite || !self.snarfer.due(&self.cfg) {
            return Ok(());
        }
        let (cfg, file, path, variant, kws) = (
            &self.cfg,
            &self.file,
            &self.path,
            self.variant,
            &self.keywords,
        );
        snarf::from_spool(cfg, &spool, &mut |msgs| {
            append_to_file(cfg, file, path, variant, kws, msgs)?;
            Ok(AppendOutcome { uids: None })
        })?;
        Ok(())
    }

    /// Reads the messages added to the file since it was last read (c-client `tenex_parse`).
    fn take_new(&mut self) -> Result<()> {
        let len = self.file.metadata().ctx("stat", &self.path)?.len();
        if len < self.parsed_len {
            return Err(Error::Shrank {
                expected: self.parsed_len,
                found: len,
            });
        }
        if len == self.parsed_len {
            return Ok(());
        }
        let _lock = instance_lock(&self.cfg, self.id, Share::Shared, &self.path)?;
        // An append may have finished while we waited.
        let len = self.file.metadata().ctx("stat", &self.path)?.len();
        let before = self.msgs.len();
        let mut at = self.parsed_len;
        let mut text = Vec::new();
        while at < len {
            let mut head = vec![0u8; MAX_LINE.min((len - at) as usize)];
            self.file
                .read_exact_at(&mut head, at)
                .ctx("read", &self.path)?;
            let Some(lf) = head.iter().position(|&b| b == b'\n') else {
                return Err(self.corrupt(at, "message header line without a line end".into()));
            };
            let line = &head[..=lf];
            let h = format::parse_header_line(line, self.variant, &self.cfg.tz).map_err(|e| {
                let shown = String::from_utf8_lossy(&line[..line.len().min(80)])
                    .trim_end()
                    .to_owned();
                self.corrupt(
                    at,
                    format!("unable to parse internal header ({e}): {shown:?}"),
                )
            })?;
            let text_start = at + line.len() as u64;
            let end = text_start.checked_add(h.size).filter(|&e| e <= len);
            let Some(end) = end.filter(|_| h.size <= u64::from(u32::MAX / 2)) else {
                return Err(self.corrupt(
                    at,
                    format!("message of {} bytes runs past end of file", h.size),
                ));
            };
            text.resize(h.size as usize, 0);
            self.file
                .read_exact_at(&mut text, text_start)
                .ctx("read", &self.path)?;
            let header_len = header_length(&text);
            let mut crlf = Vec::with_capacity(text.len() + text.len() / 16);
            to_crlf(&text, &mut crlf);
            let mut m = Msg {
                start: at,
                line_len: line.len() as u32,
                size: h.size,
                header_len,
                system: h.system,
                user: h.user,
            };
            let recent = h.system & F_OLD == 0;
            if recent && self.access == Access::ReadWrite {
                m.system |= F_OLD;
                self.write_flags(&m)?;
            }
            self.uid_last += 1;
            let mut flags = format::flags_of(m.system);
            if recent {
                flags = flags.union(Flags::RECENT);
            }
            self.infos.push(MessageInfo {
                uid: Uid::new(self.uid_last).unwrap_or(Uid::MAX),
                flags,
                keywords: format::keywords_of(m.user, self.keywords.len()),
                internal_date: h.date,
                size: crlf.len() as u32,
            });
            self.msgs.push(m);
            at = end;
        }
        self.parsed_len = at;
        if self.msgs.len() > before {
            self.pending.push(Change::Exists(self.msgs.len() as u32));
            self.pending.push(Change::Recent(self.recent_count()));
        }
        Ok(())
    }

    fn recent_count(&self) -> u32 {
        self.infos
            .iter()
            .filter(|m| m.flags.contains(Flags::RECENT))
            .count() as u32
    }

    /// Rewrites the twelve flag digits of `m` in place.
    fn write_flags(&self, m: &Msg) -> Result<()> {
        self.file
            .write_all_at(
                &format::flag_digits(m.user, m.system),
                m.flags_at(self.variant),
            )
            .ctx("write flags", &self.path)
    }

    /// Reads every message's flags again when the file changed (another session's flag
    /// changes), and notes those that changed.
    fn reread_flags(&mut self) -> Result<()> {
        let now = self.stat()?;
        if self.stamp == Some(now) {
            return Ok(());
        }
        let mut digits = [0u8; FLAG_DIGITS];
        for i in 0..self.msgs.len() {
            let m = self.msgs[i];
            self.file
                .read_exact_at(&mut digits, m.flags_at(self.variant))
                .ctx("read", &self.path)?;
            let Some((user, system)) = format::parse_flag_digits(&digits) else {
                return Err(Error::ChangedUnderneath {
                    what: format!("flags of message {} unreadable", i + 1),
                });
            };
            if (user, system) == (m.user, m.system) {
                continue;
            }
            self.msgs[i].user = user;
            self.msgs[i].system = system;
            let info = &mut self.infos[i];
            let flags = format::flags_of(system).union(info.flags.intersect(Flags::RECENT));
            let keywords = format::keywords_of(user, self.keywords.len());
            if (flags, keywords) != (info.flags, info.keywords) {
                info.flags = flags;
                info.keywords = keywords;
                if let Some(s) = SeqNo::from_index(i) {
                    self.pending.push(Change::Flags(s));
                }
            }
        }
        self.stamp = Some(now);
        Ok(())
    }

    fn message(&self, seq: SeqNo) -> Result<Msg> {
        self.msgs
            .get(seq.index())
            .copied()
            .ok_or(Error::NoSuchMessage(seq.get()))
    }

    /// The positions of `keywords` in the fixed list; a keyword not in it cannot be set.
    fn keyword_positions(&self, keywords: &[Keyword]) -> Result<KeywordSet> {
        let mut set = KeywordSet::EMPTY;
        for k in keywords {
            let Some(i) = self
                .keywords
                .iter()
                .position(|d| d.as_str().eq_ignore_ascii_case(k.as_str()))
            else {
                return Err(Error::TooManyKeywords {
                    limit: self.keywords.len(),
                });
            };
            set.insert(i);
        }
        Ok(set)
    }

    /// Removes deleted messages (in `scope`) by sliding the others down, when no other
    /// session has the file open.
    fn expunge_deleted(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        let _lock = instance_lock(&self.cfg, self.id, Share::Exclusive, &self.path)?;
        self.take_new()?;
        self.reread_flags()?;
        let doomed: Vec<bool> = self
            .infos
            .iter()
            .map(|m| {
                m.flags.contains(Flags::DELETED)
                    && match scope {
                        ExpungeScope::AllDeleted => true,
                        ExpungeScope::Uids(u) => u.contains(&m.uid),
                    }
            })
            .collect();
        let Some(first) = doomed.iter().position(|&d| d) else {
            return Ok(Vec::new());
        };
        // The file to ourselves: flock's upgrade drops the shared lock when it fails, so
        // take the shared lock again either way.
        let upgraded = self.file.try_lock().is_ok();
        if !upgraded {
            self.file.lock_shared().ctx("flock", &self.path)?;
            self.cfg.notify.notice(
                Level::Warn,
                "Can't expunge because mailbox is in use by another process",
            );
            return Ok(Vec::new());
        }
        let result = self.compact(&doomed, first);
        let relocked = self.file.lock_shared().ctx("flock", &self.path);
        let gone = result?;
        relocked?;
        self.stamp = Some(self.stat()?);
        Ok(gone)
    }

    fn compact(&mut self, doomed: &[bool], first: usize) -> Result<Vec<SeqNo>> {
        let mut to = self.msgs[first].start;
        let mut buf = Vec::new();
        let mut kept_msgs = Vec::with_capacity(self.msgs.len());
        let mut kept_infos = Vec::with_capacity(self.msgs.len());
        let mut gone = Vec::new();
        for (i, (m, info)) in self.msgs.iter().zip(&self.infos).enumerate() {
            if doomed[i] {
                if let Some(s) = SeqNo::from_index(i - gone.len()) {
                    gone.push(s);
                }
                continue;
            }
            let mut m = *m;
            if i > first && m.start != to {
                let mut from = m.start;
                let end = m.end();
                while from < end {
                    let n = COPY_CHUNK.min((end - from) as usize);
                    buf.resize(n, 0);
                    self.file
                        .read_exact_at(&mut buf, from)
                        .ctx("read", &self.path)?;
                    self.file
                        .write_all_at(&buf, to + (from - m.start))
                        .ctx("write", &self.path)?;
                    from += n as u64;
                }
                m.start = to;
            }
            if i > first {
                to = m.end();
            }
            kept_msgs.push(m);
            kept_infos.push(info.clone());
        }
        let new_len = kept_msgs
            .iter()
            .skip(first)
            .last()
            .map_or(self.msgs[first].start, |m| m.end());
        self.file.set_len(new_len).ctx("truncate", &self.path)?;
        self.file.sync_all().ctx("sync", &self.path)?;
        self.msgs = kept_msgs;
        self.infos = kept_infos;
        self.parsed_len = new_len;
        Ok(gone)
    }
}

impl Mailbox for TenexMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        match self.variant {
            Variant::Tenex => Format::Tenex,
            Variant::Mtx => Format::Mtx,
        }
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        self.uid_validity
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.uid_last.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }

    fn can_create_keywords(&self) -> bool {
        false
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.infos
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let m = self.message(seq)?;
        let (from, len) = match part {
            Part::Whole => (0, m.size),
            Part::Header => (0, m.header_len),
            Part::Text => (m.header_len, m.size - m.header_len),
        };
        let mut raw = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut raw, m.text_start() + from)
            .ctx("read", &self.path)?;
        let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
        to_crlf(&raw, &mut out);
        Ok(out)
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        let kw = self.keyword_positions(keywords)?;
        let bits = format::system_bits(flags);
        let kw_bits = format::user_bits(kw);
        // Bits past the defined keywords are kept as they are.
        let defined = format::user_bits((0..self.keywords.len()).fold(
            KeywordSet::EMPTY,
            |mut s, i| {
                s.insert(i);
                s
            },
        ));
        for &seq in seqs {
            let mut m = self.message(seq)?;
            let sys_mask = format::system_bits(Flags::SETTABLE);
            let (system, user) = match op {
                FlagOp::Add => (m.system | bits, m.user | kw_bits),
                FlagOp::Remove => (m.system & !bits, m.user & !kw_bits),
                FlagOp::Replace => ((m.system & !sys_mask) | bits, (m.user & !defined) | kw_bits),
            };
            if (system, user) == (m.system, m.user) {
                continue;
            }
            m.system = system;
            m.user = user;
            self.write_flags(&m)?;
            self.msgs[seq.index()] = m;
            let info = &mut self.infos[seq.index()];
            info.flags = format::flags_of(system).union(info.flags.intersect(Flags::RECENT));
            info.keywords = format::keywords_of(user, self.keywords.len());
        }
        self.file.sync_data().ctx("sync", &self.path)
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        self.expunge_deleted(scope)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        append_to_file(
            &self.cfg,
            &self.file,
            &self.path,
            self.variant,
            &self.keywords,
            msgs,
        )?;
        Ok(AppendOutcome { uids: None })
    }

    fn check(&mut self) -> Result<()> {
        // Flags are written as they change.
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.snarf()?;
        self.take_new()?;
        self.reread_flags()?;
        Ok(std::mem::take(&mut self.pending))
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if how == Close::Expunge && self.access == Access::ReadWrite {
            self.expunge_deleted(ExpungeScope::AllDeleted)?;
        }
        if self.access == Access::ReadWrite {
            mark_read(&self.file);
        }
        let _ = self.file.unlock();
        Ok(())
    }
}

/// The instance lock of the file, waited for.
fn instance_lock(
    cfg: &StoreConfig,
    id: (u64, u64),
    share: Share,
    path: &Path,
) -> Result<InstanceLock> {
    match InstanceLock::acquire(&cfg.locks.tmp_dir, id, share, Wait::Block, &*cfg.notify)? {
        Attempt::Locked(l) => Ok(l),
        Attempt::Busy { .. } => Err(Error::Lock {
            path: path.to_owned(),
            what: "instance lock busy".into(),
        }),
    }
}

/// Bytes of `text` up to and including the empty line that ends its header (all of it
/// when there is none).
fn header_length(text: &[u8]) -> u64 {
    let mut at = 0;
    while at < text.len() {
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
        let line = &text[at..end];
        if line == b"\n" || line == b"\r\n" {
            return end as u64;
        }
        at = end;
    }
    text.len() as u64
}

/// The stored form of a message: LF line ends for tenex, CRLF for mtx.
fn stored_text(data: &[u8], variant: Variant) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    let mut rest = data;
    while let Some(i) = memchr::memchr(b'\n', rest) {
        let line = rest[..i].strip_suffix(b"\r").unwrap_or(&rest[..i]);
        out.extend_from_slice(line);
        out.extend_from_slice(variant.line_end());
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out
}

/// Appends `msgs` at the end of `file`, under the instance lock held exclusively (c-client
/// `tenex_append`). An error takes back everything this call wrote.
pub(crate) fn append_to_file(
    cfg: &StoreConfig,
    file: &File,
    path: &Path,
    variant: Variant,
    keywords: &[Keyword],
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<()> {
    let meta = file.metadata().ctx("stat", path)?;
    let _lock = instance_lock(cfg, (meta.dev(), meta.ino()), Share::Exclusive, path)?;
    let start = file.metadata().ctx("stat", path)?.len();
    let mut at = start;
    let result = (|| {
        let mut buf = Vec::new();
        for msg in msgs {
            let msg = msg?;
            if msg.data.is_empty() {
                return Err(Error::BadMessage {
                    reason: "Append of zero-length message",
                });
            }
            let text = stored_text(&msg.data, variant);
            let mut kws = KeywordSet::EMPTY;
            for k in &msg.keywords {
                match keywords
                    .iter()
                    .position(|d| d.as_str().eq_ignore_ascii_case(k.as_str()))
                {
                    Some(i) => kws.insert(i),
                    None => cfg
                        .notify
                        .notice(Level::Warn, &format!("Unknown flag: {k}")),
                }
            }
            let date = msg.date.unwrap_or_else(|| clock::now(&cfg.tz));
            buf.clear();
            format::write_header_line(
                &mut buf,
                &date,
                text.len() as u64,
                format::user_bits(kws),
                format::system_bits(msg.flags.intersect(Flags::SETTABLE)),
                variant,
            );
            buf.extend_from_slice(&text);
            file.write_all_at(&buf, at).ctx("append", path)?;
            at += buf.len() as u64;
        }
        file.sync_data().ctx("sync", path)
    })();
    if let Err(e) = result {
        let _ = file.set_len(start);
        return Err(e);
    }
    mark_new_mail(file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_has_the_variants_line_ends() {
        assert_eq!(stored_text(b"a\r\nb\nc", Variant::Tenex), b"a\nb\nc");
        assert_eq!(
            stored_text(b"a\r\nb\nc\r\n", Variant::Mtx),
            b"a\r\nb\r\nc\r\n"
        );
    }

    #[test]
    fn header_ends_at_the_empty_line() {
        assert_eq!(header_length(b"A: b\n\nbody\n"), 6);
        assert_eq!(header_length(b"A: b\r\n\r\nbody\r\n"), 8);
        assert_eq!(header_length(b"A: b\n"), 5);
    }
}
