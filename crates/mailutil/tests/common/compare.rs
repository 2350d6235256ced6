//! Mailboxes read with our store into records that compare, and the comparisons the tests
//! share: with the fixture, with UW's `check` line, and after UW copies or prunes or our
//! session changes a mailbox.

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use mailstore::{Access, Close, ExpungeScope, FlagOp, Flags, Keyword};

use super::{Expected, escape_from_lines, seq, store, uw, uw_status};

/// Reads mailbox `name` with our store: per message, (UID, flags without \Recent, keyword
/// names, internal date, whole text), plus UIDVALIDITY.
pub fn read_ours(name: &str) -> (u32, Vec<Seen>) {
    let store = store();
    let mut mb = store.open(name, mailstore::Access::ReadOnly).unwrap();
    let kws: Vec<String> = mb.keywords().iter().map(|k| k.to_string()).collect();
    let infos = mb.messages().to_vec();
    let mut out = Vec::new();
    for (i, m) in infos.iter().enumerate() {
        let text = mb.fetch(seq(i as u32 + 1), mailstore::Part::Whole).unwrap();
        assert_eq!(
            m.size as usize,
            text.len(),
            "RFC822.SIZE of message {}",
            i + 1
        );
        out.push(Seen {
            uid: m.uid.get(),
            flags: m.flags.minus(Flags::RECENT),
            recent: m.flags.contains(Flags::RECENT),
            keywords: m.keywords.iter().map(|k| kws[k].clone()).collect(),
            date: (
                m.internal_date.timestamp(),
                m.internal_date.offset_seconds(),
            ),
            text,
        });
    }
    (mb.uid_validity().get(), out)
}

/// One message as our store reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub uid: u32,
    pub flags: Flags,
    pub recent: bool,
    pub keywords: BTreeSet<String>,
    pub date: (i64, i32),
    pub text: Vec<u8>,
}

impl Seen {
    /// The message after an append to a UNIX mailbox (see [`Expected::escaped`]).
    pub fn escaped(&self) -> Seen {
        Seen {
            text: escape_from_lines(&self.text),
            ..self.clone()
        }
    }
}

/// The UIDVALIDITY written in a file's `X-IMAP:` or `X-IMAPbase:` line, read with a plain
/// text search (independent of the store's parser).
pub fn validity_in_file(path: &Path) -> u32 {
    let text = fs::read_to_string(path).unwrap();
    for line in text.lines() {
        for tag in ["X-IMAP: ", "X-IMAPbase: "] {
            if let Some(rest) = line.strip_prefix(tag) {
                return rest.split(' ').next().unwrap().parse().unwrap();
            }
        }
    }
    panic!("no UIDVALIDITY in {}", path.display());
}

/// Compares what we read with what the fixture says, message by message.
pub fn assert_matches_fixture<E: Borrow<Expected>>(seen: &[Seen], expected: &[E], what: &str) {
    assert_eq!(seen.len(), expected.len(), "{what}: message count");
    for (i, (s, e)) in seen.iter().zip(expected).enumerate() {
        let e = e.borrow();
        assert_eq!(
            s.flags,
            e.flags,
            "{what}: flags of message {} ({})",
            i + 1,
            e.subject
        );
        assert_eq!(
            s.keywords,
            e.keywords,
            "{what}: keywords of message {}",
            i + 1
        );
        assert_eq!(s.date, e.date, "{what}: internal date of message {}", i + 1);
        assert!(
            s.text == e.text,
            "{what}: text of message {}:\n{:?}\n---\n{:?}",
            i + 1,
            String::from_utf8_lossy(&s.text),
            String::from_utf8_lossy(&e.text)
        );
    }
}

/// Checks that `seen` is what `kept` says is left: the same UIDs, in order, and messages
/// that match the fixture.
pub fn assert_kept(seen: &[Seen], kept: &[(u32, &Expected)], what: &str) {
    assert_eq!(
        uids(seen),
        kept.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        "{what}: UIDs"
    );
    assert_matches_fixture(
        seen,
        &kept.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
        what,
    );
}

/// The UIDs of the messages read.
pub fn uids(seen: &[Seen]) -> Vec<u32> {
    seen.iter().map(|s| s.uid).collect()
}

/// A message with system flags: one of the fixture, or one as read.
pub trait HasFlags {
    /// Its system flags (without \Recent).
    fn flags(&self) -> Flags;
}

impl HasFlags for Expected {
    fn flags(&self) -> Flags {
        self.flags
    }
}

impl HasFlags for Seen {
    fn flags(&self) -> Flags {
        self.flags
    }
}

