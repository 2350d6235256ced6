//! An open mbx mailbox: parsing records as they come, noticing other sessions' flag
//! changes, writing flags in place, expunging (rewriting when alone, hiding otherwise),
//! and moving spool mail into an INBOX kept in `~/INBOX`.

use std::fs::{File, FileTimes, OpenOptions, TryLockError};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::cache;
use super::format::{self, Header, PidField, Record, bits};
use crate::config::{Format, StoreConfig};
use crate::driver::common;
use crate::driver::snarf::{self, Snarfer};
use crate::error::{Error, IoContext, Result};
use crate::journal::{self, Holder, JournalPlace, Plan, Recovery};
use crate::lock::instance::{Attempt, InstanceLock, Share, Wait};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::notify::Level;
use crate::types::{
    Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, MessageInfo, SeqNo, Uid, UidValidity,
};

/// Takes the parse/append permission for `file`: its instance lock `/tmp/.<dev>.<ino>`,
/// exclusively, waiting for it.
pub(crate) fn permission(cfg: &StoreConfig, file: &File, path: &Path) -> Result<InstanceLock> {
    let meta = file.metadata().ctx("stat", path)?;
    match InstanceLock::acquire(
        &cfg.locks.tmp_dir,
        (meta.dev(), meta.ino()),
        Share::Exclusive,
        Wait::Block,
        &*cfg.notify,
    )? {
        Attempt::Locked(l) => Ok(l),
        Attempt::Busy { .. } => Err(Error::Lock {
            path: path.to_owned(),
            what: "Unable to lock mailbox".into(),
        }),
    }
}

/// The error for a damaged file, told first as c-client tells it (FAQ 7.15):
/// `<what> at <offset><detail>`.
pub(crate) fn corrupt(cfg: &StoreConfig, path: &Path, offset: u64, what: String) -> Error {
    corrupt_with(cfg, path, offset, what, "")
}

fn corrupt_with(cfg: &StoreConfig, path: &Path, offset: u64, what: String, detail: &str) -> Error {
    cfg.notify
        .notice(Level::Error, &format!("{what} at {offset}{detail}"));
    Error::Corrupt {
        path: path.to_owned(),
        offset,
        what,
    }
}

/// Reads and checks the file header.
pub(crate) fn read_header(cfg: &StoreConfig, file: &File, path: &Path) -> Result<Header> {
    let mut buf = vec![0u8; format::HEADER_SIZE];
    let n = read_at_most(file, &mut buf, 0).ctx("read", path)?;
    format::parse_header(&buf[..n])
        .ok_or_else(|| corrupt(cfg, path, 0, "Not a MBX-format mailbox header".into()))
}

/// Reads the record line at `pos` of a file `size` bytes long, with c-client's
/// diagnostics when it is not one or its message runs past the end.
pub(crate) fn read_record(
    cfg: &StoreConfig,
    file: &File,
    path: &Path,
    pos: u64,
    size: u64,
) -> Result<Record> {
    let mut buf = [0u8; format::RECORD_READ];
    let n = read_at_most(file, &mut buf, pos).ctx("read", path)?;
    if n == 0 {
        return Err(corrupt_with(
            cfg,
            path,
            pos,
            "Unable to read internal header".into(),
            &format!(", size = {size}: no data read"),
        ));
    }
    let rec = format::parse_record(&buf[..n]).map_err(|e| {
        let shown: String = String::from_utf8_lossy(&buf[..n])
            .split("\r\n")
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        corrupt_with(cfg, path, pos, e.text().into(), &format!(": {shown}"))
    })?;
    let end = pos
        .saturating_add(u64::from(rec.line_len))
        .saturating_add(rec.size);
    if end > size {
        cfg.notify.notice(
            Level::Error,
            &format!("Last message (at {pos}) runs past end of file ({end} > {size})"),
        );
        return Err(Error::Corrupt {
            path: path.to_owned(),
            offset: pos,
            what: format!("Last message runs past end of file ({end} > {size})"),
        });
    }
    Ok(rec)
}

