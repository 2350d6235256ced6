//! UW c-client (Debian's `uw-mailutils`) as the oracle for the directory formats mx and
//! MH: mailboxes UW's mailutil makes and copies into read the same in our store, and
//! mailboxes ours makes read the same in UW's (its `check`, and its copy back to a UNIX
//! mailbox, read by us).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;

use common::*;
use mailstore::Flags;

/// What survives in a format that keeps only the instant of a date.
fn utc(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .map(|s| Seen {
            date: (s.date.0, 0),
            recent: false,
            ..s.clone()
        })
        .collect()
}

/// The MH profile the tests share: the MH root is `~/Mail`.
fn mh_profile() {
    put(&home().join(".mh_profile"), "Path: Mail\n");
    let root = home().join("Mail");
    fs::create_dir_all(&root).unwrap();
    give(&root);
}

#[test]
fn uw_mx_reads_identically_in_ours() {
    if !oracle_available("uw_mx_reads_identically_in_ours") {
        return;
    }
    let (dir, rel) = workdir("mx-uw");
    let expected = write_fixture(&dir, 24);
    let (_, source) = read_ours(&format!("{rel}/fixture"));
    let dst = format!("{rel}/uwmx");
    uw(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mx/{dst}"),
    ]);
    let index = fs::read(dir.join("uwmx/.mxindex")).unwrap();
    let ix = mailstore::driver::mx::index::Index::parse(&index);
    let (validity, seen) = read_ours(&dst);
    assert_eq!(validity, ix.validity);
    // UW's -kw defines the keywords by appending and expunging a dummy message, which
    // takes UID 1.
    assert_eq!(uids(&seen), (2..=25).collect::<Vec<_>>());
    let expect: Vec<Seen> = utc(&source)
        .into_iter()
        .zip(&seen)
        .map(|(s, o)| Seen { uid: o.uid, ..s })
        .collect();
    assert_eq!(utc(&seen), expect);
    // Messages UW expunges are gone in ours.
    let subject = &expected[0].subject;
    let (_, out) = uw_status(&["prune", &dst, &format!("SUBJECT \"{subject}\"")]);
    // UW's SUBJECT matches anywhere in the decoded subject: take its own count.
    let pruned: usize = out
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(pruned >= 1, "{out}");
    let (_, after) = read_ours(&dst);
    assert_eq!(after.len(), 24 - pruned, "{out}");
    assert!(after.iter().all(|s| s.uid != 2));
}

#[test]
fn our_mx_reads_identically_in_uw() {
    if !oracle_available("our_mx_reads_identically_in_uw") {
        return;
    }
    let (dir, rel) = workdir("mx-ours");
    let expected = write_fixture(&dir, 24);
    let (_, source) = read_ours(&format!("{rel}/fixture"));
    let dst = format!("{rel}/ourmx");
    our_mailutil(&[
        "copy",
        "-kw",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mx/{dst}"),
    ]);
    assert!(dir.join("ourmx/.mxindex").is_file());
    assert_eq!(
        uw(&["check", &dst]).trim(),
        check_line(0, unseen(&expected), 24, &dst)
    );
    // UW copies ours back to a UNIX mailbox; we read it as the original.
    let seen = uw_copy_back(&dst, &format!("{rel}/back"), Keywords::Copy);
    let strip = |v: &[Seen]| -> Vec<(Flags, std::collections::BTreeSet<String>, i64, Vec<u8>)> {
        v.iter()
            .map(|s| (s.flags, s.keywords.clone(), s.date.0, s.text.clone()))
            .collect()
    };
    let escaped: Vec<Seen> = source.iter().map(Seen::escaped).collect();
    assert_eq!(strip(&seen), strip(&escaped));
}

#[test]
fn uw_mh_reads_identically_in_ours() {
    if !oracle_available("uw_mh_reads_identically_in_ours") {
        return;
    }
    mh_profile();
    let (dir, rel) = workdir("mh-uw");
    write_fixture(&dir, 16);
    let (_, source) = read_ours(&format!("{rel}/fixture"));
    let name = format!("#mh/{rel}-uw");
    let _ = fs::remove_dir_all(home().join(format!("Mail/{rel}-uw")));
    uw(&["copy", &format!("{rel}/fixture"), &name]);
    let (_, seen) = read_ours(&name);
    assert_eq!(uids(&seen), (1..=16).collect::<Vec<_>>());
    for (o, s) in seen.iter().zip(&source) {
        assert_eq!(o.text, s.text);
        assert_eq!(o.date, (s.date.0, 0));
        assert!(o.keywords.is_empty());
        // UW sets every appended file's access time to now: all read as seen, in
        // c-client as in ours.
        assert_eq!(o.flags, Flags::SEEN);
    }
}

#[test]
fn our_mh_reads_identically_in_uw() {
    if !oracle_available("our_mh_reads_identically_in_uw") {
        return;
    }
    mh_profile();
    let (dir, rel) = workdir("mh-ours");
    let expected = write_fixture(&dir, 16);
    let (_, source) = read_ours(&format!("{rel}/fixture"));
    let name = format!("#mh/{rel}-ours");
    let mdir = home().join(format!("Mail/{rel}-ours"));
    let _ = fs::remove_dir_all(&mdir);
    our_mailutil(&["copy", "-kw", &format!("{rel}/fixture"), &name]);
    // LF line ends on disk, the date in the modification time.
    let first = fs::read(mdir.join("1")).unwrap();
    assert!(!first.contains(&b'\r'));
    assert_eq!(
        fs::metadata(mdir.join("1")).unwrap().mtime(),
        source[0].date.0
    );
    // \Seen went into the access times, where UW reads it.
    let status = uw(&["check", &name]);
    assert!(
        status.contains(&format!("({} unseen), 16 total", unseen(&expected))),
        "{status}"
    );
    let seen = uw_copy_back(&name, &format!("{rel}/back"), Keywords::Leave);
    assert_eq!(seen.len(), 16);
    for (o, s) in seen.iter().zip(&source) {
        assert_eq!(o.text, s.escaped().text);
        assert_eq!(o.date.0, s.date.0);
    }
}
