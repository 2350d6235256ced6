//! An open maildir.
//!
//! Every change is made on disk at once: a flag change renames the message's file, a
//! keyword change rewrites the UID list, an expunge removes files. Several sessions (ours
//! and other programs) may write at the same time; each finds the others' changes by
//! reading the directories again when it polls.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rfc822::DateTime;

use super::append;
use super::name::{FileName, virtual_size};
use super::scan::{self, Listing, Seen, Sub};
use super::uidlist::{self, ListLock};
use crate::config::{Format, StoreConfig};
use crate::driver::common;
use crate::driver::unix::format::to_crlf;
use crate::error::{Error, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::types::{
    Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, MessageInfo, SeqNo, Uid, UidValidity,
};

/// Where one message's file is, as this session last saw it.
#[derive(Clone, Debug)]
struct File {
    sub: Sub,
    name: String,
    base: String,
}

/// What tells that nothing changed since the last scan: the modification times of
/// `new/`, `cur/` and the UID list, and the list's inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp([(i64, i64, u64); 3]);

/// An open maildir.
#[derive(Debug)]
pub struct MaildirMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    dir: PathBuf,
    access: Access,
    infos: Vec<MessageInfo>,
    files: Vec<File>,
    keywords: Vec<Keyword>,
    validity: u32,
    next: u32,
    /// Bases this session moved from `new/` to `cur/`: `\Recent` here.
    claimed: HashSet<String>,
    stamp: Option<Stamp>,
}

