//! Crash-safe changes to single-file mailboxes.
//!
//! A `unix` mailbox is rewritten in place, as c-client does: the spool directory is often
//! not ours to create files in, other programs hold the file open, and the `/tmp` lock
//! names the file by its inode, so a new file renamed over the old one is not an option.
//! c-client's in-place rewrite loses mail if the process dies half-way. Ours does not: every
//! change is first described in a journal, then carried out in an order in which each step
//! can be done again, and a process that finds a journal finishes the job before it reads
//! the mailbox.
//!
//! **What a change is.** A [`Plan`]: the mailbox's new contents expressed as moves of
//! existing byte ranges (`src → dst`) and writes of new bytes, plus the final length. The
//! steps run in this order:
//!
//! 1. the file is extended to the largest size it will need (`posix_fallocate`), so that
//!    running out of space happens before anything is overwritten and leaves the mailbox
//!    as it was;
//! 2. ranges moving towards the end, last first; then ranges moving towards the start,
//!    first first. Each is copied in chunks no longer than the distance it moves, so no
//!    chunk overwrites its own source, and (by the order) no step overwrites the source of a
//!    step still to come. Doing a step twice is therefore harmless;
//! 3. the new bytes (status blocks, pseudo-messages), whose sources are all in the journal;
//! 4. the file is cut to its final length and synced.
//!
//! The journal records the plan and, after each step, how many steps are done. It lives
//! beside the instance lock (`/tmp/.<dev>.<ino>.journal`, mode 0600).
//!
//! **Knowing a journal is current.** After our process dies, a UW process may open the
//! mailbox read-write and rewrite it; replaying our journal over that would destroy mail.
//! So the writer, which holds the instance lock, puts a random token after its PID in the
//! lock file (`<pid>\0<token>`: c-client reads the PID and stops at the NUL). Any process
//! that later takes the lock read-write overwrites the file with its own PID. A journal is
//! replayed only if the lock file still carries its token.
//!
//! **Appends** (made with or without the instance lock) are journaled by content: the
//! journal holds the bytes being appended and the old length. A half-written append is
//! taken back (the caller was not told it succeeded) only if the file still ends with a
//! prefix of exactly those bytes at exactly that place.
//!
//! Data written to the page cache survives the death of the process (`SIGKILL`, a crash of
//! the server); syncing the journal before the first step extends that to power loss on
//! filesystems that keep the order of writes to different files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::notify::{Level, Notify};

const MAGIC: &[u8; 8] = b"PANDAJ1\n";
/// Offset of the progress counter in the journal file.
const PROGRESS_AT: u64 = 8;
/// The largest chunk copied at once.
const MAX_CHUNK: u64 = 8 << 20;

/// A range of the old file that reappears elsewhere in the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub src: u64,
    pub dst: u64,
    pub len: u64,
}

/// A mailbox's new contents, relative to its current ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The file's length now.
    pub orig_len: u64,
    /// Its length afterwards.
    pub final_len: u64,
    /// Ranges that move (ranges that stay where they are are not listed).
    pub moves: Vec<Move>,
    /// New bytes: where they go and which part of `data` they are.
    pub writes: Vec<(u64, u32, u32)>,
    /// The bytes of all writes.
    pub data: Vec<u8>,
}

impl Plan {
    /// A plan that leaves a file of length `orig_len` as it is.
    pub fn new(orig_len: u64) -> Self {
        Plan {
            orig_len,
            final_len: orig_len,
            ..Plan::default()
        }
    }

    /// Adds a range that moves (nothing if it does not).
    pub fn move_range(&mut self, src: u64, dst: u64, len: u64) {
        if src == dst || len == 0 {
            return;
        }
        if let Some(last) = self.moves.last_mut()
            && last.src + last.len == src
            && last.dst + last.len == dst
        {
            last.len += len;
            return;
        }
        self.moves.push(Move { src, dst, len });
    }