/// Reads into `buf` from `pos` until it is full or the file ends; the count read.
fn read_at_most(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Finishes a rewrite that a dead process left half-done (its journal is in one of the
/// store's journal directories), the permission held. Only a session that can have the
/// file to itself does it; others leave the journal for the next.
fn recover(
    cfg: &StoreConfig,
    file: &File,
    path: &Path,
    permission: &mut InstanceLock,
) -> Result<()> {
    let meta = file.metadata().ctx("stat", path)?;
    let id = (meta.dev(), meta.ino());
    let Some(place) = cfg
        .journal_dirs()
        .into_iter()
        .map(|d| JournalPlace::new(&d, id))
        .find(|p| p.path.exists())
    else {
        return Ok(());
    };
    let writable = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) => {
            cfg.notify.notice(
                Level::Warn,
                &format!("Mailbox needs repair by its owner (interrupted change): {e}"),
            );
            return Ok(());
        }
    };
    match writable.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(()),
        Err(TryLockError::Error(e)) => return Err(Error::io("flock", path, e)),
    }
    let done = journal::recover(
        &writable,
        path,
        &place,
        Holder::Lock(permission.token()),
        &*cfg.notify,
    );
    let _ = writable.unlock();
    if matches!(done?, Recovery::RewriteFinished | Recovery::Discarded)
        && permission.token().is_some()
    {
        permission.set_token(None)?;
    }
    Ok(())
}

/// Whether two `fstat`s saw the file in the same state (nothing written between them).
fn same_file_state(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    (
        a.dev(),
        a.ino(),
        a.len(),
        a.mtime(),
        a.mtime_nsec(),
        a.ctime(),
        a.ctime_nsec(),
    ) == (
        b.dev(),
        b.ino(),
        b.len(),
        b.mtime(),
        b.mtime_nsec(),
        b.ctime(),
        b.ctime_nsec(),
    )
}

/// Where one message lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec {
    /// Offset of its record line.
    offset: u64,
    /// Length of the record line.
    line_len: u32,
    /// Size of the message.
    size: u64,
    /// Another session hid it (expunged while shared); it goes at this session's next
    /// expunge or poll.
    hidden: bool,
}

impl Rec {
    fn text(&self) -> u64 {
        self.offset + u64::from(self.line_len)
    }

    fn end(&self) -> u64 {
        self.text() + self.size
    }

    /// Where the 14 bytes `;` flags `-` of the record line start.
    fn status_at(&self) -> u64 {
        self.text() - format::STATUS_BACK
    }
}

/// Whether a parse may drop messages that other sessions hid (c-client's `expok`): only
/// where the session can tell its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expok {
    Yes,
    No,
}

/// The file's mtime when this session last took in every change.
#[derive(Clone, Copy, Debug)]
struct Seen {
    mtime: Option<SystemTime>,
    /// The mtime was so close to the moment of looking that a later change may carry the
    /// same time: look at the flags again next time.
    ambiguous: bool,
}

/// An open mbx mailbox.
#[derive(Debug)]
pub struct MbxMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    path: PathBuf,
    /// The file, `flock`ed shared for the whole session.
    file: File,
    access: Access,
    /// For INBOX in `~/INBOX`: the spool whose mail moves in.
    spool: Option<PathBuf>,
    snarfer: Snarfer,
    uid_validity: u32,
    uid_last: u32,
    /// The keyword slots as in the header.
    header_keywords: Vec<String>,
    /// The keywords clients see: the slots up to the first that is not a valid keyword.
    keywords: Vec<Keyword>,
    infos: Vec<MessageInfo>,
    recs: Vec<Rec>,
    /// Bytes of the file parsed.
    parsed: u64,
    /// The UID of the last record parsed (UIDs must ascend).
    prev_uid: u32,
    /// The last flag updater's PID, as last read.
    last_pid: u32,
    seen: Option<Seen>,
    /// Hidden messages or gaps are in the file: space to reclaim when alone.
    holes: bool,
    /// The first parse is done.
    opened: bool,
    /// Changes found while doing something else, told at the next poll.
    pending: Vec<Change>,
    /// A rewrite failed half-way: nothing more may be done through this session (the next
    /// open finishes it from its journal).
    broken: bool,
}

