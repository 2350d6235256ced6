//! The POP3 view of INBOX (RFC 1939 §5): messages numbered from 1 as they were at login,
//! less those already flagged `\Deleted`; sizes as Panda gives them (with the `Status:`
//! line it adds); DELE and RETR kept here until QUIT.

use mailstore::mailbox::{Close, ExpungeScope, FlagOp, Mailbox, Part};
use mailstore::{Flags, SeqNo};

/// Bytes of the `Status: XY` line (with CRLF) added to every message's header.
pub(crate) const STATUS_LINE: u64 = 12;

/// One message of the view.
#[derive(Debug, Clone)]
struct Entry {
    seq: SeqNo,
    uid: u32,
    size: u64,
    deleted: Mark,
    retrieved: Mark,
}

/// Whether something was done to a message in this session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    No,
    Yes,
}

/// What a message number names.
pub(crate) enum Lookup {
    /// A message, by its index in the view.
    Found(usize),
    /// No such message.
    Missing,
    /// The message is marked deleted.
    Deleted,
}

/// INBOX as this session sees it.
#[derive(Debug)]
pub(crate) struct Maildrop {
    mailbox: Box<dyn Mailbox>,
    entries: Vec<Entry>,
    validity: u32,
    last: u32,
    first_last: u32,
}

impl Maildrop {
    /// The view of an open INBOX.
    pub fn new(mailbox: Box<dyn Mailbox>) -> Self {
        let validity = mailbox.uid_validity().get();
        let mut entries = Vec::new();
        let mut last = 0;
        for (i, m) in mailbox.messages().iter().enumerate() {
            if m.flags.contains(Flags::DELETED) {
                continue;
            }
            let Some(seq) = SeqNo::from_index(i) else {
                break;
            };
            entries.push(Entry {
                seq,
                uid: m.uid.get(),
                size: u64::from(m.size) + STATUS_LINE,
                deleted: Mark::No,
                retrieved: Mark::No,
            });
            if m.flags.contains(Flags::SEEN) {
                last = entries.len() as u32;
            }
        }
        Maildrop {
            mailbox,
            entries,
            validity,
            last,
            first_last: last,
        }
    }

    /// Message `n`.
    pub fn lookup(&self, n: u32) -> Lookup {
        match self.entries.get((n as usize).wrapping_sub(1)) {
            None => Lookup::Missing,
            Some(e) if e.deleted == Mark::Yes => Lookup::Deleted,
            Some(_) => Lookup::Found(n as usize - 1),
        }
    }

    /// The number of messages not deleted, and their size.
    pub fn stat(&self) -> (usize, u64) {
        self.live()
            .fold((0, 0), |(n, s), (_, e)| (n + 1, s + e.size))
    }

    /// Message numbers and sizes of the messages not deleted.
    pub fn sizes(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.live().map(|(i, e)| (i + 1, e.size))
    }

    /// Message numbers and unique ids of the messages not deleted.
    pub fn uids(&self) -> impl Iterator<Item = (usize, String)> + '_ {
        self.live().map(|(i, _)| (i + 1, self.uid_string(i)))
    }

    fn live(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.deleted == Mark::No)
    }

    /// The size of message `i`.
    pub fn size(&self, i: usize) -> u64 {
        self.entries[i].size
    }

    /// The unique id of message `i`, as Panda's: UIDVALIDITY and UID, 8 hex digits each.
    pub fn uid_string(&self, i: usize) -> String {
        format!("{:08x}{:08x}", self.validity, self.entries[i].uid)
    }

    /// Message `i` as RETR and TOP give it: the header with Panda's `Status:` line at its
    /// end, then the body (CRLF line ends).
    pub fn message(&mut self, i: usize) -> mailstore::Result<(Vec<u8>, Vec<u8>)> {
        let seq = self.entries[i].seq;
        let flags = self
            .mailbox
            .messages()
            .get(seq.index())
            .map_or(Flags::EMPTY, |m| m.flags);
        let whole = self.mailbox.fetch(seq, Part::Whole)?;
        let (hlen, body_start) = rfc822::header::split(&whole);
        let mut header = whole[..hlen].to_vec();
        header.extend_from_slice(b"Status: ");
        header.push(if flags.contains(Flags::SEEN) {
            b'R'
        } else {
            b' '
        });
        header.push(if flags.contains(Flags::RECENT) {
            b' '
        } else {
            b'O'
        });
        header.extend_from_slice(b"\r\n\r\n");
        Ok((header, whole[body_start.min(whole.len())..].to_vec()))
    }

    /// Notes that message `i` was retrieved (it is marked seen at QUIT).
    pub fn retrieved(&mut self, i: usize) {
        self.entries[i].retrieved = Mark::Yes;
        self.last = self.last.max(i as u32 + 1);
    }

    /// Marks message `i` deleted.
    pub fn delete(&mut self, i: usize) {
        self.entries[i].deleted = Mark::Yes;
        self.last = self.last.max(i as u32 + 1);
    }

    /// RSET: no message deleted or retrieved any more.
    pub fn reset(&mut self) {
        for e in &mut self.entries {
            e.deleted = Mark::No;
            e.retrieved = Mark::No;
        }
        self.last = self.first_last;
    }

    /// LAST: the highest message number accessed.
    pub fn last(&self) -> u32 {
        self.last
    }

    /// How many messages are marked deleted.
    pub fn deleted(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.deleted == Mark::Yes)
            .count()
    }

    /// How many messages the view has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether another process asked for the mailbox (cheap, no I/O).
    pub fn asked_to_let_go(&self) -> bool {
        self.mailbox.asked_to_let_go()
    }

    /// Looks for a request to give up the mailbox (the kiss of death); true if the
    /// session has lost it.
    pub fn lost(&mut self) -> bool {
        match self.mailbox.poll() {
            Ok(changes) => changes.contains(&mailstore::mailbox::Change::LostWriteAccess),
            Err(mailstore::Error::LockLost) => true,
            Err(_) => false,
        }
    }

    /// UPDATE (QUIT): retrieved messages are marked seen, deleted ones expunged.
    pub fn commit(mut self) -> mailstore::Result<()> {
        let seen: Vec<SeqNo> = self
            .entries
            .iter()
            .filter(|e| e.retrieved == Mark::Yes && e.deleted == Mark::No)
            .map(|e| e.seq)
            .collect();
        let gone: Vec<SeqNo> = self
            .entries
            .iter()
            .filter(|e| e.deleted == Mark::Yes)
            .map(|e| e.seq)
            .collect();
        if !seen.is_empty() {
            self.mailbox
                .set_flags(&seen, FlagOp::Add, Flags::SEEN, &[])?;
        }
        if !gone.is_empty() {
            self.mailbox
                .set_flags(&gone, FlagOp::Add, Flags::DELETED, &[])?;
            self.mailbox.expunge(ExpungeScope::AllDeleted)?;
        }
        self.mailbox.close(Close::Keep)
    }

    /// Leaves without changing anything (a dropped connection, an autologout).
    pub fn abandon(self) -> mailstore::Result<()> {
        self.mailbox.close(Close::Keep)
    }
}
