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
//! existing byte ranges (`src → dst`) and writes of new bytes, plus the final length. It is
//! carried out in three states, recorded in the journal:
//!
//! 1. *planned*: the file is extended to the largest size it will need
//!    (`posix_fallocate`), so that running out of space happens before anything is
//!    overwritten, and leaves the mailbox as it was;
//! 2. *extended*: ranges moving towards the end are copied last first, then ranges moving
//!    towards the start first first, in chunks of at most 8 MiB; by this order no chunk
//!    overwrites the source of a chunk still to come. A chunk that overlaps its own
//!    destination is first saved in the journal (the "slot"), so that it can be written
//!    again from there. The journal counts the chunks done. Then the new bytes (status
//!    blocks, pseudo-messages), which are in the journal, are written;
//! 3. *cutting*: the journal records a fingerprint of the leftover bytes past the final
//!    length, then the file is cut and synced, and the journal removed. A process that
//!    finds a journal in this state knows from the fingerprint whether the cut happened, so
//!    mail that a delivery agent appended after a crash is never cut off or overwritten.
//!
//! Mail appended by others while a rewrite was interrupted (the "tail") is moved down with
//! a journal of its own, which replaces the first one atomically once that is finished.
//!
//! **Where journals live.** In the store's own directory (`StoreConfig::state_dir`, by
//! default `~/.cache/panda-imap`, mode 0700, so that no other user can plant or block
//! them), or in `/tmp` when that directory cannot be used; `<dev>.<ino>.journal`, mode 0600.
//!
//! **Knowing a journal is current.** After our process dies, a UW process may open the
//! mailbox read-write and rewrite it; replaying our journal over that would destroy mail.
//! So the writer, which holds the instance lock, puts a random token after its PID in the
//! lock file (`<pid>\0<token>`: c-client reads the PID and stops at the NUL). Any process
//! that later takes the lock read-write overwrites the file with its own PID. A rewrite
//! journal is replayed only by a holder of the instance lock whose lock file still carries
//! the journal's token; others leave it alone.
//!
//! **Appends** (made with or without the instance lock) are journaled by content: the
//! journal holds the old length, how far the append meant to write, and its first bytes. A
//! half-written append is taken back (its caller was not told it succeeded) only if the
//! file ends, no further than that, with a prefix of exactly those bytes at exactly that
//! place.
//!
//! What is written survives the death of the process (`SIGKILL`, a crash of the server):
//! the kernel keeps it. The journal is synced before the mailbox is touched, and the
//! mailbox before the journal is removed; syncing each step is not done, so after a power
//! failure in the middle of a rewrite the file may still need repair.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::notify::{Level, Notify};

const MAGIC: &[u8; 8] = b"PANDAJ2\n";
/// Offsets of the fields that change while the journal is carried out.
const PROGRESS_AT: u64 = 8;
const STATE_AT: u64 = 16;
const SIGNATURE_AT: u64 = 24;
/// Where the fixed part's length is, and where the checksummed part starts.
const LENGTH_AT: usize = 32;
/// The largest chunk copied at once.
const MAX_CHUNK: u64 = 8 << 20;
/// How much of the leftover bytes at each end the cut fingerprint covers.
const CUT_SAMPLE: u64 = 4096;

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

/// Where a mailbox's journal is.
#[derive(Debug)]
pub(crate) struct JournalPlace {
    /// The journal file.
    pub path: PathBuf,
    /// The mailbox's device and inode.
    pub id: (u64, u64),
}

impl JournalPlace {
    /// The journal of the mailbox with device and inode `id`, in directory `dir`.
    pub fn new(dir: &Path, (dev, ino): (u64, u64)) -> Self {
        JournalPlace {
            path: dir.join(format!("{dev:x}.{ino:x}.journal")),
            id: (dev, ino),
        }
    }
}

/// The token that ties a rewrite journal to the holder of the instance lock.
pub(crate) fn new_token() -> u64 {
    let mut b = [0u8; 8];
    let random = File::open("/dev/urandom").and_then(|mut f| {
        use std::io::Read;
        f.read_exact(&mut b)
    });
    if random.is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32) | 1;
    }
    u64::from_le_bytes(b).max(1)
}