    /// Adds new bytes at `dst`.
    pub fn write(&mut self, dst: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(last) = self.writes.last_mut()
            && last.0 + u64::from(last.2) == dst
            && last.1 as usize + last.2 as usize == self.data.len()
        {
            last.2 += bytes.len() as u32;
            self.data.extend_from_slice(bytes);
            return;
        }
        self.writes
            .push((dst, self.data.len() as u32, bytes.len() as u32));
        self.data.extend_from_slice(bytes);
    }

    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.moves.is_empty() && self.writes.is_empty() && self.final_len == self.orig_len
    }

    /// The length the file must have while the plan runs.
    fn extended_len(&self) -> u64 {
        let moves = self.moves.iter().map(|m| m.dst + m.len);
        let writes = self.writes.iter().map(|w| w.0 + u64::from(w.2));
        moves
            .chain(writes)
            .fold(self.orig_len.max(self.final_len), u64::max)
    }

    /// The copy steps, in the order that makes each one safe to repeat: chunks of at most
    /// [`MAX_CHUNK`] bytes; a chunk that overlaps its own destination is copied through the
    /// journal.
    fn copy_steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut push = |src: u64, dst: u64, len: u64| {
            steps.push(Step {
                src,
                dst,
                len,
                via: src.abs_diff(dst) < len,
            });
        };
        for m in self.moves.iter().filter(|m| m.dst > m.src).rev() {
            let mut end = m.len;
            while end > 0 {
                let n = end.min(MAX_CHUNK);
                end -= n;
                push(m.src + end, m.dst + end, n);
            }
        }
        for m in self.moves.iter().filter(|m| m.dst < m.src) {
            let mut at = 0;
            while at < m.len {
                let n = (m.len - at).min(MAX_CHUNK);
                push(m.src + at, m.dst + at, n);
                at += n;
            }
        }
        steps
    }
}

/// One copy of a chunk within the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    src: u64,
    dst: u64,
    len: u64,
    /// The chunk overlaps its destination: its bytes are saved in the journal first.
    via: bool,
}

/// Where journals live and how they are told apart.
#[derive(Debug)]
pub(crate) struct JournalPlace {
    /// The journal file.
    pub path: PathBuf,
    /// The mailbox's device and inode.
    pub id: (u64, u64),
}

impl JournalPlace {
    pub fn new(tmp_dir: &Path, (dev, ino): (u64, u64)) -> Self {
        JournalPlace {
            path: tmp_dir.join(format!(".{dev:x}.{ino:x}.journal")),
            id: (dev, ino),
        }
    }
}

/// The token that ties a rewrite journal to the holder of the instance lock.
pub(crate) fn new_token() -> u64 {
    let mut b = [0u8; 8];
    if getrandom_fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32);
    }
    u64::from_le_bytes(b).max(1)
}

fn getrandom_fill(b: &mut [u8]) -> io::Result<()> {
    use std::io::Read;
    File::open("/dev/urandom")?.read_exact(b)
}

/// Carries out `plan` on `file` (the mailbox at `path`), journaled at `place`. `token` is
/// the value the caller has put in the instance lock file for this rewrite.
pub(crate) fn rewrite(
    file: &File,
    path: &Path,
    plan: &Plan,
    place: &JournalPlace,
    token: u64,
) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let mut j = Journal::for_plan(plan, place, token);
    let jfile = create_journal(&place.path, &j.serialize())?;
    if let Err(e) = extend(file, plan.orig_len, j.ext_len) {
        let _ = file.set_len(plan.orig_len);
        let _ = file.sync_all();
        drop(jfile);
        let _ = fs::remove_file(&place.path);
        return Err(Error::io("extend mailbox", path, e));
    }
    run(file, path, &jfile, &j, 0)?;
    drop(jfile);
    let _ = fs::remove_file(&place.path);
    Ok(())
}

/// Starts an append at `at` (the file's current end): journals the old length and the
/// first bytes to be written (`signature`), so that a half-written append can be
/// recognised and taken back.
pub(crate) fn begin_append(
    file: &File,
    path: &Path,
    at: u64,
    signature: &[u8],
    place: &JournalPlace,
) -> Result<()> {
    let _ = (file, path);
    let mut j = Journal {
        kind: Kind::Append,
        progress: at + signature.len() as u64,
        id: place.id,
        token: 0,
        orig_len: at,
        ext_len: at,
        final_len: at,
        steps: Vec::new(),
        writes: Vec::new(),
        append: signature.to_vec(),
        slot_at: 0,
    };
    drop(create_journal(&place.path, &j.serialize())?);
    Ok(())
}

