//! mmdf files as UW c-client writes them: the scanner's known answers, reading through the
//! store, what our appends write, corrupt files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::driver::unix::Framing;
use mailstore::driver::unix::scan::{ScanError, Scanned, Scanner};
use mailstore::notify::Silent;
use mailstore::{Access, Close, Error, FlagOp, Flags, Format, Part, SeqNo, Store};

/// An mmdf file exactly as UW's `mailutil copy -kw` wrote it (pseudo-message, then two
/// messages, each with the empty line UW's append leaves before the closing delimiter).
const UW_MMDF: &[u8] = b"\x01\x01\x01\x01\n\
From MAILER-DAEMON Thu Nov 26 07:08:35 2026\n\
Date: 26 Nov 2026 07:08:35 +0000\n\
From: Mail System Internal Data <MAILER-DAEMON@vm>\n\
Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n\
Message-ID: <1795676915@vm>\n\
X-IMAP: 1795676915 0000000001 $Label1 Junk NonJunk\n\
Status: RO\n\
\n\
This text is part of the internal format of your mail folder, and is not\n\
a real message.  It is created automatically by the mail system software.\n\
If deleted, important folder data will be lost, and it will be re-created\n\
with the data reset to initial values.\n\
\x01\x01\x01\x01\n\
\x01\x01\x01\x01\n\
From pandatest@vm Wed Dec  2 05:53:22 1992 -0700\n\
Status: R\n\
X-Status: FA\n\
X-Keywords:\n\
From: a@b\n\
Subject: one\n\
\n\
body line\n\
From here\n\
\n\
\x01\x01\x01\x01\n\
\x01\x01\x01\x01\n\
From pandatest@vm Sat Jan  1 00:00:01 2000 +0100\n\
Status: \n\
X-Status: DT\n\
X-Keywords: $Label1 NonJunk\n\
From: c@d\n\
Subject: two\n\
\n\
second\n\
\n\
\x01\x01\x01\x01\n";

fn scan(data: &[u8], window: usize) -> Result<Vec<Scanned>, ScanError> {
    let mut sc = Scanner::with_framing(0, jiff::tz::TimeZone::UTC, Framing::Mmdf);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut win = window;
    loop {
        let end = (pos + win).min(data.len());
        let eof = end == data.len();
        let n = sc.feed(&data[pos..end], eof, &mut out)?;
        pos += n;
        if eof && pos == data.len() {
            break;
        }
        if n == 0 {
            win *= 2;
        }
    }
    Ok(out)
}

#[test]
fn scanner_known_answers() {
    let whole = scan(UW_MMDF, UW_MMDF.len()).unwrap();
    assert_eq!(whole.len(), 3);
    let base = whole[0].base.as_ref().unwrap();
    assert!(base.pseudo);
    assert_eq!((base.validity, base.last), (1_795_676_915, 1));
    let m = &whole[1];
    assert_eq!(&UW_MMDF[m.start as usize..][..5], b"\x01\x01\x01\x01\n");
    assert_eq!(m.sep_len, 5);
    assert_eq!(m.end(), whole[2].start);
    assert_eq!(whole[2].end(), UW_MMDF.len() as u64);
    assert_eq!(m.date.timestamp(), 723_300_802);
    // The empty line before the delimiter is text (as UW's parser counts it).
    let body = &UW_MMDF[m.body_start() as usize..][..m.body_len as usize];
    assert_eq!(body, b"body line\nFrom here\n\n");
    assert_eq!(
        m.header_size,
        "From: a@b\r\nSubject: one\r\n\r\n".len() as u32
    );
    // Any window size gives the same answer.
    for w in [1, 3, 5, 7, 64] {
        assert_eq!(scan(UW_MMDF, w).unwrap(), whole, "window {w}");
    }
}

#[test]
fn scanner_rejects_data_without_delimiter() {
    let err = scan(b"From a Wed Dec  2 05:53 1992\n\nx\n", 64).unwrap_err();
    assert!(matches!(err, ScanError::NoDelimiter { offset: 0, .. }));
    // A delimiter without a From line: the message has no date from it.
    let out = scan(b"\x01\x01\x01\x01\nSubject: x\n\nb\n\x01\x01\x01\x01\n", 64).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].from_len, 5);
    // Garbage after a message.
    let err = scan(
        b"\x01\x01\x01\x01\nSubject: x\n\nb\n\x01\x01\x01\x01\njunk\n",
        64,
    )
    .unwrap_err();
    assert!(matches!(err, ScanError::NoDelimiter { offset: 24, .. }));
}

fn env() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let mut cfg = StoreConfig::new("tester", dir.path().join("home"));
    cfg.spool = dir.path().join("spool");
    cfg.locks.tmp_dir = dir.path().join("tmp");
    cfg.state_dir = None;
    cfg.locks.kod_attempts = 1;
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    cfg.hostname = "vm".into();
    let store = Store::new(cfg);
    (dir, store)
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