/// Carries out `plan` on `file` (the mailbox at `path`), journaled at `place`. `token` is
/// the value the caller has put in the instance lock file for this rewrite. A journal
/// already there is an error: it must be recovered first.
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
    set_state(&jfile, State::Extended, 0).map_err(|e| Error::io("write journal", path, e))?;
    j.state = State::Extended;
    drive(file, path, &place.path, &jfile, &j)
}

/// Starts an append at `at` (the file's current end): journals the old length and the
/// first bytes to be written (`signature`), so that a half-written append can be
/// recognised and taken back.
pub(crate) fn begin_append(at: u64, signature: &[u8], place: &JournalPlace) -> Result<()> {
    let mut j = Journal {
        kind: Kind::Append,
        progress: at + signature.len() as u64,
        state: State::Planned,
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
    /// A rewrite journal is there that this process may not act on (another process
    /// holds the mailbox); it was left alone.
    Pending,
}

/// Who is looking at a journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// A holder of the instance lock, which found this token (or none) in the lock file.
    Lock(Option<u64>),
    /// A process without the instance lock: rewrite journals are not its business.
    Outside,
}

/// Finishes or undoes what a dead process left half-done. The caller holds the mailbox
/// file exclusively (dot-lock and `flock`).
pub(crate) fn recover(
    file: &File,
    path: &Path,
    place: &JournalPlace,
    holder: Holder,
    notify: &dyn Notify,
) -> Result<Recovery> {
    let meta = match fs::symlink_metadata(&place.path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Recovery::None),
        Err(e) => return Err(Error::io("stat", &place.path, e)),
    };
    let euid = nix::unistd::geteuid().as_raw();
    if !meta.file_type().is_file() || meta.nlink() != 1 || meta.uid() != euid {
        notify.notice(
            Level::Critical,
            &format!(
                "SECURITY PROBLEM: ignoring journal not made by this user: {}",
                place.path.display()
            ),
        );
        return Ok(Recovery::Pending);
    }
    let bytes = fs::read(&place.path).map_err(|e| Error::io("read", &place.path, e))?;
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
        Kind::Append => recover_append(file, path, place, &j, len, notify),
        Kind::Rewrite => {
            let token = match holder {
                Holder::Outside => return Ok(Recovery::Pending),
                Holder::Lock(t) => t,
            };
            if token != Some(j.token) {
                let _ = fs::remove_file(&place.path);
                return Ok(Recovery::Discarded);
            }
            recover_rewrite(file, path, place, j, len)?;
            notify.notice(
                Level::Warn,
                &format!("Finished an interrupted rewrite of {}", path.display()),
            );
            Ok(Recovery::RewriteFinished)
        }
    }
}

fn recover_append(
    file: &File,
    path: &Path,
    place: &JournalPlace,
    j: &Journal,
    len: u64,
    notify: &dyn Notify,
) -> Result<Recovery> {
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

fn recover_rewrite(
    file: &File,
    path: &Path,
    place: &JournalPlace,
    j: Journal,
    len: u64,
) -> Result<()> {
    let jio = |e| Error::io("write journal", &place.path, e);
    match j.state {
        State::Planned => {
            // Nothing was moved; take back a partial extension (zeros) if there is one.
            if len > j.orig_len && len <= j.ext_len && all_zero(file, j.orig_len, len) {
                file.set_len(j.orig_len)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::io("truncate", path, e))?;
            }
            let _ = fs::remove_file(&place.path);
            Ok(())
        }
        State::Extended | State::Cutting(_) if len < j.ext_len => {
            let cut = matches!(j.state, State::Cutting(sig) if sig != cut_signature(file, j.final_len, j.ext_len));
            if cut {
                let _ = fs::remove_file(&place.path);
                return Ok(());
            }
            Err(Error::Corrupt {
                path: path.to_owned(),
                offset: len,
                what: format!(
                    "mailbox is shorter ({len} bytes) than an interrupted rewrite left it ({} bytes); left as it is",
                    j.ext_len
                ),
            })
        }
        State::Extended => {
            let jfile = open_journal(&place.path)?;
            run_steps(file, path, &jfile, &j, j.progress, j.steps.len() as u64)?;
            write_new_bytes(file, path, &j)?;
            let sig = cut_signature(file, j.final_len, j.ext_len);
            set_state(&jfile, State::Cutting(sig), sig).map_err(jio)?;
            finish_cut(file, path, place, j, len)
        }
        State::Cutting(sig) => {
            if sig == cut_signature(file, j.final_len, j.ext_len) {
                finish_cut(file, path, place, j, len)
            } else {
                // The cut happened; whatever follows the final length came later.
                let _ = fs::remove_file(&place.path);
                Ok(())
            }
        }
    }
}