/// Records that the append will have written up to `end` (before writing it).
pub(crate) fn note_append_end(place: &JournalPlace, end: u64) -> Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&place.path)
        .map_err(|e| Error::io("open", &place.path, e))?;
    f.write_all_at(&end.to_le_bytes(), PROGRESS_AT)
        .map_err(|e| Error::io("write journal", &place.path, e))
}

/// Ends an append: its journal is no longer needed.
pub(crate) fn end_append(place: &JournalPlace) {
    let _ = fs::remove_file(&place.path);
}

/// What [`recover`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// There was no journal.
    None,
    /// An interrupted rewrite was finished.
    RewriteFinished,
    /// An interrupted append was taken back.
    AppendUndone,
    /// A journal was found that no longer applies, and was removed.
    Discarded,
}

/// Finishes or undoes a change that a dead process left half-done. The caller holds the
/// mailbox exclusively (dot-lock and `flock`) and, for rewrites, may pass the token found in
/// the instance lock file (`None` when it could not read it or does not hold the lock).
pub(crate) fn recover(
    file: &File,
    path: &Path,
    place: &JournalPlace,
    lock_token: Option<u64>,
    notify: &dyn Notify,
) -> Result<Recovery> {
    let meta = match fs::symlink_metadata(&place.path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Recovery::None),
        Err(e) => return Err(Error::io("stat", &place.path, e)),
    };
    let euid = nix::unistd::geteuid().as_raw();
    let owner_ok = meta.file_type().is_file()
        && meta.nlink() == 1
        && (meta.uid() == euid
            || meta.uid() == 0
            || file.metadata().is_ok_and(|m| m.uid() == meta.uid()))
        && meta.mode() & 0o077 == 0;
    if !owner_ok {
        notify.notice(
            Level::Critical,
            &format!(
                "SECURITY PROBLEM: ignoring journal not made by the mailbox owner: {}",
                place.path.display()
            ),
        );
        return Ok(Recovery::None);
    }
    let bytes = match fs::read(&place.path) {
        Ok(b) => b,
        Err(e) => return Err(Error::io("read", &place.path, e)),
    };
    let Some(j) = Journal::parse(&bytes).filter(|j| j.id == place.id) else {
        // Torn while being written: nothing was done to the mailbox yet.
        let _ = fs::remove_file(&place.path);
        return Ok(Recovery::Discarded);
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    match j.kind {
        Kind::Append => {
            // `progress` holds how far the append meant to write.
            let sig = &j.append;
            let ok = len >= j.orig_len && len <= j.progress.max(j.orig_len) && {
                let n = ((len - j.orig_len) as usize).min(sig.len());
                let mut cur = vec![0u8; n];
                file.read_exact_at(&mut cur, j.orig_len).is_ok() && sig.starts_with(&cur)
            };
            if ok {
                file.set_len(j.orig_len)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::io("truncate", path, e))?;
                notify.notice(
                    Level::Warn,
                    &format!(
                        "Took back an interrupted append to {} ({} bytes)",
                        path.display(),
                        len - j.orig_len
                    ),
                );
            }
            let _ = fs::remove_file(&place.path);
            Ok(if ok {
                Recovery::AppendUndone
            } else {
                Recovery::Discarded
            })
        }
        Kind::Rewrite => {
            if lock_token != Some(j.token) || len < j.orig_len.min(j.ext_len) {
                let _ = fs::remove_file(&place.path);
                return Ok(Recovery::Discarded);
            }
            let mut j = j;
            if len > j.ext_len {
                // Somebody appended after we died: their mail moves down with the rest.
                let extra = len - j.ext_len;
                let (src, dst) = (j.ext_len, j.final_len);
                let mut tail = Plan::new(len);
                tail.move_range(src, dst, extra);
                j.steps.extend(tail.copy_steps());
                j.slot_at = 0;
                j.final_len += extra;
                j.ext_len = len;
                // Record the longer plan before carrying it out.
                let bytes = j.serialize();
                let _ = fs::remove_file(&place.path);
                let jf = create_journal(&place.path, &bytes)?;
                extend(file, len, j.ext_len).map_err(|e| Error::io("extend mailbox", path, e))?;
                let from = j.progress;
                run(file, path, &jf, &j, from)?;
            } else {
                extend(file, len, j.ext_len).map_err(|e| Error::io("extend mailbox", path, e))?;
                let jf = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .custom_flags(nix::libc::O_NOFOLLOW)
                    .open(&place.path)
                    .map_err(|e| Error::io("open", &place.path, e))?;
                let from = j.progress;
                run(file, path, &jf, &j, from)?;
            }
            let _ = fs::remove_file(&place.path);
            notify.notice(
                Level::Warn,
                &format!("Finished an interrupted rewrite of {}", path.display()),
            );
            Ok(Recovery::RewriteFinished)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rewrite = 1,
    Append = 2,
}

#[derive(Debug)]
struct Journal {
    kind: Kind,
    progress: u64,
    id: (u64, u64),
    token: u64,
    orig_len: u64,
    ext_len: u64,
    final_len: u64,
    steps: Vec<Step>,
    writes: Vec<(u64, Vec<u8>)>,
    append: Vec<u8>,
    /// Where the chunk slot starts in the journal file (set when serialized).
    slot_at: u64,
}

impl Journal {
    /// The journal of a rewrite.
    fn for_plan(plan: &Plan, place: &JournalPlace, token: u64) -> Journal {
        Journal {
            kind: Kind::Rewrite,
            progress: 0,
            id: place.id,
            token,
            orig_len: plan.orig_len,
            ext_len: plan.extended_len(),
            final_len: plan.final_len,
            steps: plan.copy_steps(),
            writes: plan
                .writes
                .iter()
                .map(|&(d, s, l)| (d, plan.data[s as usize..(s + l) as usize].to_vec()))
                .collect(),
            append: Vec::new(),
            slot_at: 0,
        }
    }

    fn parse(b: &[u8]) -> Option<Journal> {
        if b.len() < 32 || &b[..8] != MAGIC {
            return None;
        }
        let len = usize::try_from(u64::from_le_bytes(b[16..24].try_into().ok()?)).ok()?;
        if len < 32 || len > b.len() {
            return None;
        }
        let (body, sum) = b[..len].split_at(len - 8);
        if checksum(&body[16..]) != u64::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let slot_at = len as u64;
        let mut r = Reader { b: body, at: 8 };
        let progress = r.u64()?;
        let _len = r.u64()?;
        let kind = match r.u64()? {
            1 => Kind::Rewrite,
            2 => Kind::Append,
            _ => return None,
        };
        let id = (r.u64()?, r.u64()?);
        let token = r.u64()?;
        let orig_len = r.u64()?;
        let ext_len = r.u64()?;
        let final_len = r.u64()?;
        let mut j = Journal {
            kind,
            progress,
            id,
            token,
            orig_len,
            ext_len,
            final_len,
            steps: Vec::new(),
            writes: Vec::new(),
            append: Vec::new(),
            slot_at,
        };
        match kind {
            Kind::Append => {
                let n = r.u64()? as usize;
                j.append = r.bytes(n)?.to_vec();
            }
            Kind::Rewrite => {
                let n = r.u64()? as usize;
                for _ in 0..n {
                    j.steps.push(Step {
                        src: r.u64()?,
                        dst: r.u64()?,
                        len: r.u64()?,
                        via: r.u64()? != 0,
                    });
                }
                let n = r.u64()? as usize;
                for _ in 0..n {
                    let dst = r.u64()?;
                    let len = r.u64()? as usize;
                    j.writes.push((dst, r.bytes(len)?.to_vec()));
                }
            }
        }
        let progress_ok = kind == Kind::Append || j.progress <= j.steps.len() as u64;
        (r.at == body.len() && progress_ok).then_some(j)
    }

    /// The journal's bytes; the chunk slot follows them.
    fn serialize(&mut self) -> Vec<u8> {
        let mut j = Vec::new();
        j.extend_from_slice(MAGIC);
        put(&mut j, self.progress);
        put(&mut j, 0); // length, filled in below
        put(&mut j, self.kind as u64);
        put(&mut j, self.id.0);
        put(&mut j, self.id.1);
        put(&mut j, self.token);
        put(&mut j, self.orig_len);
        put(&mut j, self.ext_len);
        put(&mut j, self.final_len);
        match self.kind {
            Kind::Append => {
                put(&mut j, self.append.len() as u64);
                j.extend_from_slice(&self.append);
            }
            Kind::Rewrite => {
                put(&mut j, self.steps.len() as u64);
                for s in &self.steps {
                    put(&mut j, s.src);
                    put(&mut j, s.dst);
                    put(&mut j, s.len);
                    put(&mut j, u64::from(s.via));
                }
                put(&mut j, self.writes.len() as u64);
                for (dst, data) in &self.writes {
                    put(&mut j, *dst);
                    put(&mut j, data.len() as u64);
                    j.extend_from_slice(data);
                }
            }
        }
        let len = j.len() as u64 + 8;
        j[16..24].copy_from_slice(&len.to_le_bytes());
        let sum = checksum(&j[16..]);
        put(&mut j, sum);
        self.slot_at = j.len() as u64;
        j
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u64(&mut self) -> Option<u64> {
        let v = self.b.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(v.try_into().ok()?))
    }

    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let v = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(v)
    }
}

