//! Any bytes as an mbx file: the header and record parsers never panic, what they read
//! writes back to the same values, and the store opens the file or says why not, with
//! every message it shows readable at its stated size.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mailstore::driver::mbx::format::{self, HEADER_SIZE, PidField, RECORD_READ};
use mailstore::notify::Silent;
use mailstore::{Access, Part, SeqNo, Store, StoreConfig};

fn store() -> &'static (Store, PathBuf) {
    static STORE: OnceLock<(Store, PathBuf)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mbx-fuzz-{}", std::process::id()));
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let mut cfg = StoreConfig::new("fuzz", &home);
        cfg.spool = dir.join("spool");
        cfg.locks.tmp_dir = dir.join("tmp");
        cfg.notify = Arc::new(Silent);
        cfg.state_dir = None;
        cfg.tz = jiff::tz::TimeZone::UTC;
        (Store::new(cfg), home.join("box"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Some(h) = format::parse_header(data) {
        let again = format::parse_header(&format::write_header(&h, PidField::Pid(h.last_pid)));
        let again = again.expect("a written header parses");
        assert_eq!(
            (again.uid_validity, again.uid_last),
            (h.uid_validity, h.uid_last)
        );
        assert_eq!(again.last_pid, h.last_pid);
    }
    // The records, walked as a session does.
    let mut pos = HEADER_SIZE.min(data.len());
    while pos < data.len() {
        let window = &data[pos..(pos + RECORD_READ).min(data.len())];
        let Ok(rec) = format::parse_record(window) else {
            break;
        };
        assert!(rec.line_len as usize <= window.len());
        if let Some(date) = rec.date {
            let line =
                format::write_record(&date, rec.size, rec.user_flags, rec.sys_flags, rec.uid);
            let back = format::parse_record(line.as_bytes()).expect("a written record parses");
            assert_eq!(back.date, Some(date));
            assert_eq!(
                (back.size, back.user_flags, back.sys_flags, back.uid),
                (rec.size, rec.user_flags, rec.sys_flags, rec.uid)
            );
        }
        let Some(next) = (pos as u64)
            .checked_add(u64::from(rec.line_len))
            .and_then(|p| p.checked_add(rec.size))
        else {
            break;
        };
        if next > data.len() as u64 {
            break;
        }
        pos = next as usize;
    }
    // The store: open read-only (nothing is written), or an error.
    let (store, path) = store();
    std::fs::write(path, data).unwrap();
    if let Ok(mut mb) = store.open("box", Access::ReadOnly) {
        let sizes: Vec<u32> = mb.messages().iter().map(|m| m.size).collect();
        for (i, size) in sizes.into_iter().enumerate() {
            let seq = SeqNo::from_index(i).unwrap();
            let whole = mb.fetch(seq, Part::Whole).expect("a shown message reads");
            assert_eq!(whole.len(), size as usize);
            let head = mb.fetch(seq, Part::Header).unwrap();
            let text = mb.fetch(seq, Part::Text).unwrap();
            assert_eq!(head.len() + text.len(), whole.len());
        }
    }
    assert_eq!(std::fs::read(path).unwrap(), data, "a read-only open wrote");
});