/// The plan is done up to the cut; `len` is the file's length now. Mail appended after
/// the plan's extended length moves down to the final length, under a journal of its own.
fn finish_cut(file: &File, path: &Path, place: &JournalPlace, j: Journal, len: u64) -> Result<()> {
    let tail = len.saturating_sub(j.ext_len);
    if tail == 0 || j.final_len == j.ext_len {
        let io = |e| Error::io("rewrite", path, e);
        file.set_len(j.final_len + tail).map_err(io)?;
        file.sync_all().map_err(io)?;
        let _ = fs::remove_file(&place.path);
        return Ok(());
    }
    let mut plan = Plan::new(len);
    plan.move_range(j.ext_len, j.final_len, tail);
    plan.final_len = j.final_len + tail;
    let mut next = Journal::for_plan(&plan, place, j.token);
    next.state = State::Extended;
    let jfile = replace_journal(&place.path, &next.serialize())?;
    drive(file, path, &place.path, &jfile, &next)
}

/// Carries out an extended journal to the end.
fn drive(file: &File, path: &Path, jpath: &Path, jfile: &File, j: &Journal) -> Result<()> {
    let jio = |e| Error::io("write journal", jpath, e);
    run_steps(file, path, jfile, j, j.progress, j.steps.len() as u64)?;
    write_new_bytes(file, path, j)?;
    let sig = cut_signature(file, j.final_len, j.ext_len);
    set_state(jfile, State::Cutting(sig), sig).map_err(jio)?;
    let io = |e| Error::io("rewrite", path, e);
    file.set_len(j.final_len).map_err(io)?;
    file.sync_all().map_err(io)?;
    let _ = fs::remove_file(jpath);
    Ok(())
}

fn write_new_bytes(file: &File, path: &Path, j: &Journal) -> Result<()> {
    for (dst, data) in &j.writes {
        file.write_all_at(data, *dst)
            .map_err(|e| Error::io("rewrite", path, e))?;
    }
    Ok(())
}

/// A fingerprint of the bytes `[from, to)` (their length and the first and last 4 KiB):
/// what is cut off at the end of a rewrite. Zero when there is nothing to cut.
fn cut_signature(file: &File, from: u64, to: u64) -> u64 {
    if to <= from {
        return 0;
    }
    let mut h = fold(FNV_START, &(to - from).to_le_bytes());
    let mut read = |at: u64, n: u64| {
        let mut b = vec![0u8; n as usize];
        match file.read_exact_at(&mut b, at) {
            Ok(()) => h = fold(h, &b),
            Err(_) => h = fold(h, b"unreadable"),
        }
    };
    let n = (to - from).min(CUT_SAMPLE);
    read(from, n);
    read(to - n, n);
    h.max(1)
}

fn all_zero(file: &File, from: u64, to: u64) -> bool {
    let mut buf = vec![0u8; 1 << 16];
    let mut at = from;
    while at < to {
        let n = ((to - at) as usize).min(buf.len());
        if file.read_exact_at(&mut buf[..n], at).is_err() || buf[..n].iter().any(|&b| b != 0) {
            return false;
        }
        at += n as u64;
    }
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rewrite = 1,
    Append = 2,
}