fn put(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// FNV-1a, 64 bits: enough to tell a torn journal from a whole one.
fn checksum(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn create_journal(path: &Path, bytes: &[u8]) -> Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .mode(0o600)
            .open(path)
    };
    let f = match open() {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            // A leftover the caller has already judged (recover runs first): ours to replace
            // only if it is ours.
            let m = fs::symlink_metadata(path).map_err(|e| Error::io("stat", path, e))?;
            if m.file_type().is_file() && m.uid() == nix::unistd::geteuid().as_raw() {
                fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
                open().map_err(|e| Error::io("create journal", path, e))?
            } else {
                return Err(Error::Lock {
                    path: path.to_owned(),
                    what: "journal name taken by another user".into(),
                });
            }
        }
        Err(e) => return Err(Error::io("create journal", path, e)),
    };
    if let Err(e) = f.write_all_at(bytes, 0).and_then(|()| f.sync_data()) {
        drop(f);
        let _ = fs::remove_file(path);
        return Err(Error::io("write journal", path, e));
    }
    Ok(f)
}

/// Makes sure the bytes `[from, to)` of `file` are allocated (a no-op when `to <= from`).
fn extend(file: &File, from: u64, to: u64) -> io::Result<()> {
    if to <= from {
        return Ok(());
    }
    match nix::fcntl::posix_fallocate(file.as_fd(), from as i64, (to - from) as i64) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EOPNOTSUPP | nix::errno::Errno::EINVAL) => {
            // Filesystems without fallocate: write the zeros ourselves.
            let zeros = vec![0u8; (to - from).min(1 << 20) as usize];
            let mut at = from;
            while at < to {
                let n = (to - at).min(zeros.len() as u64) as usize;
                file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            file.sync_data()
        }
        Err(e) => Err(io::Error::from(e)),
    }
}