impl<T: HasFlags> HasFlags for &T {
    fn flags(&self) -> Flags {
        (*self).flags()
    }
}

/// How many of `messages` are not \Seen.
pub fn unseen<T: HasFlags>(messages: &[T]) -> usize {
    messages
        .iter()
        .filter(|m| !m.flags().contains(Flags::SEEN))
        .count()
}

/// The line `mailutil check` prints (UW's, and ours) for mailbox `name`.
pub fn check_line(recent: usize, unseen: usize, total: usize, name: &str) -> String {
    if recent == 0 && unseen == 0 {
        return format!("No new messages, {total} total in {name}");
    }
    format!("{recent} new message(s) ({unseen} unseen), {total} total in {name}")
}

/// The value of the first `Subject:` line of a message's text (or header); a panic if
/// there is none.
pub fn subject(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_else(|| panic!("no Subject: in {:?}", String::from_utf8_lossy(text)))
        .to_owned()
}

/// Whether UW's `mailutil copy` takes the messages' keywords along (its `-kw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keywords {
    /// `-kw`: the keywords go along.
    Copy,
    /// No `-kw`: a new mailbox gets no keywords.
    Leave,
}

/// Has UW's mailutil copy mailbox `from` to `to` (a UNIX mailbox, unless `to` starts
/// `#driver.NAME/`) and returns what we read there.
pub fn uw_copy_back(from: &str, to: &str, keywords: Keywords) -> Vec<Seen> {
    match keywords {
        Keywords::Copy => uw(&["copy", "-kw", from, to]),
        Keywords::Leave => uw(&["copy", from, to]),
    };
    // Our store finds the format itself; it takes no driver prefix.
    let name = to
        .strip_prefix("#driver.")
        .and_then(|rest| rest.split_once('/'))
        .map_or(to, |(_, name)| name);
    read_ours(name).1
}

/// Has UW's mailutil prune the fixture's `prune-me` messages from mailbox `name`, and
/// checks the count it reports. `messages` pairs each message of the mailbox (by UID, or
/// whatever the caller keeps) with what it is; what should be left of them is returned.
pub fn uw_prune_fixture<'a, T>(
    name: &str,
    messages: impl IntoIterator<Item = (T, &'a Expected)>,
) -> Vec<(T, &'a Expected)> {
    // Debian's UW mailutil exits 1 after a successful prune.
    let (_, out) = uw_status(&["prune", name, "SUBJECT prune-me"]);
    let (kept, pruned): (Vec<_>, Vec<_>) =
        messages.into_iter().partition(|(_, e)| e.survives_prune());
    assert!(
        out.contains(&format!("{} message(s) purged", pruned.len())),
        "{name}: {out}"
    );
    kept
}

/// Our read-write session on mailbox `name`, a copy of the fixture `expected` with its
/// keywords, changes flags and keywords of some messages (adding a keyword the mailbox did
/// not have), deletes others and expunges them. Returns what is left: `expected` as changed.
pub fn our_changes_and_expunge(name: &str, mut expected: Vec<Expected>) -> Vec<Expected> {
    let store = store();
    let mut mb = store.open(name, Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), Access::ReadWrite);
    let fresh = Keyword::new("Fresh").unwrap();
    mb.set_flags(
        &[seq(2), seq(4)],
        FlagOp::Add,
        Flags::SEEN.union(Flags::FLAGGED),
        std::slice::from_ref(&fresh),
    )
    .unwrap();
    for i in [1, 3] {
        expected[i].flags = expected[i].flags.union(Flags::SEEN).union(Flags::FLAGGED);
        expected[i].keywords.insert("Fresh".into());
    }
    mb.set_flags(&[seq(1)], FlagOp::Replace, Flags::DRAFT, &[])
        .unwrap();
    expected[0].flags = Flags::DRAFT;
    expected[0].keywords = BTreeSet::new();
    let doomed: Vec<bool> = expected
        .iter()
        .enumerate()
        .map(|(i, e)| i % 4 == 2 || e.flags.contains(Flags::DELETED))
        .collect();
    let to_delete: Vec<_> = (1..)
        .zip(&doomed)
        .filter(|(_, d)| **d)
        .map(|(s, _)| seq(s))
        .collect();
    mb.set_flags(&to_delete, FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    let gone = mb.expunge(ExpungeScope::AllDeleted).unwrap();
    assert_eq!(gone.len(), to_delete.len());
    mb.close(Close::Keep).unwrap();
    expected
        .into_iter()
        .zip(doomed)
        .filter(|(_, d)| !d)
        .map(|(e, _)| e)
        .collect()
}
