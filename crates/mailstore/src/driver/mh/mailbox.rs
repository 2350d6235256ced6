//! An open MH mailbox: the directory's numbered files, and flags kept in the session.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::new_uid_validity;
use crate::config::{Format, StoreConfig};
use crate::driver::common;
use crate::driver::mx::files::{
    expunge_files, file_date, message_file, message_part, numbered, read_error, set_times,
    without_cr,
};
use crate::driver::snarf::{Snarfer, from_spool};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::types::{Access, Flags, Keyword, KeywordSet, MessageInfo, SeqNo, Uid, UidValidity};

/// An MH mailbox open in this session.
#[derive(Debug)]
pub(crate) struct MhMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    dir: PathBuf,
    access: Access,
    validity: UidValidity,
    msgs: Vec<MessageInfo>,
    /// The highest message number this session has taken in.
    seen: u32,
    /// For `#mhinbox`: the spool new mail is moved from, and when it was last looked at.
    spool: Option<(PathBuf, Snarfer)>,
}

impl MhMailbox {
    /// Opens the MH mailbox in directory `dir`; `spool` for `#mhinbox`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        dir: &Path,
        spool: Option<PathBuf>,
        access: Access,
    ) -> Result<MhMailbox> {
        let mut mb = MhMailbox {
            cfg,
            name: name.to_owned(),
            dir: dir.to_owned(),
            access,
            validity: UidValidity::new(new_uid_validity()).unwrap_or(UidValidity::MIN),
            msgs: Vec::new(),
            seen: 0,
            spool: spool.map(|s| (s, Snarfer::default())),
        };
        mb.scan(Arrival::AtOpen)?;
        mb.snarf()?;
        // Mail just moved in from the spool is new (the open reports the count).
        mb.scan(Arrival::Later)?;
        Ok(mb)
    }

    fn path_of(&self, uid: Uid) -> PathBuf {
        message_file(&self.dir, uid)
    }

    /// Takes in files gone and files new; returns the changes to report.
    fn scan(&mut self, arrival: Arrival) -> Result<Vec<Change>> {
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        let mut changes = Vec::new();
        let mut i = 0;
        while i < self.msgs.len() {
            if listed.binary_search(&self.msgs[i].uid.get()).is_err() {
                self.msgs.remove(i);
                if let Some(seq) = SeqNo::from_index(i) {
                    changes.push(Change::Expunged(seq));
                }
            } else {
                i += 1;
            }
        }
        let before = self.msgs.len();
        let seen_before = self.seen;
        for &n in listed.iter().filter(|&&n| n > seen_before) {
            let Some(uid) = Uid::new(n) else { continue };
            let Ok((meta, data)) = read_quietly(&self.path_of(uid)) else {
                continue;
            };
            let flags = match arrival {
                Arrival::Later => Flags::RECENT,
                // c-client's first scan: read after it was written means seen.
                Arrival::AtOpen if seen_by_times(&meta) => Flags::SEEN,
                Arrival::AtOpen => Flags::EMPTY,
            };
            let bare_lf = bytecount::count(&data, b'\n') - crlf_count(&data);
            self.msgs.push(MessageInfo {
                uid,
                flags,
                keywords: KeywordSet::EMPTY,
                internal_date: file_date(&meta),
                size: u32::try_from(data.len() + bare_lf).unwrap_or(u32::MAX),
            });
            self.seen = n;
        }
        if self.msgs.len() != before {
            changes.push(Change::Exists(self.msgs.len() as u32));
            changes.push(Change::Recent(
                self.msgs
                    .iter()
                    .filter(|m| m.flags.contains(Flags::RECENT))
                    .count() as u32,
            ));
        }
        Ok(changes)
    }

    /// For `#mhinbox` open read-write: moves new mail in from the spool, once per snarf
    /// interval.
    fn snarf(&mut self) -> Result<()> {
        if self.access != Access::ReadWrite {
            return Ok(());
        }
        let Some((spool, snarfer)) = &mut self.spool else {
            return Ok(());
        };
        if !snarfer.due(&self.cfg) {
            return Ok(());
        }
        let spool = spool.clone();
        let (cfg, dir) = (Arc::clone(&self.cfg), self.dir.clone());
        from_spool(&cfg, &spool, &mut |msgs| append_to(&cfg, &dir, msgs))?;
        Ok(())
    }
}

/// Whether messages found now are new to this session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    /// Found at open: `\Seen` read from the file's times, never `\Recent`.
    AtOpen,
    /// Arrived while the session had the mailbox open: `\Recent`.
    Later,
}

fn seen_by_times(meta: &fs::Metadata) -> bool {
    (meta.atime(), meta.atime_nsec()) > (meta.mtime(), meta.mtime_nsec())
}

fn crlf_count(data: &[u8]) -> usize {
    memchr::memmem::find_iter(data, b"\r\n").count()
}

