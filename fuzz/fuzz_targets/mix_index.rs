//! The mix line parsers (metadata, index, status, data file record lines) on any bytes:
//! never panic, and whatever they accept writes back to text they read the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::mix::format::{
    index_text, meta_text, parse_index, parse_meta, parse_msg_record, parse_status, status_text,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = parse_meta(data) {
        if m.keywords.iter().all(|k| !k.contains([' ', '\r', '\n'])) {
            assert_eq!(parse_meta(&meta_text(&m)), Ok(m));
        }
    }
    if let Ok(i) = parse_index(data) {
        assert_eq!(parse_index(&index_text(&i)), Ok(i));
    }
    if let Ok(s) = parse_status(data) {
        assert_eq!(parse_status(&status_text(&s)), Ok(s));
    }
    let _ = parse_msg_record(data);
});