/// Runs the journal's steps from `from` on, then the writes, the final cut and the sync.
fn run(file: &File, path: &Path, jfile: &File, j: &Journal, from: u64) -> Result<()> {
    let io = |e| Error::io("rewrite", path, e);
    run_steps(file, path, jfile, j, from, j.steps.len() as u64)?;
    for (dst, data) in &j.writes {
        file.write_all_at(data, *dst).map_err(io)?;
    }
    file.set_len(j.final_len).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Runs steps `from..until`, recording each in the journal.
fn run_steps(
    file: &File,
    path: &Path,
    jfile: &File,
    j: &Journal,
    from: u64,
    until: u64,
) -> Result<()> {
    let io = |e| Error::io("rewrite", path, e);
    let jio = |e| Error::io("write journal", path, e);
    let mut buf = Vec::new();
    let mut from = from as usize;
    let until = (until as usize).min(j.steps.len());
    // A chunk saved in the slot for the step that was under way is written from there:
    // its source may already be partly overwritten.
    if let Some(step) = j.steps.get(from).filter(|_| from < until)
        && step.via
        && read_slot(jfile, j.slot_at, from as u64, &mut buf)
    {
        file.write_all_at(&buf, step.dst).map_err(io)?;
        from += 1;
        jfile
            .write_all_at(&(from as u64).to_le_bytes(), PROGRESS_AT)
            .map_err(jio)?;
    }
    for (i, s) in j.steps.iter().enumerate().take(until).skip(from) {
        if s.via {
            buf.resize(s.len as usize, 0);
            file.read_exact_at(&mut buf, s.src).map_err(io)?;
            write_slot(jfile, j.slot_at, i as u64, &buf).map_err(jio)?;
            file.write_all_at(&buf, s.dst).map_err(io)?;
        } else {
            copy_within(file, s, &mut buf).map_err(io)?;
        }
        jfile
            .write_all_at(&(i as u64 + 1).to_le_bytes(), PROGRESS_AT)
            .map_err(jio)?;
    }
    Ok(())
}

/// Saves the source bytes of step `step` in the journal's slot: step number, length,
/// checksum, bytes.
fn write_slot(jfile: &File, at: u64, step: u64, data: &[u8]) -> io::Result<()> {
    let mut head = Vec::with_capacity(24);
    put(&mut head, step);
    put(&mut head, data.len() as u64);
    put(&mut head, checksum(data));
    // Invalidate the old slot first, so that a torn write is never taken for a whole one.
    jfile.write_all_at(&[0u8; 24], at)?;
    jfile.write_all_at(data, at + 24)?;
    jfile.write_all_at(&head, at)
}

/// Reads the slot into `buf` if it holds a whole copy of step `step`'s bytes.
fn read_slot(jfile: &File, at: u64, step: u64, buf: &mut Vec<u8>) -> bool {
    let mut head = [0u8; 24];
    if jfile.read_exact_at(&mut head, at).is_err() {
        return false;
    }
    let word = |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    if word(0) != step || word(1) > MAX_CHUNK {
        return false;
    }
    buf.resize(word(1) as usize, 0);
    jfile.read_exact_at(buf, at + 24).is_ok() && checksum(buf) == word(2)
}

/// Copies one step's bytes within `file` (source and destination never overlap).
fn copy_within(file: &File, s: &Step, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut done = 0u64;
    while done < s.len {
        let mut off_in = (s.src + done) as i64;
        let mut off_out = (s.dst + done) as i64;
        match nix::fcntl::copy_file_range(
            file.as_fd(),
            Some(&mut off_in),
            file.as_fd(),
            Some(&mut off_out),
            (s.len - done) as usize,
        ) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "mailbox ended during a copy",
                ));
            }
            Ok(n) => done += n as u64,
            Err(nix::errno::Errno::EINTR) => {}
            Err(
                nix::errno::Errno::EXDEV
                | nix::errno::Errno::EINVAL
                | nix::errno::Errno::ENOSYS
                | nix::errno::Errno::EOPNOTSUPP,
            ) => {
                let rest = (s.len - done) as usize;
                buf.resize(rest, 0);
                file.read_exact_at(buf, s.src + done)?;
                file.write_all_at(buf, s.dst + done)?;
                return Ok(());
            }
            Err(e) => return Err(io::Error::from(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Silent;

    /// Applies a plan to bytes in memory: the meaning every executor must agree with.
    fn apply(old: &[u8], plan: &Plan) -> Vec<u8> {
        let mut new = old.to_vec();
        new.resize(plan.extended_len() as usize, 0);
        for m in &plan.moves {
            new[m.dst as usize..(m.dst + m.len) as usize]
                .copy_from_slice(&old[m.src as usize..(m.src + m.len) as usize]);
        }
        for &(dst, s, l) in &plan.writes {
            new[dst as usize..dst as usize + l as usize]
                .copy_from_slice(&plan.data[s as usize..(s + l) as usize]);
        }
        new.truncate(plan.final_len as usize);
        new
    }

    /// A plan that keeps `keep` ranges of `old`, in order, with `insert` bytes before each.
    fn plan_of(old_len: u64, parts: &[(u64, u64, &[u8])]) -> Plan {
        let mut p = Plan::new(old_len);
        let mut at = 0;
        for &(src, len, ins) in parts {
            p.write(at, ins);
            at += ins.len() as u64;
            p.move_range(src, at, len);
            at += len;
        }
        p.final_len = at;
        p
    }

    fn setup(content: &[u8]) -> (tempfile::TempDir, File, PathBuf, JournalPlace) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mbox");
        fs::write(&path, content).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let m = file.metadata().unwrap();
        let place = JournalPlace::new(dir.path(), (m.dev(), m.ino()));
        (dir, file, path, place)
    }

    fn content() -> Vec<u8> {
        (0..5000u32)
            .flat_map(|i| format!("line {i:05}\n").into_bytes())
            .collect()
    }

    fn plans(old: &[u8]) -> Vec<Plan> {
        let n = old.len() as u64;
        vec![
            // Expunge near the start: everything slides down a little.
            plan_of(n, &[(0, 100, b""), (150, n - 150, b"")]),
            // Grow every piece: everything slides up by growing amounts.
            plan_of(
                n,
                &[
                    (0, 1000, b"AAAA"),
                    (1000, 20000, b"B"),
                    (21000, n - 21000, b"CCCCCCCCCC"),
                ],
            ),
            // Mixed: shrink, grow, shrink.
            plan_of(
                n,
                &[
                    (0, 10, b"x"),
                    (500, 20000, &[b'y'; 600]),
                    (30000, 10000, b""),
                    (45000, n - 45000, b"zz"),
                ],
            ),
            // Drop the end.
            plan_of(n, &[(0, n / 2, b"")]),
        ]
    }

    #[test]
    fn rewrites_produce_the_planned_bytes() {
        let old = content();
        for plan in plans(&old) {
            let (_d, file, path, place) = setup(&old);
            rewrite(&file, &path, &plan, &place, 7).unwrap();
            same(&fs::read(&path).unwrap(), &apply(&old, &plan), "rewrite");
            assert!(!place.path.exists());
        }
    }

    fn same(a: &[u8], b: &[u8], what: &str) {
        if a != b {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            panic!(
                "{what}: lengths {} and {}, first difference at {at}",
                a.len(),
                b.len()
            );
        }
    }

    fn rewrite_journal(plan: &Plan, place: &JournalPlace, token: u64) -> Journal {
        Journal::for_plan(plan, place, token)
    }

    #[test]
    fn an_interrupted_rewrite_is_finished_from_any_step() {
        let old = content();
        for (n, plan) in plans(&old).into_iter().enumerate() {
            let expected = apply(&old, &plan);
            let steps = plan.copy_steps().len();
            let mut stops: Vec<usize> = (0..steps.min(4)).collect();
            stops.extend([
                steps / 3,
                steps / 2,
                steps.saturating_sub(2),
                steps.saturating_sub(1),
                steps,
            ]);
            stops.extend((0..12).map(|k| (k * 7919) % (steps + 1)));
            stops.sort_unstable();
            stops.dedup();
            for stop in stops {
                for lost_progress in [false, true] {
                    let (_d, file, path, place) = setup(&old);
                    // Do the first `stop` steps as the writer would have before it died.
                    let token = 99;
                    let mut j = rewrite_journal(&plan, &place, token);
                    let jbytes = j.serialize();
                    let jf = create_journal(&place.path, &jbytes).unwrap();
                    extend(&file, plan.orig_len, plan.extended_len()).unwrap();
                    run_steps(&file, &path, &jf, &j, 0, stop as u64).unwrap();
                    if lost_progress && stop > 0 {
                        // The progress record of the last step may not have been written.
                        jf.write_all_at(&((stop - 1) as u64).to_le_bytes(), PROGRESS_AT)
                            .unwrap();
                    }
                    drop(jf);
                    // With another token in the lock file the journal is stale.
                    let saved = fs::read(&place.path).unwrap();
                    assert_eq!(
                        recover(&file, &path, &place, Some(token + 1), &Silent).unwrap(),
                        Recovery::Discarded
                    );
                    fs::write(&place.path, &saved).unwrap();
                    fs::set_permissions(
                        &place.path,
                        std::os::unix::fs::PermissionsExt::from_mode(0o600),
                    )
                    .unwrap();
                    assert_eq!(
                        recover(&file, &path, &place, Some(token), &Silent).unwrap(),
                        Recovery::RewriteFinished
                    );
                    same(
                        &fs::read(&path).unwrap(),
                        &expected,
                        &format!("plan {n}, stopped after {stop} steps, lost {lost_progress}"),
                    );
                }
            }
        }
    }

    #[test]
    fn mail_appended_after_a_crash_survives_recovery() {
        let old = content();
        let n = old.len() as u64;
        let plan = plan_of(n, &[(0, 100, b""), (5000, n - 5000, b"")]);
        let (_d, file, path, place) = setup(&old);
        let jbytes = rewrite_journal(&plan, &place, 5).serialize();
        drop(create_journal(&place.path, &jbytes).unwrap());
        file.write_all_at(b"NEW MAIL\n", n).unwrap();
        recover(&file, &path, &place, Some(5), &Silent).unwrap();
        let mut expected = apply(&old, &plan);
        expected.extend_from_slice(b"NEW MAIL\n");
        same(&fs::read(&path).unwrap(), &expected, "tail");
    }

    #[test]
    fn half_written_appends_are_taken_back() {
        let old = content();
        let n = old.len() as u64;
        let data = b"From x Wed Dec  2 05:53 1992\n\nhello\n\n".to_vec();
        for written in 0..=data.len() {
            let (_d, file, path, place) = setup(&old);
            begin_append(&file, &path, n, &data[..10], &place).unwrap();
            note_append_end(&place, n + data.len() as u64).unwrap();
            file.write_all_at(&data[..written], n).unwrap();
            assert_eq!(
                recover(&file, &path, &place, None, &Silent).unwrap(),
                Recovery::AppendUndone
            );
            assert_eq!(fs::read(&path).unwrap(), old);
            // If something else changed the end meanwhile, the journal is stale.
            begin_append(&file, &path, n, &data[..10], &place).unwrap();
            note_append_end(&place, n + data.len() as u64).unwrap();
            file.write_all_at(b"Other", n).unwrap();
            assert_eq!(
                recover(&file, &path, &place, None, &Silent).unwrap(),
                Recovery::Discarded
            );
            assert_eq!(fs::metadata(&path).unwrap().len(), n + 5);
        }
    }

    #[test]
    fn torn_journals_are_ignored() {
        let old = content();
        let (_d, file, path, place) = setup(&old);
        let plan = plans(&old).remove(0);
        rewrite(&file, &path, &plan, &place, 1).unwrap();
        let after = fs::read(&path).unwrap();
        let j = Journal {
            kind: Kind::Rewrite,
            progress: 0,
            id: place.id,
            token: 1,
            orig_len: 0,
            ext_len: 0,
            final_len: 0,
            steps: vec![],
            writes: vec![],
            append: vec![],
            slot_at: 0,
        }
        .serialize();
        fs::write(&place.path, &j[..j.len() - 3]).unwrap();
        fs::set_permissions(
            &place.path,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        assert_eq!(
            recover(&file, &path, &place, Some(1), &Silent).unwrap(),
            Recovery::Discarded
        );
        assert_eq!(fs::read(&path).unwrap(), after);
    }

    #[test]
    fn out_of_space_leaves_the_mailbox_as_it_was() {
        // RLIMIT_FSIZE makes growth fail the way a full disk does; run in a child process so
        // the limit does not reach other tests.
        if std::env::var_os("PANDA_JOURNAL_FSIZE_CHILD").is_some() {
            let old = content();
            let (_d, file, path, place) = setup(&old);
            let hit = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            signal_hook::flag::register(signal_hook::consts::SIGXFSZ, hit).unwrap();
            nix::sys::resource::setrlimit(
                nix::sys::resource::Resource::RLIMIT_FSIZE,
                old.len() as u64 + 10,
                old.len() as u64 + 10,
            )
            .unwrap();
            let plan = plans(&old).remove(1);
            assert!(rewrite(&file, &path, &plan, &place, 1).is_err());
            assert_eq!(fs::read(&path).unwrap(), old);
            assert!(!place.path.exists());
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "journal::tests::out_of_space_leaves_the_mailbox_as_it_was",
                "--nocapture",
            ])
            .env("PANDA_JOURNAL_FSIZE_CHILD", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    }
}