impl MaildirMailbox {
    /// Opens the maildir `dir` as `name`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        dir: &Path,
        want: Access,
    ) -> Result<MaildirMailbox> {
        let access = match want {
            Access::ReadWrite
                if nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok() =>
            {
                Access::ReadWrite
            }
            _ => Access::ReadOnly,
        };
        let mut mb = MaildirMailbox {
            cfg,
            name: name.to_owned(),
            dir: dir.to_owned(),
            access,
            infos: Vec::new(),
            files: Vec::new(),
            keywords: Vec::new(),
            validity: 0,
            next: 1,
            claimed: HashSet::new(),
            stamp: None,
        };
        mb.sync()?;
        Ok(mb)
    }

    fn stamp_now(&self) -> Option<Stamp> {
        let now = SystemTime::now();
        let mut out = [(0, 0, 0); 3];
        for (i, p) in [
            self.dir.join("new"),
            self.dir.join("cur"),
            self.dir.join(uidlist::FILE),
        ]
        .iter()
        .enumerate()
        {
            let m = fs::metadata(p).ok()?;
            // A time too close to now may yet be shared by a later change.
            let recent = m
                .modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_none_or(|age| age < Duration::from_secs(2));
            if recent {
                return None;
            }
            out[i] = (m.mtime(), m.mtime_nsec(), m.ino());
        }
        Some(Stamp(out))
    }

    /// Reads the maildir again and brings the session up to date; returns what changed.
    fn sync(&mut self) -> Result<Vec<Change>> {
        let stamp = self.stamp_now();
        if stamp.is_some() && stamp == self.stamp {
            return Ok(Vec::new());
        }
        let known: HashMap<String, FileName> = self
            .files
            .iter()
            .map(|f| (f.base.clone(), last_name(&f.base, &f.name)))
            .collect();
        let mut listing = scan::scan_stable(&self.dir, &known)?;
        let list = scan::uids_for(&self.cfg, &self.dir, &mut listing, self.validity)?;
        if self.validity != 0 && list.validity != self.validity {
            return Err(Error::ChangedUnderneath {
                what: "the maildir's UIDVALIDITY changed".into(),
            });
        }
        if self.access == Access::ReadWrite {
            self.claim_new(&mut listing)?;
        }
        self.validity = list.validity;
        self.next = list.next;
        self.keywords = list.keywords.clone();
        let mut changes = Vec::new();
        // Expunged: known messages whose files are gone.
        let present: HashSet<Uid> = list
            .entries
            .iter()
            .filter(|e| listing.contains_key(&e.base))
            .map(|e| e.uid)
            .collect();
        let mut i = 0;
        while i < self.infos.len() {
            if present.contains(&self.infos[i].uid) {
                i += 1;
            } else {
                self.infos.remove(i);
                self.files.remove(i);
                changes.extend(SeqNo::from_index(i).map(Change::Expunged));
            }
        }
        // Flags changed by others; files renamed.
        let mut at = 0;
        let last = self.infos.last().map(|m| m.uid);
        let mut added = 0u32;
        for e in &list.entries {
            let Some(seen) = listing.get(&e.base) else {
                continue;
            };
            while at < self.infos.len() && self.infos[at].uid < e.uid {
                at += 1;
            }
            if at < self.infos.len() && self.infos[at].uid == e.uid {
                let info = &mut self.infos[at];
                let flags = seen.parsed.flags.union(info.flags.intersect(Flags::RECENT));
                if flags != info.flags || e.keywords != info.keywords {
                    info.flags = flags;
                    info.keywords = e.keywords;
                    changes.extend(SeqNo::from_index(at).map(Change::Flags));
                }
                self.files[at] = File {
                    sub: seen.sub,
                    name: seen.name.clone(),
                    base: e.base.clone(),
                };
            } else if last.is_none_or(|l| e.uid > l) {
                let Some(info) = self.new_message(e, seen)? else {
                    continue;
                };
                self.infos.push(info);
                self.files.push(File {
                    sub: seen.sub,
                    name: seen.name.clone(),
                    base: e.base.clone(),
                });
                self.claimed.remove(&e.base);
                added += 1;
            }
        }
        if added > 0 {
            changes.push(Change::Exists(self.infos.len() as u32));
            let recent = self
                .infos
                .iter()
                .filter(|m| m.flags.contains(Flags::RECENT))
                .count();
            changes.push(Change::Recent(recent as u32));
        }
        self.stamp = stamp;
        Ok(changes)
    }

    /// Moves the files of `new/` to `cur/` (with `:2,` and their flags), claiming them as
    /// `\Recent` for this session; one another process moved first is left to it.
    fn claim_new(&mut self, listing: &mut Listing) -> Result<()> {
        for seen in listing.values_mut().filter(|s| s.sub == Sub::New) {
            let to = seen.parsed.with_flags(seen.parsed.flags);
            let from_path = self.dir.join("new").join(&seen.name);
            let to_path = self.dir.join("cur").join(&to);
            match fs::rename(&from_path, &to_path) {
                Ok(()) => {
                    self.claimed.insert(seen.parsed.base.clone());
                    seen.sub = Sub::Cur;
                    seen.name = to;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Some(now) = scan::locate(&self.dir, &seen.parsed)? {
                        *seen = now;
                    }
                }
                Err(e) => return Err(Error::io("rename", from_path, e)),
            }
        }
        Ok(())
    }

    /// The facts of a message this session sees for the first time; `None` if its file
    /// went away meanwhile.
    fn new_message(&self, e: &uidlist::Entry, seen: &Seen) -> Result<Option<MessageInfo>> {
        let mut seen = seen.clone();
        let mut found = None;
        for _ in 0..8 {
            let path = self.dir.join(seen.sub.dir()).join(&seen.name);
            match fs::metadata(&path) {
                Ok(m) => {
                    found = Some(m);
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    match scan::locate(&self.dir, &seen.parsed)? {
                        Some(s) => seen = s,
                        None => return Ok(None),
                    }
                }
                Err(err) => return Err(Error::io("stat", path, err)),
            }
        }
        let Some(meta) = found else {
            return Ok(None);
        };
        let date = match e.zone {
            Some(z) => DateTime::new(meta.mtime(), z),
            None => DateTime::at_in(meta.mtime(), &self.cfg.tz),
        }
        .unwrap_or(DateTime::UNIX_EPOCH);
        let size = match virtual_size(&e.base) {
            Some(s) => s,
            None => {
                let data = self.read_file(&e.base, seen.sub, &seen.name)?.0;
                (data.len() - bytecount::count(&data, b'\r') + bytecount::count(&data, b'\n'))
                    as u64
            }
        };
        let recent = match self.access {
            Access::ReadWrite => self.claimed.contains(&e.base),
            Access::ReadOnly => seen.sub == Sub::New,
        };
        let mut flags = seen.parsed.flags;
        if recent {
            flags = flags.union(Flags::RECENT);
        }
        Ok(Some(MessageInfo {
            uid: e.uid,
            flags,
            keywords: e.keywords,
            internal_date: date,
            size: u32::try_from(size).unwrap_or(u32::MAX),
        }))
    }

    /// Reads a message file, finding it anew (a few times) if it was renamed; returns the
    /// data and where it was found when that is not where it was thought to be.
    fn read_file(&self, base: &str, sub: Sub, name: &str) -> Result<(Vec<u8>, Option<Seen>)> {
        let path = self.dir.join(sub.dir()).join(name);
        let gone = || Error::ChangedUnderneath {
            what: format!("message file {base} was removed by another process"),
        };
        match fs::read(&path) {
            Ok(d) => return Ok((d, None)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("read", path, e)),
        }
        let mut last = last_name(base, name);
        for _ in 0..8 {
            let now = scan::locate(&self.dir, &last)?.ok_or_else(gone)?;
            let p = self.dir.join(now.sub.dir()).join(&now.name);
            match fs::read(&p) {
                Ok(d) => return Ok((d, Some(now))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => last = now.parsed,
                Err(e) => return Err(Error::io("read", p, e)),
            }
        }
        Err(gone())
    }

    /// Renames message `i`'s file to say `op` with `flags`; returns the flags it has now.
    fn rename_flags(&mut self, i: usize, op: FlagOp, flags: Flags) -> Result<Option<Flags>> {
        for _ in 0..3 {
            let f = &self.files[i];
            let Some(parsed) = FileName::parse(&f.name) else {
                return Ok(None);
            };
            // A file name has no `\Recent` for a replacement to keep.
            let target = common::apply_flags(op, parsed.flags, flags.minus(Flags::RECENT));
            if target == parsed.flags && f.sub == Sub::Cur {
                return Ok(Some(target));
            }
            let to = parsed.with_flags(target);
            let from_path = self.dir.join(f.sub.dir()).join(&f.name);
            let to_path = self.dir.join("cur").join(&to);
            match fs::rename(&from_path, &to_path) {
                Ok(()) => {
                    self.files[i].sub = Sub::Cur;
                    self.files[i].name = to;
                    return Ok(Some(target));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    match scan::locate(&self.dir, &parsed)? {
                        Some(now) => {
                            self.files[i].sub = now.sub;
                            self.files[i].name = now.name;
                        }
                        None => return Ok(None),
                    }
                }
                Err(e) => return Err(Error::io("rename", from_path, e)),
            }
        }
        Ok(None)
    }

    fn expunge_files(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        let doomed = |m: &MessageInfo| {
            m.flags.contains(Flags::DELETED)
                && match scope {
                    ExpungeScope::AllDeleted => true,
                    ExpungeScope::Uids(u) => u.contains(&m.uid),
                }
        };
        let mut gone = Vec::new();
        let mut uids = HashSet::new();
        let mut i = 0;
        while i < self.infos.len() {
            if !doomed(&self.infos[i]) {
                i += 1;
                continue;
            }
            let f = self.files[i].clone();
            let path = self.dir.join(f.sub.dir()).join(&f.name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Some(now) = scan::locate(&self.dir, &last_name(&f.base, &f.name))? {
                        let p = self.dir.join(now.sub.dir()).join(&now.name);
                        match fs::remove_file(&p) {
                            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                                return Err(Error::io("remove", p, e));
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) => return Err(Error::io("remove", path, e)),
            }
            uids.insert(self.infos[i].uid);
            self.infos.remove(i);
            self.files.remove(i);
            gone.extend(SeqNo::from_index(i));
        }
        if !uids.is_empty() {
            let _lock = ListLock::acquire(&self.dir, self.cfg.mailbox_mode)?;
            if let Some(mut list) = uidlist::read(&self.dir)? {
                list.entries.retain(|e| !uids.contains(&e.uid));
                uidlist::write(&self.dir, &list, self.cfg.mailbox_mode)?;
            }
        }
        Ok(gone)
    }
}

/// The name a message was last seen under, taken apart.
fn last_name(base: &str, name: &str) -> FileName {
    FileName::parse(name).unwrap_or_else(|| FileName::bare(base))
}

impl Mailbox for MaildirMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Maildir
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        UidValidity::new(self.validity).unwrap_or(UidValidity::MIN)
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.next).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }

    fn can_create_keywords(&self) -> bool {
        self.access == Access::ReadWrite && self.keywords.len() < MAX_KEYWORDS
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.infos
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let i = seq.index();
        let f = self
            .files
            .get(i)
            .cloned()
            .ok_or(Error::NoSuchMessage(seq.get()))?;
        let (data, moved) = self.read_file(&f.base, f.sub, &f.name)?;
        if let Some(now) = moved {
            self.files[i].sub = now.sub;
            self.files[i].name = now.name;
        }
        let mut whole = Vec::with_capacity(data.len() + data.len() / 32);
        to_crlf(&data, &mut whole);
        let split = if whole.starts_with(b"\r\n") {
            2
        } else {
            memchr::memmem::find(&whole, b"\r\n\r\n").map_or(whole.len(), |p| p + 4)
        };
        Ok(match part {
            Part::Whole => whole,
            Part::Header => whole[..split].to_vec(),
            Part::Text => whole[split..].to_vec(),
        })
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
        // Keywords first: defining one may fail, and then nothing changes.
        let need_list = !keywords.is_empty() || op == FlagOp::Replace;
        let mut set = KeywordSet::EMPTY;
        let mut kw_changes: Vec<(Uid, KeywordSet)> = Vec::new();
        if need_list {
            let _lock = ListLock::acquire(&self.dir, self.cfg.mailbox_mode)?;
            let mut list = uidlist::read(&self.dir)?.ok_or_else(|| Error::ChangedUnderneath {
                what: "the maildir's UID list is gone".into(),
            })?;
            for k in keywords {
                match list.keywords.iter().position(|x| x == k) {
                    Some(i) => set.insert(i),
                    None if op == FlagOp::Remove => {}
                    None => {
                        let i = list.keyword_index(k).ok_or(Error::TooManyKeywords {
                            limit: MAX_KEYWORDS,
                        })?;
                        set.insert(i);
                    }
                }
            }
            let mut changed = list.keywords.len() != self.keywords.len();
            for s in seqs {
                let uid = self.infos[s.index()].uid;
                if let Some(e) = list.entries.iter_mut().find(|e| e.uid == uid) {
                    let new = common::apply_keywords(op, e.keywords, set);
                    if new != e.keywords {
                        e.keywords = new;
                        changed = true;
                    }
                    kw_changes.push((uid, new));
                }
            }
            if changed {
                uidlist::write(&self.dir, &list, self.cfg.mailbox_mode)?;
            }
            self.keywords = list.keywords;
            self.next = list.next;
        }
        for s in seqs {
            let i = s.index();
            if let Some(now) = self.rename_flags(i, op, flags)? {
                let info = &mut self.infos[i];
                info.flags = now.union(info.flags.intersect(Flags::RECENT));
            }
        }
        for (uid, set) in kw_changes {
            if let Some(info) = self.infos.iter_mut().find(|m| m.uid == uid) {
                info.keywords = set;
            }
        }
        Ok(())
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        self.expunge_files(scope)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        let (validity, uids) = append::append(&self.cfg, &self.dir, msgs)?;
        Ok(AppendOutcome {
            uids: Some((validity, uids)),
        })
    }

    fn check(&mut self) -> Result<()> {
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.sync()
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if how == Close::Expunge && self.access == Access::ReadWrite {
            self.expunge_files(ExpungeScope::AllDeleted)?;
        }
        Ok(())
    }

    fn derived(&self, kind: &str) -> crate::derived::Derived {
        let path = fs::metadata(&self.dir).ok().and_then(|m| {
            kind.bytes()
                .all(|b| b.is_ascii_alphanumeric())
                .then(|| self.cfg.own_state_dir())
                .flatten()
                .map(|d| d.join(format!("{:x}.{:x}.{kind}", m.dev(), m.ino())))
        });
        crate::derived::Derived::load(path, self.uid_validity())
    }
}
