//! The driver-conformance suite: what every mailbox format must do, written once and
//! instantiated for each format (`conformance!` at the end). Format-specific behaviour
//! (file layout, locking peculiarities) is tested beside each driver.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{
    Access, AppendMessage, Change, Close, CopyKeywords, Error, ExpungeScope, FlagOp, Flags,
    Keyword, Part, SeqNo, Store,
};

/// What distinguishes one format in this suite.
#[derive(Clone, Copy, Debug)]
struct Format {
    /// The `#driver.NAME/` prefix that creates a mailbox in this format.
    prefix: &'static str,
    /// Only one session at a time may have a mailbox read-write.
    single_writer: bool,
    /// Whether `\Recent` outlives the session that saw a message arrive.
    recent: Recent,
    /// Whether internal dates keep the zone they were given.
    zones: Zones,
    /// Which flags outlive the session that set them.
    flags: FlagsKept,
    /// Whether the format has keywords.
    keywords: Keywords,
    /// What UIDs are.
    uids: Uids,
    /// Files the format needs in the home directory (name, contents).
    home_files: &'static [(&'static str, &'static str)],
    /// When deleted messages can be expunged.
    expunge: Expunge,
    /// What a newly created mailbox is on disk.
    new_mailbox: NewMailbox,
}

impl Format {
    /// What a format that keeps everything does (the UNIX format).
    const KEEPS_ALL: Format = Format {
        prefix: "",
        single_writer: true,
        recent: Recent::Kept,
        zones: Zones::Kept,
        flags: FlagsKept::All,
        keywords: Keywords::Kept,
        uids: Uids::Sticky,
        home_files: &[],
        expunge: Expunge::WhileOpen,
        new_mailbox: NewMailbox::Initialized,
    };

    /// The keywords to set: none for a format without them.
    fn kw<'a>(&self, k: &'a [Keyword]) -> &'a [Keyword] {
        match self.keywords {
            Keywords::Kept | Keywords::Fixed => k,
            Keywords::None => &[],
        }
    }

    /// The flags of `f` that outlive a session.
    fn kept(&self, f: Flags) -> Flags {
        match self.flags {
            FlagsKept::All => f,
            FlagsKept::SeenOnly => f.intersect(Flags::SEEN),
        }
    }
}

/// Which flags a format keeps from one session to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlagsKept {
    /// All of them.
    All,
    /// Only `\Seen` (MH, in the file's access time); the others live in the session.
    SeenOnly,
}

/// Whether a format has keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keywords {
    /// Up to 30 per mailbox.
    Kept,
    /// None: setting one is an error, and appends drop them (MH).
    None,
    /// A fixed list for every mailbox, from `set keywords` in `~/.mminit` (tenex, mtx):
    /// the suite writes that file.
    Fixed,
}

/// When an expunge can remove messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expunge {
    /// Whenever the session has the mailbox read-write; other sessions are told.
    WhileOpen,
    /// Only when no other session has the mailbox open (tenex, mtx: the expunging session
    /// needs an exclusive lock on the file); otherwise nothing is removed.
    Alone,
}

/// What `CREATE` leaves on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NewMailbox {
    /// A mailbox in the format.
    Initialized,
    /// An empty file (the dummy format's), which takes the format when mail first arrives:
    /// the suite sets the empty-file format (c-client's `empty-folder-format`) to it.
    EmptyFile(mailstore::Format),
}

/// The keywords the suite's tests use, for formats whose keywords are a fixed list.
const SUITE_KEYWORDS: [&str; 4] = ["$Label1", "Junk", "NonJunk", "Work"];

/// What a format's UIDs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Uids {
    /// Sticky UIDs under a lasting UIDVALIDITY, reported by appends (UIDPLUS).
    Sticky,
    /// File numbers: the next is one past the highest file, UIDVALIDITY is new at each
    /// open, and appends report none (c-client mh, no UIDPLUS).
    FileNumbers,
    /// Each session numbers the messages anew, and appends report no UIDs (c-client's
    /// DR_NOSTICKY formats: tenex, mtx).
    PerSession,
}

