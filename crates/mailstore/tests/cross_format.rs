//! COPY between formats: every message keeps its text, flags, keywords and internal date
//! from any format that keeps them to any other, as IMAP COPY and `mailutil copy` need.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, AppendMessage, CopyKeywords, Flags, Format, Keyword, Part, SeqNo, Store};

/// The formats that keep flags, keywords and dates (mh keeps only `\Seen` and no
/// keywords; news and phile are read-only).
const FORMATS: [Format; 8] = [
    Format::Unix,
    Format::Mmdf,
    Format::Mbx,
    Format::Mix,
    Format::Mx,
    Format::Tenex,
    Format::Mtx,
    Format::Maildir,
];

fn store(dir: &std::path::Path) -> Store {
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    // tenex and mtx take their keywords from ~/.mminit.
    std::fs::write(dir.join("home/.mminit"), "set keywords Work, Junk\n").unwrap();
    let mut cfg = StoreConfig::new("tester", dir.join("home"));
    cfg.spool = dir.join("spool");
    cfg.locks.tmp_dir = dir.join("tmp");
    cfg.state_dir = Some(dir.join("tmp/cache"));
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    Store::new(cfg)
}

fn message(subject: &str, flags: Flags, keyword: Option<&str>, hour: u8) -> AppendMessage {
    AppendMessage {
        data: format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nText of {subject}\r\n")
            .into_bytes(),
        flags,
        keywords: keyword
            .map(|k| Keyword::new(k).unwrap())
            .into_iter()
            .collect(),
        date: Some(rfc822::DateTime::from_civil(2025, 6, 7, (hour, 5, 6), 0).unwrap()),
    }
}

#[test]
fn copy_between_every_two_formats() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut failures = Vec::new();
    for from in FORMATS {
        let src = format!("src-{}", from.name());
        store
            .create(&format!("#driver.{}/{src}", from.name()))
            .unwrap();
        let msgs = vec![
            message("one", Flags::SEEN.union(Flags::FLAGGED), Some("Work"), 1),
            message("two", Flags::ANSWERED, None, 2),
            message("three", Flags::DRAFT.union(Flags::DELETED), Some("Junk"), 3),
        ];
        store
            .append(
                &format!("#driver.{}/{src}", from.name()),
                &mut msgs.into_iter().map(Ok),
            )
            .unwrap();
        assert_eq!(store.format_of(&src).unwrap(), Some(from));
        let mut source = store.open(&src, Access::ReadOnly).unwrap();
        let all: Vec<SeqNo> = (1..=3).map(|i| SeqNo::new(i).unwrap()).collect();
        for to in FORMATS {
            let dst = format!("dst-{}-{}", from.name(), to.name());
            store
                .create(&format!("#driver.{}/{dst}", to.name()))
                .unwrap();
            // tenex and mtx mailboxes are created as empty files: the destination's
            // `#driver.` prefix gives them their format at the first append (without it
            // they would take the empty-file format, unix, as in c-client).
            store
                .copy(
                    &mut *source,
                    &all,
                    &format!("#driver.{}/{dst}", to.name()),
                    CopyKeywords::Keep,
                )
                .unwrap();
            if store.format_of(&dst).unwrap() != Some(to) {
                failures.push(format!("{dst}: not in {}", to.name()));
                continue;
            }
            let mut copy = store.open(&dst, Access::ReadOnly).unwrap();
            for (i, seq) in all.iter().enumerate() {
                let (a, b) = (&source.messages()[i], &copy.messages()[i]);
                let kw = |mb: &dyn mailstore::Mailbox, m: &mailstore::MessageInfo| {
                    m.keywords
                        .iter()
                        .map(|k| mb.keywords()[k].to_string())
                        .collect::<Vec<_>>()
                };
                let same = a.flags.minus(Flags::RECENT) == b.flags.minus(Flags::RECENT)
                    && kw(&*source, a) == kw(&*copy, b)
                    && a.internal_date.timestamp() == b.internal_date.timestamp()
                    && source.fetch(*seq, Part::Whole).unwrap()
                        == copy.fetch(*seq, Part::Whole).unwrap();
                if !same {
                    failures.push(format!(
                        "{} -> {} message {}",
                        from.name(),
                        to.name(),
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