fn read_quietly(path: &Path) -> std::io::Result<(fs::Metadata, Vec<u8>)> {
    let mut f = common::open_noatime(path)?;
    let meta = f.metadata()?;
    let mut data = Vec::with_capacity(meta.len() as usize);
    f.read_to_end(&mut data)?;
    Ok((meta, data))
}

/// Records `\Seen` in a message file's access time: later than its modification time
/// when seen, equal to it when not.
fn write_seen(path: &Path, seen: bool) -> std::io::Result<()> {
    let f = common::open_noatime(path)?;
    let meta = f.metadata()?;
    let mtime = meta.modified()?;
    let atime = if seen {
        SystemTime::now().max(mtime + Duration::from_secs(1))
    } else {
        mtime
    };
    f.set_times(fs::FileTimes::new().set_accessed(atime))
}

/// Appends `msgs` to the MH directory `dir`: each in a file numbered one past the highest,
/// CRs removed, modification time its date, access time saying whether it is seen.
/// Keywords cannot be kept and are dropped; of the flags only `\Seen` is kept. On an
/// error the files written are removed.
fn append_to(
    cfg: &StoreConfig,
    dir: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<AppendOutcome> {
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<()> {
        for m in msgs {
            let m = m?;
            if m.data.is_empty() {
                return Err(Error::BadMessage {
                    reason: "Append of zero-length message",
                });
            }
            let data = without_cr(&m.data);
            let mut n = numbered(dir)
                .ctx("read directory", dir)?
                .last()
                .copied()
                .unwrap_or(0);
            let (path, mut f) = loop {
                n = n.checked_add(1).ok_or(Error::BadMessage {
                    reason: "no message number left",
                })?;
                let path = dir.join(n.to_string());
                match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(cfg.mailbox_mode)
                    .open(&path)
                {
                    Ok(f) => break (path, f),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(Error::io("create", &path, e)),
                }
            };
            written.push(path.clone());
            let date = m.date.unwrap_or_else(|| {
                rfc822::DateTime::new(jiff::Timestamp::now().as_second(), 0)
                    .unwrap_or(rfc822::DateTime::UNIX_EPOCH)
            });
            let mtime = UNIX_EPOCH
                .checked_add(Duration::from_secs(date.timestamp().max(0).unsigned_abs()))
                .unwrap_or(UNIX_EPOCH);
            let atime = if m.flags.contains(Flags::SEEN) {
                SystemTime::now().max(mtime + Duration::from_secs(1))
            } else {
                mtime
            };
            f.write_all(&data)
                .and_then(|()| f.sync_all())
                .and_then(|()| set_times(&f, &date, atime))
                .ctx("write", &path)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for p in &written {
            let _ = fs::remove_file(p);
        }
        return Err(e);
    }
    // MH numbers are not sticky UIDs: no APPENDUID (c-client's mh has no UIDPLUS).
    Ok(AppendOutcome { uids: None })
}

impl Mailbox for MhMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Mh
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        self.validity
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.seen.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &[]
    }

    fn can_create_keywords(&self) -> bool {
        false
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.msgs
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let Some(info) = self.msgs.get(seq.index()) else {
            return Err(Error::NoSuchMessage(seq.get()));
        };
        let path = self.path_of(info.uid);
        let (_, raw) = read_quietly(&path).map_err(|e| read_error(&path, e))?;
        let (out, size) = message_part(&raw, part);
        if let Some(m) = self.msgs.get_mut(seq.index()) {
            m.size = u32::try_from(size).unwrap_or(u32::MAX);
        }
        Ok(out)
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        common::writable(self.access)?;
        common::no_keywords(keywords, "MH mailboxes have no keywords")?;
        common::check_seqs(seqs, self.msgs.len())?;
        let flags = flags.intersect(Flags::SETTABLE);
        for s in seqs {
            let path = self.path_of(self.msgs[s.index()].uid);
            let m = &mut self.msgs[s.index()];
            let new = common::apply_flags(op, m.flags, flags);
            let seen_changed = new.contains(Flags::SEEN) != m.flags.contains(Flags::SEEN);
            m.flags = new;
            if seen_changed {
                // Best effort: the file may be gone (another session expunged it).
                let _ = write_seen(&path, new.contains(Flags::SEEN));
            }
        }
        Ok(())
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        common::writable(self.access)?;
        let (gone, result) = expunge_files(&mut self.msgs, scope, &self.dir);
        result.map(|()| gone)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        append_to(&self.cfg, &self.dir, msgs)
    }

    fn check(&mut self) -> Result<()> {
        // Nothing is kept to write (c-client: "Perhaps in the future this will preserve
        // flags").
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.snarf()?;
        self.scan(Arrival::Later)
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if how == Close::Expunge && self.access == Access::ReadWrite {
            self.expunge(ExpungeScope::AllDeleted)?;
        }
        Ok(())
    }
}