#[test]
fn reads_uw_file_and_rewrites_it_in_format() {
    let (dir, store) = env();
    let path = dir.path().join("home/box");
    std::fs::write(&path, UW_MMDF).unwrap();
    let mut mb = store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(mb.format(), Format::Mmdf);
    assert_eq!(mb.uid_validity().get(), 1_795_676_915);
    let m = mb.messages().to_vec();
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0].flags.minus(Flags::RECENT),
        Flags::SEEN.union(Flags::FLAGGED).union(Flags::ANSWERED)
    );
    assert_eq!(
        m[1].flags.minus(Flags::RECENT),
        Flags::DELETED.union(Flags::DRAFT)
    );
    let kws: Vec<&str> = m[1]
        .keywords
        .iter()
        .map(|k| mb.keywords()[k].as_str())
        .collect();
    assert_eq!(kws, ["$Label1", "NonJunk"]);
    assert_eq!(
        mb.fetch(seq(1), Part::Whole).unwrap(),
        b"From: a@b\r\nSubject: one\r\n\r\nbody line\r\nFrom here\r\n\r\n"
    );
    mb.set_flags(&[seq(1)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    assert_eq!(
        mb.expunge(mailstore::ExpungeScope::AllDeleted).unwrap(),
        vec![seq(1), seq(1)]
    );
    mb.close(Close::Keep).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(b"\x01\x01\x01\x01\nFrom MAILER-DAEMON "));
    assert!(
        after.ends_with(b"initial values.\n\x01\x01\x01\x01\n"),
        "{:?}",
        String::from_utf8_lossy(&after)
    );
    let mb = store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 0);
    assert_eq!(mb.uid_validity().get(), 1_795_676_915);
}

#[test]
fn appends_between_delimiters_without_escaping() {
    let (dir, store) = env();
    store.create("#driver.mmdf/box").unwrap();
    let msg = mailstore::AppendMessage {
        data: b"Subject: x\r\n\r\nFrom me\r\n\x01\x01\x01\x01\r\nend\r\n".to_vec(),
        flags: Flags::SEEN,
        keywords: Vec::new(),
        date: Some(rfc822::DateTime::from_civil(1992, 12, 2, (5, 53, 22), -7 * 3600).unwrap()),
    };
    store.append("box", &mut vec![Ok(msg)].into_iter()).unwrap();
    let text = std::fs::read(dir.path().join("home/box")).unwrap();
    let text = String::from_utf8(text).unwrap();
    let at = text.find("\x01\x01\x01\x01\n\x01\x01\x01\x01\n").unwrap() + 5;
    let stored = &text[at..];
    // The status block is padded to c-client's constant size; the text is not escaped and
    // lost its ^A bytes.
    assert!(
        stored.contains("X-Keywords:                  \n"),
        "{stored:?}"
    );
    assert!(
        stored.starts_with("\x01\x01\x01\x01\nFrom tester@vm Wed Dec  2 05:53:22 1992 -0700\nSubject: x\nStatus: R\nX-Status: \nX-Keywords:"),
        "{stored:?}"
    );
    assert!(
        stored.ends_with("X-UID: 1\n\nFrom me\n\nend\n\x01\x01\x01\x01\n"),
        "{stored:?}"
    );
    let mut mb = store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(
        mb.fetch(seq(1), Part::Text).unwrap(),
        b"From me\r\n\r\nend\r\n"
    );
}

#[test]
fn corrupt_file_gives_error_with_offset() {
    let (dir, store) = env();
    let path = dir.path().join("home/box");
    let mut bad = UW_MMDF[..UW_MMDF.len() - 1].to_vec();
    bad.extend_from_slice(b"\nrubbish\n");
    std::fs::write(&path, &bad).unwrap();
    match store.open("box", Access::ReadOnly) {
        Err(Error::Corrupt { offset, .. }) => assert_eq!(offset, UW_MMDF.len() as u64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn delete_and_rename_wait_for_no_session() {
    let (_dir, store) = env();
    store.create("#driver.mmdf/box").unwrap();
    let session = store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(session.access(), Access::ReadWrite);
    assert!(matches!(store.delete("box"), Err(Error::InUse { .. })));
    assert!(matches!(
        store.rename("box", "other"),
        Err(Error::InUse { .. })
    ));
    session.close(Close::Keep).unwrap();
    store.rename("box", "other").unwrap();
    assert_eq!(store.format_of("other").unwrap(), Some(Format::Mmdf));
    store.delete("other").unwrap();
    assert_eq!(store.format_of("other").unwrap(), None);
}