/// Whether a format keeps `\Recent` from one session to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recent {
    /// A message is new until a read-write session has seen it.
    Kept,
    /// Nothing is kept: a message is `\Recent` only to the sessions that see it arrive
    /// while they have the mailbox open (c-client mx, mh).
    SessionOnly,
}

/// Whether a format keeps the zone of an internal date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Zones {
    /// The date comes back in the zone it was given.
    Kept,
    /// Only the instant is kept (a file's modification time); it comes back in UTC.
    Utc,
}

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    fmt: Format,
}

impl Env {
    fn new(fmt: Format) -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "tmp"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let mut cfg = StoreConfig::new("tester", dir.path().join("home"));
        cfg.spool = dir.path().join("spool");
        cfg.locks.tmp_dir = dir.path().join("tmp");
        cfg.state_dir = Some(dir.path().join("tmp/cache"));
        cfg.locks.kod_attempts = 1;
        cfg.notify = Arc::new(Silent);
        cfg.tz = jiff::tz::TimeZone::UTC;
        for (name, text) in fmt.home_files {
            std::fs::write(dir.path().join("home").join(name), text).unwrap();
        }
        if let NewMailbox::EmptyFile(f) = fmt.new_mailbox {
            cfg.empty_format = f;
        }
        let env = Env {
            _dir: dir,
            store: Store::new(cfg),
            fmt,
        };
        env.define_keywords(&SUITE_KEYWORDS);
        env
    }

    /// For a format with a fixed keyword list: makes it `names`.
    fn define_keywords(&self, names: &[&str]) {
        if self.fmt.keywords == Keywords::Fixed {
            let home = self._dir.path().join("home");
            std::fs::write(
                home.join(".mminit"),
                format!("set keywords {}\n", names.join(", ")),
            )
            .unwrap();
        }
    }

    /// Creates `name` in the format under test.
    fn create(&self, name: &str) {
        self.store
            .create(&format!("{}{name}", self.fmt.prefix))
            .unwrap();
    }

    fn append(&self, name: &str, msgs: Vec<AppendMessage>) -> mailstore::AppendOutcome {
        self.store
            .append(name, &mut msgs.into_iter().map(Ok))
            .unwrap()
    }
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn msg(subject: &str, body: &str) -> AppendMessage {
    AppendMessage {
        data: format!("From: a@b.example\r\nSubject: {subject}\r\n\r\n{body}").into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: Some(rfc822::DateTime::from_civil(2024, 3, 5, (10, 11, 12), 3600).unwrap()),
    }
}