impl MbxMailbox {
    /// Opens the mbx file `path` under `name`; `spool` for INBOX kept in `~/INBOX`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        spool: Option<&Path>,
        want: Access,
    ) -> Result<Self> {
        let (file, access) = match want {
            Access::ReadWrite => match OpenOptions::new().read(true).write(true).open(path) {
                Ok(f) => (f, Access::ReadWrite),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    let f = File::open(path).ctx("open", path)?;
                    cfg.notify.notice(
                        Level::Warn,
                        "Can't get write access to mailbox, access is readonly",
                    );
                    (f, Access::ReadOnly)
                }
                Err(e) => return Err(Error::io("open", path, e)),
            },
            Access::ReadOnly => (File::open(path).ctx("open", path)?, Access::ReadOnly),
        };
        {
            let mut permission = permission(&cfg, &file, path)?;
            recover(&cfg, &file, path, &mut permission)?;
            file.lock_shared().ctx("flock", path)?;
        }
        let mut mb = MbxMailbox {
            cfg,
            name: name.to_owned(),
            path: path.to_owned(),
            file,
            access,
            spool: spool.map(Path::to_owned),
            snarfer: Snarfer::default(),
            uid_validity: 0,
            uid_last: 0,
            header_keywords: Vec::new(),
            keywords: Vec::new(),
            infos: Vec::new(),
            recs: Vec::new(),
            parsed: format::HEADER_SIZE as u64,
            prev_uid: 0,
            last_pid: 0,
            seen: None,
            holes: false,
            opened: false,
            pending: Vec::new(),
            broken: false,
        };
        mb.sync(Expok::Yes)?;
        mb.opened = true;
        mb.snarf()?;
        mb.pending.clear();
        Ok(mb)
    }

    /// Takes in what changed since the last look, under the permission.
    fn sync(&mut self, expok: Expok) -> Result<Vec<Change>> {
        let _permission = permission(&self.cfg, &self.file, &self.path)?;
        self.sync_locked(expok)
    }

    /// As [`sync`](Self::sync), the permission held: new records are parsed, and if flags
    /// may have changed (mtime, last updater, or a change too recent to tell) every
    /// record's flags are read again.
    fn sync_locked(&mut self, expok: Expok) -> Result<Vec<Change>> {
        if self.broken {
            return Err(Error::ChangedUnderneath {
                what: "an expunge was interrupted; open the mailbox again".into(),
            });
        }
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        let mut sweep = match self.seen {
            None => false,
            Some(s) => s.ambiguous || meta.modified().ok() != s.mtime,
        };
        let before = self.infos.len();
        sweep |= self.parse(meta.len())?;
        let added = self.infos.len() > before;
        let mut changes = Vec::new();
        if sweep {
            self.sweep(expok, &mut changes)?;
        }
        if added {
            changes.push(Change::Exists(self.infos.len() as u32));
            changes.push(Change::Recent(self.recent()));
        }
        self.note_seen()?;
        Ok(changes)
    }

    fn recent(&self) -> u32 {
        self.infos
            .iter()
            .filter(|m| m.flags.contains(Flags::RECENT))
            .count() as u32
    }

    fn note_seen(&mut self) -> Result<()> {
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        let mtime = meta.modified().ok();
        let ambiguous = mtime
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_none_or(|d| d < Duration::from_secs(1));
        self.seen = Some(Seen { mtime, ambiguous });
        Ok(())
    }

    /// Parses the header and the records after what was parsed before; whether the last
    /// flag updater changed.
    fn parse(&mut self, size: u64) -> Result<bool> {
        if size < self.parsed {
            self.cfg.notify.notice(
                Level::Error,
                &format!("Mailbox shrank from {} to {size}!", self.parsed),
            );
            return Err(Error::Shrank {
                expected: self.parsed,
                found: size,
            });
        }
        let header = read_header(&self.cfg, &self.file, &self.path)?;
        if self.opened && header.uid_validity != self.uid_validity {
            return Err(Error::ChangedUnderneath {
                what: "UIDVALIDITY changed".into(),
            });
        }
        self.uid_validity = header.uid_validity;
        self.uid_last = self.uid_last.max(header.uid_last);
        if header.keywords.len() >= self.header_keywords.len() {
            self.keywords = header
                .keywords
                .iter()
                .map_while(|k| Keyword::new(k).ok())
                .collect();
            self.header_keywords = header.keywords;
        }
        let pid_changed = self.last_pid != 0 && header.last_pid != self.last_pid;
        self.last_pid = header.last_pid;
        let mut dirty = false;
        let mut warned = false;
        let mut writes = Vec::new();
        let before = self.infos.len();
        let mut pos = self.parsed;
        // The first parse of the whole file takes the records from the cache when the
        // file is as the cache saw it, and otherwise fills the cache.
        let whole = !self.opened && self.infos.is_empty() && pos == format::HEADER_SIZE as u64;
        let identity = if whole {
            Some(self.file.metadata().ctx("stat", &self.path)?).filter(|m| m.len() == size)
        } else {
            None
        };
        let cached = identity.as_ref().and_then(|m| cache::load(&self.cfg, m));
        let mut from_cache = cached.iter().flatten().peekable();
        let mut to_cache = Vec::new();
        while pos < size {
            let rec = match from_cache.next_if(|c| c.offset == pos) {
                Some(c) => c.record.clone(),
                None => {
                    let rec = read_record(&self.cfg, &self.file, &self.path, pos, size)?;
                    if identity.is_some() && cached.is_none() {
                        to_cache.push(cache::Cached {
                            offset: pos,
                            record: rec.clone(),
                        });
                    }
                    rec
                }
            };
            let mut uid = rec.uid;
            if uid != 0 && (uid <= self.prev_uid || uid > self.uid_last) {
                if !warned {
                    self.cfg.notify.notice(
                        Level::Warn,
                        &format!(
                            "Invalid UID {uid:08x} in message {}, rebuilding UIDs",
                            self.infos.len() + 1
                        ),
                    );
                    warned = true;
                    if !self.opened {
                        // Nobody has seen these UIDs: start a new epoch, as c-client.
                        self.uid_validity = crate::clock::next_uid_validity(self.uid_validity);
                        self.uid_last = self.prev_uid;
                    }
                }
                uid = 0;
                dirty = true;
            }
            if uid == 0 {
                self.uid_last = self
                    .uid_last
                    .checked_add(1)
                    .ok_or_else(|| corrupt(&self.cfg, &self.path, pos, "UIDs exhausted".into()))?;
                uid = self.uid_last;
                dirty = true;
            }
            let r = Rec {
                offset: pos,
                line_len: rec.line_len,
                size: rec.size,
                hidden: false,
            };
            if rec.sys_flags & bits::EXPUNGED != 0 {
                self.holes = true;
            } else {
                let date = rec.date.ok_or_else(|| {
                    corrupt(
                        &self.cfg,
                        &self.path,
                        pos,
                        "Unable to parse message date".into(),
                    )
                })?;
                let size32 = u32::try_from(rec.size)
                    .map_err(|_| corrupt(&self.cfg, &self.path, pos, "Message too large".into()))?;
                let recent = rec.uid != uid || rec.sys_flags & bits::OLD == 0;
                let mut flags = common::system_flags(rec.sys_flags);
                if recent {
                    flags = flags.union(Flags::RECENT);
                    if self.access == Access::ReadWrite {
                        let status =
                            format::write_status(rec.user_flags, rec.sys_flags | bits::OLD, uid);
                        writes.push((r.status_at() + 1, status));
                        dirty = true;
                    }
                }
                // A UID can only be missing from the file in a session that cannot write.
                let uid_v = Uid::new(uid).unwrap_or(Uid::MIN);
                self.infos.push(MessageInfo {
                    uid: uid_v,
                    flags,
                    keywords: common::keyword_set(rec.user_flags, MAX_KEYWORDS),
                    internal_date: date,
                    size: size32,
                });
                self.recs.push(r);
            }
            self.prev_uid = uid;
            pos = r.end();
        }
        if pos != size {
            self.holes = true;
        }
        self.parsed = size;
        if let Some(before) = &identity
            && cached.is_none()
            && !dirty
            && let Ok(now) = self.file.metadata()
            && same_file_state(before, &now)
        {
            cache::save(&self.cfg, &now, &to_cache);
        }
        if dirty && self.access == Access::ReadWrite {
            // The header first: UW checks records' UIDs against it without a lock.
            self.write_header(self.last_pid)?;
            for (at, status) in writes {
                self.file
                    .write_all_at(&status, at)
                    .ctx("write", &self.path)?;
            }
            self.file.sync_data().ctx("fsync", &self.path)?;
        }
        if self.infos.len() > before && self.access == Access::ReadWrite {
            self.touch()?;
        }
        Ok(pid_changed)
    }

    /// Rewrites the header with this session's view and `pid` as the last updater.
    fn write_header(&self, pid: u32) -> Result<()> {
        let h = Header {
            uid_validity: self.uid_validity,
            uid_last: self.uid_last,
            keywords: self.header_keywords.clone(),
            last_pid: pid,
        };
        self.file
            .write_all_at(&format::write_header(&h, PidField::Pid(pid)), 0)
            .ctx("write", &self.path)
    }

    /// Sets the atime to now, keeping the mtime (c-client's "read since written").
    fn touch(&self) -> Result<()> {
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        let mut times = FileTimes::new().set_accessed(SystemTime::now());
        if let Ok(m) = meta.modified() {
            times = times.set_modified(m);
        }
        let _ = self.file.set_times(times);
        Ok(())
    }

    /// Reads the status of record `i`: keyword bits and system-flag bits.
    fn read_status(&self, i: usize) -> Result<(u32, u16)> {
        let r = self.recs[i];
        let mut buf = [0u8; 14];
        let n = read_at_most(&self.file, &mut buf, r.status_at()).ctx("read", &self.path)?;
        format::parse_status(&buf[..n]).ok_or_else(|| {
            corrupt(
                &self.cfg,
                &self.path,
                r.offset,
                format!("Invalid flags for message {}", i + 1),
            )
        })
    }

    /// Reads every message's flags again; messages hidden by another session go when
    /// `expok` says so.
    fn sweep(&mut self, expok: Expok, changes: &mut Vec<Change>) -> Result<()> {
        let mut i = 0;
        while i < self.recs.len() {
            let (user, sys) = self.read_status(i)?;
            if sys & bits::EXPUNGED != 0 {
                self.holes = true;
                if expok == Expok::Yes {
                    self.remove(i, changes);
                    continue;
                }
                self.recs[i].hidden = true;
            }
            let info = &mut self.infos[i];
            let flags = common::system_flags(sys).union(info.flags.intersect(Flags::RECENT));
            let keywords = common::keyword_set(user, MAX_KEYWORDS);
            if flags != info.flags || keywords != info.keywords {
                info.flags = flags;
                info.keywords = keywords;
                if let Some(seq) = SeqNo::from_index(i) {
                    changes.push(Change::Flags(seq));
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// Drops message `i` from the session, telling it.
    fn remove(&mut self, i: usize, changes: &mut Vec<Change>) {
        self.recs.remove(i);
        self.infos.remove(i);
        if let Some(seq) = SeqNo::from_index(i) {
            changes.push(Change::Expunged(seq));
        }
    }

    /// Removes messages (hidden ones, and with `scope` the deleted ones it names),
    /// permission held: when no other session has the file, by rewriting it without them
    /// (and without any gap: c-client's burp); otherwise by hiding them. The sequence
    /// numbers removed, each as at its removal.
    fn rewrite(
        &mut self,
        permission: &mut InstanceLock,
        scope: Option<ExpungeScope<'_>>,
    ) -> Result<Vec<SeqNo>> {
        let doomed = |rec: &Rec, info: &MessageInfo| {
            rec.hidden
                || match scope {
                    None => false,
                    Some(ExpungeScope::AllDeleted) => info.flags.contains(Flags::DELETED),
                    Some(ExpungeScope::Uids(u)) => {
                        info.flags.contains(Flags::DELETED) && u.contains(&info.uid)
                    }
                }
        };
        let mut changes = Vec::new();
        match self.file.try_lock() {
            Ok(()) => {
                let r = self.burp(permission, &doomed, &mut changes);
                // Back to shared: other sessions may come again.
                let relock = self.file.lock_shared().ctx("flock", &self.path);
                r?;
                relock?;
            }
            Err(TryLockError::WouldBlock) => {
                // A failed upgrade may have dropped the shared lock: take it again (nobody
                // can go exclusive meanwhile without the permission, which is held).
                self.file.lock_shared().ctx("flock", &self.path)?;
                let mut i = 0;
                while i < self.recs.len() {
                    if !doomed(&self.recs[i], &self.infos[i]) {
                        i += 1;
                        continue;
                    }
                    if !self.recs[i].hidden {
                        let (user, sys) = self.read_status(i)?;
                        let uid = self.infos[i].uid.get();
                        let status = format::write_status(user, sys | bits::EXPUNGED, uid);
                        self.file
                            .write_all_at(&status, self.recs[i].status_at() + 1)
                            .ctx("write", &self.path)?;
                    }
                    self.holes = true;
                    self.remove(i, &mut changes);
                }
                self.file.sync_data().ctx("fsync", &self.path)?;
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("flock", &self.path, e)),
        }
        if self.access == Access::ReadWrite {
            self.touch()?;
        }
        self.note_seen()?;
        Ok(changes
            .into_iter()
            .filter_map(|c| match c {
                Change::Expunged(s) => Some(s),
                _ => None,
            })
            .collect())
    }

    /// The rewrite proper, the file held exclusively: kept messages move down over the
    /// removed ones and the gaps, and the file is cut after the last. Unlike c-client's,
    /// the moves are journaled ([`crate::journal`]): a process that dies half-way leaves a
    /// journal that the next opener finishes.
    fn burp(
        &mut self,
        permission: &mut InstanceLock,
        doomed: &dyn Fn(&Rec, &MessageInfo) -> bool,
        changes: &mut Vec<Change>,
    ) -> Result<()> {
        let len = self.file.metadata().ctx("stat", &self.path)?.len();
        if len != self.parsed {
            // Not all of the file is known (cannot happen under the permission): leave it.
            return Ok(());
        }
        let mut plan = Plan::new(len);
        let mut recs = Vec::with_capacity(self.recs.len());
        let mut infos = Vec::with_capacity(self.infos.len());
        let mut gone = Vec::new();
        let mut to = format::HEADER_SIZE as u64;
        for (r, info) in self.recs.iter().zip(&self.infos) {
            if doomed(r, info) {
                if let Some(seq) = SeqNo::from_index(infos.len()) {
                    gone.push(Change::Expunged(seq));
                }
                continue;
            }
            plan.move_range(r.offset, to, r.end() - r.offset);
            recs.push(Rec { offset: to, ..*r });
            infos.push(info.clone());
            to += r.end() - r.offset;
        }
        plan.final_len = to;
        if !plan.is_empty() {
            let token = journal::new_token();
            permission.set_token(Some(token))?;
            let place = JournalPlace::new(&self.cfg.journal_dir(), self.id()?);
            if let Err(e) = journal::rewrite(&self.file, &self.path, &plan, &place, token) {
                if place.path.exists() {
                    // Half done: only the recovery at the next open may touch the file.
                    self.broken = true;
                } else {
                    permission.set_token(None)?;
                }
                return Err(e);
            }
            permission.set_token(None)?;
        }
        self.recs = recs;
        self.infos = infos;
        changes.extend(gone);
        self.parsed = to;
        self.holes = false;
        let reclaimed = len - to;
        if reclaimed > 0 {
            self.cfg.notify.notice(
                Level::Info,
                &format!("Reclaimed {reclaimed} bytes of expunged space"),
            );
        }
        Ok(())
    }

    /// The file's device and inode.
    fn id(&self) -> Result<(u64, u64)> {
        let m = self.file.metadata().ctx("stat", &self.path)?;
        Ok((m.dev(), m.ino()))
    }

    /// Reclaims hidden space if this session is alone, permission held; what went.
    fn burp_if_holes(&mut self, permission: &mut InstanceLock) -> Result<Vec<Change>> {
        if self.access != Access::ReadWrite || !self.holes {
            return Ok(Vec::new());
        }
        Ok(self
            .rewrite(permission, None)?
            .into_iter()
            .map(Change::Expunged)
            .collect())
    }

    /// Moves mail from the spool into this INBOX, once per snarf interval.
    fn snarf(&mut self) -> Result<Vec<Change>> {
        let Some(spool) = self.spool.clone() else {
            return Ok(Vec::new());
        };
        if self.access != Access::ReadWrite || spool == self.path || !self.snarfer.due(&self.cfg) {
            return Ok(Vec::new());
        }
        let cfg = Arc::clone(&self.cfg);
        let (file, path) = (&self.file, &self.path);
        let moved = snarf::from_spool(&cfg, &spool, &mut |msgs| {
            super::append::append(&cfg, path, file, msgs)
        })?;
        if moved == 0 {
            return Ok(Vec::new());
        }
        self.sync(Expok::Yes)
    }

    /// Moves pending changes past the removal of message `seq`.
    fn shift_pending(&mut self, seq: SeqNo) {
        self.pending.retain_mut(|c| match c {
            Change::Flags(s) if *s == seq => false,
            Change::Flags(s) if *s > seq => {
                *s = SeqNo::new(s.get() - 1).unwrap_or(SeqNo::MIN);
                true
            }
            _ => true,
        });
    }

    /// The keyword positions of `keywords`, defining those not yet in the header.
    fn keyword_set(&mut self, keywords: &[Keyword]) -> Result<(KeywordSet, bool)> {
        let missing: Vec<&Keyword> = keywords
            .iter()
            .filter(|k| !self.keywords.contains(k))
            .collect();
        let mut distinct: Vec<&Keyword> = Vec::new();
        for k in missing {
            if !distinct.contains(&k) {
                distinct.push(k);
            }
        }
        let defined = !distinct.is_empty();
        if defined
            && (self.keywords.len() != self.header_keywords.len()
                || self.header_keywords.len() + distinct.len() > MAX_KEYWORDS)
        {
            return Err(Error::TooManyKeywords {
                limit: MAX_KEYWORDS,
            });
        }
        for k in distinct {
            self.header_keywords.push(k.as_str().to_owned());
            self.keywords.push(k.clone());
        }
        let mut set = KeywordSet::EMPTY;
        for k in keywords {
            if let Some(i) = self.keywords.iter().position(|x| x == k) {
                set.insert(i);
            }
        }
        Ok((set, defined))
    }
}

impl Mailbox for MbxMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Mbx
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        UidValidity::new(self.uid_validity).unwrap_or(UidValidity::MIN)
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.uid_last.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }

    fn can_create_keywords(&self) -> bool {
        self.access == Access::ReadWrite
            && self.keywords.len() == self.header_keywords.len()
            && self.keywords.len() < MAX_KEYWORDS
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.infos
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let r = *self
            .recs
            .get(seq.index())
            .ok_or(Error::NoSuchMessage(seq.get()))?;
        let len = usize::try_from(r.size).map_err(|_| Error::NoSuchMessage(seq.get()))?;
        let mut data = vec![0u8; len];
        let n = read_at_most(&self.file, &mut data, r.text()).ctx("read", &self.path)?;
        if n < len {
            return Err(Error::Shrank {
                expected: r.end(),
                found: r.text() + n as u64,
            });
        }
        let h = format::header_len(&data);
        Ok(common::cut_part(data, h, part))
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        common::writable(self.access)?;
        common::check_seqs(seqs, self.infos.len())?;
        let _permission = permission(&self.cfg, &self.file, &self.path)?;
        let found = self.sync_locked(Expok::No)?;
        self.pending.extend(found);
        let (kw, defined) = self.keyword_set(keywords)?;
        let flags = flags.intersect(Flags::SETTABLE);
        for &seq in seqs {
            let i = seq.index();
            let (_, sys_disk) = self.read_status(i)?;
            let info = &mut self.infos[i];
            let new_flags = common::apply_flags(op, info.flags, flags);
            let new_kw = common::apply_keywords(op, info.keywords, kw);
            info.flags = new_flags;
            info.keywords = new_kw;
            let sys = common::system_bits(new_flags) | bits::OLD | (sys_disk & bits::EXPUNGED);
            let status = format::write_status(common::keyword_bits(new_kw), sys, info.uid.get());
            let at = self.recs[i].status_at() + 1;
            self.file
                .write_all_at(&status, at)
                .ctx("write", &self.path)?;
        }
        self.file.sync_data().ctx("fsync", &self.path)?;
        let pid = std::process::id();
        if defined || self.last_pid != pid {
            self.last_pid = pid;
            self.write_header(pid)?;
        }
        self.touch()?;
        self.note_seen()
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        let mut permission = permission(&self.cfg, &self.file, &self.path)?;
        let found = self.sync_locked(Expok::No)?;
        self.pending.extend(found);
        let gone = self.rewrite(&mut permission, Some(scope))?;
        for &s in &gone {
            self.shift_pending(s);
        }
        Ok(gone)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        if self.access == Access::ReadWrite {
            return super::append::append(&self.cfg, &self.path, &self.file, msgs);
        }
        super::append::append_to_path(&self.cfg, &self.path, msgs)
    }

    fn check(&mut self) -> Result<()> {
        let mut permission = permission(&self.cfg, &self.file, &self.path)?;
        let found = self.sync_locked(Expok::No)?;
        self.pending.extend(found);
        if self.access == Access::ReadWrite {
            // As c-client's check: space hidden by expunges is reclaimed if alone.
            let gone = self.burp_if_holes(&mut permission)?;
            self.pending.extend(gone);
            self.file.sync_all().ctx("fsync", &self.path)?;
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        let mut changes = std::mem::take(&mut self.pending);
        {
            let mut permission = permission(&self.cfg, &self.file, &self.path)?;
            changes.extend(self.sync_locked(Expok::Yes)?);
            changes.extend(self.burp_if_holes(&mut permission)?);
        }
        changes.extend(self.snarf()?);
        Ok(changes)
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if self.access == Access::ReadWrite {
            match how {
                Close::Expunge => {
                    self.expunge(ExpungeScope::AllDeleted)?;
                }
                Close::Keep => {
                    let mut permission = permission(&self.cfg, &self.file, &self.path)?;
                    self.sync_locked(Expok::Yes)?;
                    self.burp_if_holes(&mut permission)?;
                }
            }
        }
        let _ = self.file.unlock();
        Ok(())
    }
}