/// How far a rewrite has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The file may not be extended yet; nothing moved.
    Planned,
    /// The file is extended; steps are under way.
    Extended,
    /// Everything is in place up to the final length; the leftover bytes past it had this
    /// fingerprint before the cut.
    Cutting(u64),
}

impl State {
    fn code(self) -> u64 {
        match self {
            State::Planned => 0,
            State::Extended => 1,
            State::Cutting(_) => 2,
        }
    }
}

fn set_state(jfile: &File, state: State, signature: u64) -> io::Result<()> {
    jfile.write_all_at(&signature.to_le_bytes(), SIGNATURE_AT)?;
    jfile.write_all_at(&state.code().to_le_bytes(), STATE_AT)
}

#[derive(Debug)]
struct Journal {
    kind: Kind,
    progress: u64,
    state: State,
    id: (u64, u64),
    token: u64,
    orig_len: u64,
    ext_len: u64,
    final_len: u64,
    steps: Vec<Step>,
    writes: Vec<(u64, Vec<u8>)>,
    append: Vec<u8>,
    /// Where the chunk slot starts in the journal file (set when serialized or parsed).
    slot_at: u64,
}

impl Journal {
    /// The journal of a rewrite.
    fn for_plan(plan: &Plan, place: &JournalPlace, token: u64) -> Journal {
        Journal {
            kind: Kind::Rewrite,
            progress: 0,
            state: State::Planned,
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
        if b.len() < LENGTH_AT + 16 || &b[..8] != MAGIC {
            return None;
        }
        let word = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
        };
        let len = usize::try_from(word(LENGTH_AT)?).ok()?;
        if len < LENGTH_AT + 16 || len > b.len() {
            return None;
        }
        let (body, sum) = b[..len].split_at(len - 8);
        if fold(FNV_START, &body[LENGTH_AT..]) != u64::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let progress = word(PROGRESS_AT as usize)?;
        let signature = word(SIGNATURE_AT as usize)?;
        let state = match word(STATE_AT as usize)? {
            0 => State::Planned,
            1 => State::Extended,
            2 => State::Cutting(signature),
            _ => return None,
        };
        let mut r = Reader {
            b: body,
            at: LENGTH_AT + 8,
        };
        let kind = match r.u64()? {
            1 => Kind::Rewrite,
            2 => Kind::Append,
            _ => return None,
        };
        let id = (r.u64()?, r.u64()?);
        let mut j = Journal {
            kind,
            progress,
            state,
            id,
            token: r.u64()?,
            orig_len: r.u64()?,
            ext_len: r.u64()?,
            final_len: r.u64()?,
            steps: Vec::new(),
            writes: Vec::new(),
            append: Vec::new(),
            slot_at: len as u64,
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
        put(&mut j, self.state.code());
        put(
            &mut j,
            match self.state {
                State::Cutting(sig) => sig,
                _ => 0,
            },
        );
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
        j[LENGTH_AT..LENGTH_AT + 8].copy_from_slice(&len.to_le_bytes());
        let sum = fold(FNV_START, &j[LENGTH_AT..]);
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

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, continued over `b`: enough to tell a torn journal from a whole one.
fn fold(h: u64, b: &[u8]) -> u64 {
    b.iter().fold(h, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn checksum(b: &[u8]) -> u64 {
    fold(FNV_START, b)
}

fn journal_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(0o600);
    o
}

/// Creates a journal; one already there is an error (it must be recovered first).
fn create_journal(path: &Path, bytes: &[u8]) -> Result<File> {
    let f = match journal_options().create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return Err(Error::Lock {
                path: path.to_owned(),
                what: "an interrupted change to this mailbox is still to be finished".into(),
            });
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

/// Puts a new journal in place of the old one atomically (write aside, sync, rename).
fn replace_journal(path: &Path, bytes: &[u8]) -> Result<File> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".new");
    let aside = PathBuf::from(aside);
    let _ = fs::remove_file(&aside);
    let f = journal_options()
        .create_new(true)
        .open(&aside)
        .map_err(|e| Error::io("create journal", &aside, e))?;
    let written = f
        .write_all_at(bytes, 0)
        .and_then(|()| f.sync_data())
        .and_then(|()| fs::rename(&aside, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&aside);
        return Err(Error::io("write journal", path, e));
    }
    Ok(f)
}

fn open_journal(path: &Path) -> Result<File> {
    journal_options()
        .open(path)
        .map_err(|e| Error::io("open", path, e))
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

/// Helpers for tests elsewhere in the crate.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Leaves a rewrite journal for `plan` as a writer that died at once would.
    pub(crate) fn leave_journal(_file: &File, plan: &Plan, place: &JournalPlace, token: u64) {
        let mut j = Journal::for_plan(plan, place, token);
        drop(create_journal(&place.path, &j.serialize()).unwrap());
    }
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
                    set_state(&jf, State::Extended, 0).unwrap();
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
                        recover(&file, &path, &place, Holder::Lock(Some(token + 1)), &Silent)
                            .unwrap(),
                        Recovery::Discarded
                    );
                    fs::write(&place.path, &saved).unwrap();
                    fs::set_permissions(
                        &place.path,
                        std::os::unix::fs::PermissionsExt::from_mode(0o600),
                    )
                    .unwrap();
                    assert_eq!(
                        recover(&file, &path, &place, Holder::Lock(Some(token)), &Silent).unwrap(),
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
        let mut j = rewrite_journal(&plan, &place, 5);
        j.state = State::Extended;
        drop(create_journal(&place.path, &j.serialize()).unwrap());
        file.write_all_at(b"NEW MAIL\n", n).unwrap();
        recover(&file, &path, &place, Holder::Lock(Some(5)), &Silent).unwrap();
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
            begin_append(n, &data[..10], &place).unwrap();
            note_append_end(&place, n + data.len() as u64).unwrap();
            file.write_all_at(&data[..written], n).unwrap();
            assert_eq!(
                recover(&file, &path, &place, Holder::Outside, &Silent).unwrap(),
                Recovery::AppendUndone
            );
            assert_eq!(fs::read(&path).unwrap(), old);
            // If something else changed the end meanwhile, the journal is stale.
            begin_append(n, &data[..10], &place).unwrap();
            note_append_end(&place, n + data.len() as u64).unwrap();
            file.write_all_at(b"Other", n).unwrap();
            assert_eq!(
                recover(&file, &path, &place, Holder::Outside, &Silent).unwrap(),
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
            state: State::Planned,
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
            recover(&file, &path, &place, Holder::Lock(Some(1)), &Silent).unwrap(),
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

    #[test]
    fn mail_appended_after_the_cut_is_not_cut_again() {
        // The writer finished, cut the file and died before removing its journal; then
        // the delivery agent appended.
        let old = content();
        let n = old.len() as u64;
        let plan = plan_of(n, &[(0, 100, b""), (5100, n - 5100, b"")]);
        let (_d, file, path, place) = setup(&old);
        let mut j = rewrite_journal(&plan, &place, 5);
        let jf = create_journal(&place.path, &j.serialize()).unwrap();
        extend(&file, plan.orig_len, plan.extended_len()).unwrap();
        set_state(&jf, State::Extended, 0).unwrap();
        j.state = State::Extended;
        run_steps(&file, &path, &jf, &j, 0, j.steps.len() as u64).unwrap();
        write_new_bytes(&file, &path, &j).unwrap();
        let sig = cut_signature(&file, j.final_len, j.ext_len);
        set_state(&jf, State::Cutting(sig), sig).unwrap();
        file.set_len(j.final_len).unwrap();
        drop(jf);
        let after = fs::read(&path).unwrap();
        let mail: Vec<u8> = (0..6000u32).map(|i| b'a' + (i % 26) as u8).collect();
        file.write_all_at(&mail, after.len() as u64).unwrap();
        recover(&file, &path, &place, Holder::Lock(Some(5)), &Silent).unwrap();
        let mut expected = after;
        expected.extend_from_slice(&mail);
        same(&fs::read(&path).unwrap(), &expected, "cut, then new mail");
        assert!(!place.path.exists());
    }

    #[test]
    fn mail_appended_while_a_chunk_was_in_flight_moves_down_intact() {
        let old = content();
        let n = old.len() as u64;
        // A shift by four bytes: every chunk overlaps its destination.
        let plan = plan_of(n, &[(0, 10, b"XXXX"), (10, n - 10, b"")]);
        for interrupt_cut in [false, true] {
            let (_d, file, path, place) = setup(&old);
            let mut j = rewrite_journal(&plan, &place, 9);
            let jf = create_journal(&place.path, &j.serialize()).unwrap();
            extend(&file, plan.orig_len, plan.extended_len()).unwrap();
            set_state(&jf, State::Extended, 0).unwrap();
            j.state = State::Extended;
            let steps = plan.copy_steps();
            let k = steps.iter().position(|s| s.via).unwrap();
            run_steps(&file, &path, &jf, &j, 0, k as u64).unwrap();
            // Died half-way through writing chunk k, which was saved in the slot.
            let s = steps[k];
            let mut buf = vec![0u8; s.len as usize];
            file.read_exact_at(&mut buf, s.src).unwrap();
            write_slot(&jf, j.slot_at, k as u64, &buf).unwrap();
            let half = (s.len / 2) as usize;
            file.write_all_at(&buf[half..], s.dst + half as u64)
                .unwrap();
            drop(jf);
            let mut expected = apply(&old, &plan);
            let mail = b"From x Wed Dec  2 05:53 1992\n\nhello\n\n".to_vec();
            let len = file.metadata().unwrap().len();
            file.write_all_at(&mail, len).unwrap();
            if interrupt_cut {
                // Recovery itself dies after the first journal's steps: its successor
                // journal (the tail move) must carry on.
                let bytes = fs::read(&place.path).unwrap();
                let j = Journal::parse(&bytes).unwrap();
                let jf = open_journal(&place.path).unwrap();
                run_steps(&file, &path, &jf, &j, j.progress, j.steps.len() as u64).unwrap();
                write_new_bytes(&file, &path, &j).unwrap();
                let sig = cut_signature(&file, j.final_len, j.ext_len);
                set_state(&jf, State::Cutting(sig), sig).unwrap();
            }
            recover(&file, &path, &place, Holder::Lock(Some(9)), &Silent).unwrap();
            expected.extend_from_slice(&mail);
            same(
                &fs::read(&path).unwrap(),
                &expected,
                "in-flight chunk, then new mail",
            );
            assert!(!place.path.exists());
        }
    }

    #[test]
    fn a_rewrite_that_never_got_its_space_is_undone() {
        let old = content();
        let n = old.len() as u64;
        let plan = plans(&old).remove(1);
        let (_d, file, path, place) = setup(&old);
        let mut j = rewrite_journal(&plan, &place, 3);
        drop(create_journal(&place.path, &j.serialize()).unwrap());
        // Died while extending: some zeros at the end.
        file.set_len(n + 7).unwrap();
        recover(&file, &path, &place, Holder::Lock(Some(3)), &Silent).unwrap();
        same(
            &fs::read(&path).unwrap(),
            &old,
            "partial extension taken back",
        );
        // The same, but mail arrived instead of zeros: it stays.
        drop(create_journal(&place.path, &j.serialize()).unwrap());
        file.write_all_at(b"From new", n).unwrap();
        recover(&file, &path, &place, Holder::Lock(Some(3)), &Silent).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), n + 8);
    }

    #[test]
    fn rewrite_journals_are_left_to_the_lock_holder() {
        let old = content();
        let plan = plans(&old).remove(0);
        let (_d, file, path, place) = setup(&old);
        let mut j = rewrite_journal(&plan, &place, 4);
        drop(create_journal(&place.path, &j.serialize()).unwrap());
        assert_eq!(
            recover(&file, &path, &place, Holder::Outside, &Silent).unwrap(),
            Recovery::Pending
        );
        assert!(place.path.exists());
        // And a new change may not start over a pending one.
        assert!(rewrite(&file, &path, &plan, &place, 5).is_err());
        assert!(place.path.exists());
    }
}