fn subjects(mb: &mut dyn mailstore::Mailbox) -> Vec<String> {
    (1..=mb.messages().len() as u32)
        .map(|i| {
            let h = mb.fetch(seq(i), Part::Header).unwrap();
            String::from_utf8_lossy(&h)
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn append_and_read_back(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!(
            "line {i} of a large message, with 8-bit text: caf\u{e9}\r\n"
        ));
    }
    let mut flagged = msg("two", "x\r\n");
    flagged.flags = Flags::SEEN.union(Flags::ANSWERED).union(Flags::RECENT);
    flagged.keywords = vec![Keyword::new("$Label1").unwrap()];
    let out = e.append(
        "box",
        vec![msg("one", "Hello\r\nthere\r\n"), flagged, msg("big", &big)],
    );
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    let driver = fmt
        .prefix
        .trim_start_matches("#driver.")
        .trim_end_matches('/');
    assert_eq!(
        mb.format().name(),
        driver,
        "the mailbox is in the format under test"
    );
    let uids: Vec<_> = mb.messages().iter().map(|m| m.uid).collect();
    assert_eq!(uids.len(), 3);
    assert!(uids.windows(2).all(|w| w[0] < w[1]));
    let validity = match fmt.uids {
        Uids::Sticky => {
            let (validity, appended) = out.uids.unwrap();
            assert_eq!(appended, uids);
            assert_eq!(mb.uid_validity(), validity);
            Some(validity)
        }
        Uids::FileNumbers | Uids::PerSession => {
            assert_eq!(out.uids, None, "no UIDPLUS without sticky UIDs");
            None
        }
    };
    assert_eq!(
        mb.fetch(seq(1), Part::Whole).unwrap(),
        b"From: a@b.example\r\nSubject: one\r\n\r\nHello\r\nthere\r\n"
    );
    assert_eq!(
        mb.fetch(seq(1), Part::Header).unwrap(),
        b"From: a@b.example\r\nSubject: one\r\n\r\n"
    );
    assert_eq!(mb.fetch(seq(1), Part::Text).unwrap(), b"Hello\r\nthere\r\n");
    let m = mb.messages()[1].clone();
    // \Recent cannot be set by an append; the new messages are new where that is kept.
    let new = match fmt.recent {
        Recent::Kept => Flags::RECENT,
        Recent::SessionOnly => Flags::EMPTY,
    };
    assert_eq!(
        m.flags,
        fmt.kept(Flags::SEEN.union(Flags::ANSWERED)).union(new)
    );
    assert_eq!(m.internal_date.timestamp(), 1_709_629_872);
    let zone = match fmt.zones {
        Zones::Kept => 3600,
        Zones::Utc => 0,
    };
    assert_eq!(m.internal_date.offset_seconds(), zone);
    let kws: Vec<String> = m
        .keywords
        .iter()
        .map(|k| mb.keywords()[k].to_string())
        .collect();
    match fmt.keywords {
        Keywords::Kept | Keywords::Fixed => assert_eq!(kws, vec!["$Label1"]),
        Keywords::None => assert!(kws.is_empty() && mb.keywords().is_empty()),
    }
    let text = mb.fetch(seq(3), Part::Text).unwrap();
    assert_eq!(text, big.as_bytes());
    for i in 1..=3 {
        let whole = mb.fetch(seq(i), Part::Whole).unwrap();
        assert_eq!(mb.messages()[i as usize - 1].size as usize, whole.len());
    }
    let st = e.store.status("box").unwrap();
    let recent = match fmt.recent {
        Recent::Kept => 3,
        Recent::SessionOnly => 0,
    };
    assert_eq!((st.messages, st.recent, st.unseen), (3, recent, 2));
    if let Some(validity) = validity {
        assert_eq!(st.uid_validity, validity);
    }
    assert!(matches!(
        mb.fetch(seq(4), Part::Whole),
        Err(Error::NoSuchMessage(4))
    ));
}

fn flags_and_keywords_persist(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append(
        "box",
        vec![msg("a", "1\r\n"), msg("b", "2\r\n"), msg("c", "3\r\n")],
    );
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let junk = Keyword::new("Junk").unwrap();
    let label = Keyword::new("$Label1").unwrap();
    mb.set_flags(
        &[seq(1), seq(3)],
        FlagOp::Add,
        Flags::SEEN.union(Flags::FLAGGED),
        fmt.kw(std::slice::from_ref(&junk)),
    )
    .unwrap();
    mb.set_flags(
        &[seq(2)],
        FlagOp::Replace,
        Flags::ANSWERED.union(Flags::DRAFT),
        fmt.kw(std::slice::from_ref(&label)),
    )
    .unwrap();
    mb.check().unwrap();
    mb.set_flags(
        &[seq(3)],
        FlagOp::Remove,
        Flags::FLAGGED,
        fmt.kw(std::slice::from_ref(&junk)),
    )
    .unwrap();
    // Replace keeps \Recent.
    assert_eq!(
        mb.messages()[1].flags.contains(Flags::RECENT),
        fmt.recent == Recent::Kept
    );
    mb.close(Close::Keep).unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    let names = |i: usize| -> BTreeSet<String> {
        mb.messages()[i]
            .keywords
            .iter()
            .map(|k| mb.keywords()[k].to_string())
            .collect()
    };
    let m = mb.messages();
    assert_eq!(
        m[0].flags.minus(Flags::RECENT),
        fmt.kept(Flags::SEEN.union(Flags::FLAGGED))
    );
    assert_eq!(
        m[1].flags.minus(Flags::RECENT),
        fmt.kept(Flags::ANSWERED.union(Flags::DRAFT))
    );
    assert_eq!(m[2].flags.minus(Flags::RECENT), Flags::SEEN);
    let one = |k: &str| match fmt.keywords {
        Keywords::Kept | Keywords::Fixed => BTreeSet::from([k.to_owned()]),
        Keywords::None => BTreeSet::new(),
    };
    assert_eq!(names(0), one("Junk"));
    assert_eq!(names(1), one("$Label1"));
    assert!(names(2).is_empty());
    // The read-write session saw them: they are no longer new.
    assert!(m.iter().all(|x| !x.flags.contains(Flags::RECENT)));
}

fn keywords_are_limited(fmt: Format) {
    let e = Env::new(fmt);
    let names: Vec<String> = (0..30).map(|i| format!("k{i}")).collect();
    e.define_keywords(&names.iter().map(String::as_str).collect::<Vec<_>>());
    e.create("box");
    e.append("box", vec![msg("a", "1\r\n")]);
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    if fmt.keywords == Keywords::None {
        assert!(!mb.can_create_keywords());
        let k = Keyword::new("k0").unwrap();
        assert!(matches!(
            mb.set_flags(&[seq(1)], FlagOp::Add, Flags::EMPTY, &[k]),
            Err(Error::InvalidKeyword { .. })
        ));
        assert!(mb.keywords().is_empty());
        return;
    }
    for i in 0..30 {
        let k = Keyword::new(&format!("k{i}")).unwrap();
        mb.set_flags(&[seq(1)], FlagOp::Add, Flags::EMPTY, &[k])
            .unwrap();
    }
    assert!(!mb.can_create_keywords());
    let over = Keyword::new("k30").unwrap();
    assert!(matches!(
        mb.set_flags(&[seq(1)], FlagOp::Add, Flags::EMPTY, &[over]),
        Err(Error::TooManyKeywords { .. })
    ));
    mb.close(Close::Keep).unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.keywords().len(), 30);
    assert_eq!(mb.messages()[0].keywords.iter().count(), 30);
}

