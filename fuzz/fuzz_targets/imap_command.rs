//! The IMAP command parser on any bytes: never panics; every command it accepts has a tag
//! of the allowed characters and length.
#![no_main]

use imap_proto::command::{MAX_TAG, parse_command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cmd) = parse_command(data) {
        assert!(!cmd.tag.is_empty() && cmd.tag.len() <= MAX_TAG);
        assert!(cmd.tag.iter().all(|&c| c > 0x20 && c < 0x7f && !b"(){%*\"\\+".contains(&c)));
        let _ = format!("{cmd:?}");
    }
});
