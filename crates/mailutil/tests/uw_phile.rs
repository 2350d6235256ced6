//! UW c-client as the oracle for `phile`: a file in no mailbox format counts and copies
//! the same in UW's `mailutil` and ours (the header c-client makes up for it, the body
//! as text or base64).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::time::{Duration, SystemTime};

use common::*;

/// The files of the test: name and contents.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    binary.extend_from_slice(b"\x00tail");
    vec![
        ("notes.txt", b"hello world\nsecond line\n".to_vec()),
        ("eight.txt", b"caf\xe9 in Latin-1\n".to_vec()),
        ("jp.txt", b"a \x1b$B0!\x1b(B b\n".to_vec()),
        ("kr.txt", b"\x1b$)C\x0e!!\x0f\n".to_vec()),
        ("crlf.txt", b"line one\r\nline two\n".to_vec()),
        ("no-newline.txt", b"no line end".to_vec()),
        ("data.bin", binary),
        ("with space.bin", b"\x01\x02\x03".to_vec()),
    ]
}

/// The messages of a UNIX mailbox after its pseudo-message.
fn after_pseudo(path: &std::path::Path) -> String {
    let text = String::from_latin1_lossy(&fs::read(path).unwrap());
    let start = text
        .match_indices("\nFrom ")
        .map(|(i, _)| i + 1)
        .find(|&i| !text[i..].starts_with("From MAILER-DAEMON"))
        .unwrap_or_else(|| panic!("no message in {}", path.display()));
    text[start..].to_owned()
}

trait Latin1 {
    fn from_latin1_lossy(b: &[u8]) -> String;
}

impl Latin1 for String {
    fn from_latin1_lossy(b: &[u8]) -> String {
        b.iter().map(|&c| char::from(c)).collect()
    }
}

#[test]
fn uw_and_ours_count_and_copy_files_alike() {
    if !oracle_available("uw_and_ours_count_and_copy_files_alike") {
        return;
    }
    let (dir, rel) = workdir("phile");
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_633_472);
    for (name, data) in files() {
        let p = dir.join(name);
        put(&p, &data);
        fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(when)
            .unwrap();
        let src = format!("{rel}/{name}");
        // mailutil check: one new, unseen message.
        let theirs = uw(&["check", &src]);
        assert_eq!(our_mailutil(&["check", &src]), theirs, "{name}");
        assert!(theirs.starts_with("1 new message(s) (1 unseen), 1 total"));
        // mailutil copy to a UNIX mailbox: the same message, byte for byte.
        let uw_dst = format!("{rel}/uw-{name}");
        let our_dst = format!("{rel}/ours-{name}");
        uw(&["copy", &src, &uw_dst]);
        our_mailutil(&["copy", "-kw", &src, &our_dst]);
        let theirs = after_pseudo(&dir.join(format!("uw-{name}")));
        let mine = after_pseudo(&dir.join(format!("ours-{name}")));
        assert_eq!(mine, theirs, "{name}");
        assert!(theirs.contains(&format!("Subject: {}\n", dir.join(name).display())));
        assert!(theirs.contains("Date: Tue, 5 Mar 2024 10:11:12 +0000\n"));
        // And what we copied, UW reads as it reads its own.
        let back = uw(&["check", &our_dst]);
        assert_eq!(back, uw(&["check", &uw_dst]).replace("uw-", "ours-"));
    }
    // Our store reads the file as UW describes it.
    let store = store();
    let mut mb = store
        .open(&format!("{rel}/data.bin"), mailstore::Access::ReadOnly)
        .unwrap();
    assert_eq!(mb.format(), mailstore::Format::Phile);
    assert_eq!(mb.uid_validity().get(), 1_709_633_472);
    let header = String::from_utf8(mb.fetch(seq(1), mailstore::Part::Header).unwrap()).unwrap();
    assert!(header.contains(
        "Content-Type: APPLICATION/OCTET-STREAM; name=data.bin\r\n\
         Content-Transfer-Encoding: BASE64\r\n"
    ));
    assert!(header.contains(&format!("From: {USER}@")));
}