fn expunge_reports_sequence_numbers(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append(
        "box",
        (1..=6).map(|i| msg(&format!("m{i}"), "b\r\n")).collect(),
    );
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    mb.set_flags(&[seq(2), seq(3), seq(5)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    let gone = mb.expunge(ExpungeScope::AllDeleted).unwrap();
    assert_eq!(gone, vec![seq(2), seq(2), seq(3)]);
    assert_eq!(subjects(&mut *mb), vec!["m1", "m4", "m6"]);
    // UID EXPUNGE takes only the named deleted messages.
    mb.set_flags(&[seq(1), seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    let u4 = mb.messages()[1].uid;
    assert_eq!(mb.expunge(ExpungeScope::Uids(&[u4])).unwrap(), vec![seq(2)]);
    mb.close(Close::Keep).unwrap();
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    let expected = match fmt.uids {
        Uids::PerSession => vec![1, 2],
        Uids::Sticky | Uids::FileNumbers => vec![uids[0], uids[5]],
    };
    assert_eq!(
        mb.messages()
            .iter()
            .map(|m| m.uid.get())
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(subjects(&mut *mb), vec!["m1", "m6"]);
    assert_eq!(
        mb.messages()[0].flags.contains(Flags::DELETED),
        fmt.flags == FlagsKept::All
    );
}

fn uids_stay_through_emptying(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append("box", vec![msg("a", "1\r\n"), msg("b", "2\r\n")]);
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let validity = mb.uid_validity();
    let next = mb.uid_next();
    mb.set_flags(&[seq(1), seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    mb.close(Close::Expunge).unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 0);
    if fmt.uids == Uids::FileNumbers {
        // Numbering starts again from the highest file there is (none).
        assert_eq!(mb.uid_next().get(), 1);
        drop(mb);
        assert_eq!(e.append("box", vec![msg("c", "3\r\n")]).uids, None);
        let mb = e.store.open("box", Access::ReadOnly).unwrap();
        assert_eq!(mb.messages()[0].uid.get(), 1);
        return;
    }
    if fmt.uids == Uids::PerSession {
        // Nothing to keep: the next session numbers from 1 again.
        assert_eq!(mb.uid_next().get(), 1);
        drop(mb);
        let out = e.append("box", vec![msg("c", "3\r\n")]);
        assert!(out.uids.is_none());
        return;
    }
    assert_eq!(mb.uid_validity(), validity);
    assert_eq!(mb.uid_next(), next);
    drop(mb);
    let out = e.append("box", vec![msg("c", "3\r\n")]);
    assert_eq!(out.uids.unwrap().1[0], next);
}

fn session_append_and_new_mail(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let out = mb
        .append(&mut vec![Ok(msg("mine", "x\r\n"))].into_iter())
        .unwrap();
    assert_eq!(
        mb.poll().unwrap(),
        vec![Change::Exists(1), Change::Recent(1)]
    );
    let uid = mb.messages()[0].uid;
    match fmt.uids {
        Uids::Sticky => assert_eq!(out.uids.unwrap().1[0], uid),
        Uids::FileNumbers | Uids::PerSession => assert_eq!(out.uids, None),
    }
    // Mail from another process appears at the next poll.
    e.append("box", vec![msg("theirs", "y\r\n")]);
    let changes = mb.poll().unwrap();
    assert_eq!(changes[0], Change::Exists(2));
    assert!(mb.messages()[1].uid > uid);
    assert_eq!(subjects(&mut *mb), vec!["mine", "theirs"]);
    mb.close(Close::Keep).unwrap();
}

fn failed_append_adds_nothing(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append("box", vec![msg("kept", "1\r\n")]);
    let before = e.store.status("box").unwrap();
    let mut source = vec![
        Ok(msg("x", "2\r\n")),
        Ok(msg("y", "3\r\n")),
        Err(Error::BadMessage {
            reason: "the client went away",
        }),
    ]
    .into_iter();
    assert!(e.store.append("box", &mut source).is_err());
    let empty = AppendMessage {
        data: Vec::new(),
        ..msg("", "")
    };
    assert!(
        e.store
            .append("box", &mut vec![Ok(empty)].into_iter())
            .is_err()
    );
    let after = e.store.status("box").unwrap();
    assert_eq!(after.messages, before.messages);
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(subjects(&mut *mb), vec!["kept"]);
}

fn another_session_sees_changes(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append(
        "box",
        (1..=4).map(|i| msg(&format!("m{i}"), "b\r\n")).collect(),
    );
    let mut writer = e.store.open("box", Access::ReadWrite).unwrap();
    let mut reader = e.store.open("box", Access::ReadOnly).unwrap();
    writer
        .set_flags(&[seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    writer
        .set_flags(&[seq(4)], FlagOp::Add, Flags::SEEN, &[])
        .unwrap();
    let gone = writer.expunge(ExpungeScope::AllDeleted).unwrap();
    let changes = reader.poll().unwrap();
    if fmt.expunge == Expunge::Alone {
        // The reader has the mailbox open: nothing can be expunged.
        assert!(gone.is_empty());
        assert_eq!(changes, vec![Change::Flags(seq(2)), Change::Flags(seq(4))]);
        assert_eq!(subjects(&mut *reader), vec!["m1", "m2", "m3", "m4"]);
        assert!(reader.messages()[1].flags.contains(Flags::DELETED));
        assert!(reader.messages()[3].flags.contains(Flags::SEEN));
        drop(reader);
        assert_eq!(
            writer.expunge(ExpungeScope::AllDeleted).unwrap(),
            vec![seq(2)]
        );
        assert_eq!(subjects(&mut *writer), vec!["m1", "m3", "m4"]);
        return;
    }
    assert_eq!(gone, vec![seq(2)]);
    if fmt.flags == FlagsKept::SeenOnly {
        // Flags live in each session: the reader sees the expunge only.
        assert_eq!(changes, vec![Change::Expunged(seq(2))]);
        assert_eq!(subjects(&mut *reader), vec!["m1", "m3", "m4"]);
        return;
    }
    assert_eq!(
        changes,
        vec![Change::Expunged(seq(2)), Change::Flags(seq(3))]
    );
    assert_eq!(subjects(&mut *reader), vec!["m1", "m3", "m4"]);
    assert!(reader.messages()[2].flags.contains(Flags::SEEN));
}

fn second_writer(fmt: Format) {
    let e = Env::new(fmt);
    e.create("box");
    e.append("box", vec![msg("a", "1\r\n")]);
    let first = e.store.open("box", Access::ReadWrite).unwrap();
    let second = e.store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(first.access(), Access::ReadWrite);
    if fmt.single_writer {
        assert_eq!(second.access(), Access::ReadOnly);
        let mut second = second;
        assert!(matches!(
            second.set_flags(&[seq(1)], FlagOp::Add, Flags::SEEN, &[]),
            Err(Error::ReadOnly)
        ));
    } else {
        assert_eq!(second.access(), Access::ReadWrite);
    }
}

fn copy_keeps_flags_keywords_and_dates(fmt: Format) {
    let e = Env::new(fmt);
    e.create("src");
    e.create("dst");
    let mut m = msg("a", "1\r\n");
    m.flags = Flags::FLAGGED.union(Flags::DELETED);
    m.keywords = vec![Keyword::new("Work").unwrap()];
    e.append("src", vec![m, msg("b", "2\r\n")]);
    let mut src = e.store.open("src", Access::ReadOnly).unwrap();
    let out = e
        .store
        .copy(&mut *src, &[seq(1), seq(2)], "dst", CopyKeywords::Keep)
        .unwrap();
    match fmt.uids {
        Uids::Sticky => assert_eq!(out.uids.unwrap().1.len(), 2),
        Uids::FileNumbers | Uids::PerSession => assert_eq!(out.uids, None),
    }
    let mut dst = e.store.open("dst", Access::ReadOnly).unwrap();
    assert_eq!(subjects(&mut *dst), vec!["a", "b"]);
    let d = &dst.messages()[0];
    assert_eq!(
        d.flags.minus(Flags::RECENT),
        fmt.kept(Flags::FLAGGED.union(Flags::DELETED))
    );
    match fmt.keywords {
        Keywords::Kept | Keywords::Fixed => assert_eq!(
            dst.keywords()[d.keywords.iter().next().unwrap()].as_str(),
            "Work"
        ),
        Keywords::None => assert!(d.keywords.is_empty()),
    }
    assert_eq!(d.internal_date, src.messages()[0].internal_date);
    assert_eq!(
        dst.fetch(seq(1), Part::Whole).unwrap(),
        src.fetch(seq(1), Part::Whole).unwrap()
    );
    assert!(matches!(
        e.store
            .copy(&mut *src, &[seq(1)], "missing", CopyKeywords::Keep),
        Err(Error::NoSuchMailbox { .. })
    ));
}

fn names_create_delete_rename(fmt: Format) {
    let e = Env::new(fmt);
    e.create("a/b/c");
    assert!(matches!(
        e.store.create(&format!("{}a/b/c", fmt.prefix)),
        Err(Error::NodeExists { .. })
    ));
    e.append("a/b/c", vec![msg("x", "1\r\n")]);
    e.store.rename("a/b/c", "z/y").unwrap();
    assert!(matches!(
        e.store.status("a/b/c"),
        Err(Error::NoSuchMailbox { .. })
    ));
    assert_eq!(e.store.status("z/y").unwrap().messages, 1);
    let listed: Vec<String> = e
        .store
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(listed.contains(&"z/y".to_owned()), "{listed:?}");
    assert!(listed.contains(&"a/b".to_owned()), "{listed:?}");
    e.store.delete("z/y").unwrap();
    assert!(matches!(
        e.store.open("z/y", Access::ReadOnly),
        Err(Error::NoSuchMailbox { .. })
    ));
    assert!(matches!(
        e.store.rename("nothere", "x"),
        Err(Error::NoSuchMailbox { .. })
    ));
}

macro_rules! conformance {
    ($name:ident, $fmt:expr) => {
        mod $name {
            use super::*;

            const FMT: Format = $fmt;

            #[test]
            fn append_and_read_back() {
                super::append_and_read_back(FMT)
            }
            #[test]
            fn flags_and_keywords_persist() {
                super::flags_and_keywords_persist(FMT)
            }
            #[test]
            fn keywords_are_limited() {
                super::keywords_are_limited(FMT)
            }
            #[test]
            fn expunge_reports_sequence_numbers() {
                super::expunge_reports_sequence_numbers(FMT)
            }
            #[test]
            fn uids_stay_through_emptying() {
                super::uids_stay_through_emptying(FMT)
            }
            #[test]
            fn session_append_and_new_mail() {
                super::session_append_and_new_mail(FMT)
            }
            #[test]
            fn failed_append_adds_nothing() {
                super::failed_append_adds_nothing(FMT)
            }
            #[test]
            fn another_session_sees_changes() {
                super::another_session_sees_changes(FMT)
            }
            #[test]
            fn second_writer() {
                super::second_writer(FMT)
            }
            #[test]
            fn copy_keeps_flags_keywords_and_dates() {
                super::copy_keeps_flags_keywords_and_dates(FMT)
            }
            #[test]
            fn names_create_delete_rename() {
                super::names_create_delete_rename(FMT)
            }
        }
    };
}

conformance!(
    unix,
    Format {
        prefix: "#driver.unix/",
        single_writer: true,
        ..Format::KEEPS_ALL
    }
);

conformance!(
    mx,
    Format {
        prefix: "#driver.mx/",
        single_writer: false,
        recent: Recent::SessionOnly,
        zones: Zones::Utc,
        ..Format::KEEPS_ALL
    }
);

conformance!(
    mh,
    Format {
        prefix: "#driver.mh/",
        single_writer: false,
        recent: Recent::SessionOnly,
        zones: Zones::Utc,
        flags: FlagsKept::SeenOnly,
        keywords: Keywords::None,
        uids: Uids::FileNumbers,
        // The MH root is the home itself, so that the suite's plain names are MH names.
        home_files: &[(".mh_profile", "Path: .\n")],
        ..Format::KEEPS_ALL
    }
);
conformance!(
    mix,
    Format {
        prefix: "#driver.mix/",
        single_writer: false,
        ..Format::KEEPS_ALL
    }
);
conformance!(
    maildir,
    Format {
        prefix: "#driver.maildir/",
        single_writer: false,
        ..Format::KEEPS_ALL
    }
);
conformance!(
    mbx,
    Format {
        prefix: "#driver.mbx/",
        single_writer: false,
        ..Format::KEEPS_ALL
    }
);

conformance!(
    tenex,
    Format {
        prefix: "#driver.tenex/",
        single_writer: false,
        uids: Uids::PerSession,
        keywords: Keywords::Fixed,
        expunge: Expunge::Alone,
        new_mailbox: NewMailbox::EmptyFile(mailstore::Format::Tenex),
        ..Format::KEEPS_ALL
    }
);
conformance!(
    mtx,
    Format {
        prefix: "#driver.mtx/",
        single_writer: false,
        uids: Uids::PerSession,
        keywords: Keywords::Fixed,
        expunge: Expunge::Alone,
        new_mailbox: NewMailbox::EmptyFile(mailstore::Format::Mtx),
        ..Format::KEEPS_ALL
    }
);
conformance!(
    mmdf,
    Format {
        prefix: "#driver.mmdf/",
        single_writer: true,
        ..Format::KEEPS_ALL
    }
);
