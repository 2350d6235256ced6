//! The tenex / mtx header line parser on any bytes, in both variants: never panics; what it
//! accepts has twelve valid flag digits, and a line written from what it read reads back
//! the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::tenex::format::{
    Variant, flag_digits, looks_valid, parse_flag_digits, parse_header_line, write_header_line,
};

fuzz_target!(|data: &[u8]| {
    for variant in [Variant::Tenex, Variant::Mtx] {
        let _ = looks_valid(data, variant);
        let Ok(h) = parse_header_line(data, variant, &jiff::tz::TimeZone::UTC) else {
            continue;
        };
        let digits = flag_digits(h.user, h.system);
        assert_eq!(parse_flag_digits(&digits), Some((h.user, h.system & 0x3f)));
        let mut line = Vec::new();
        write_header_line(&mut line, &h.date, h.size, h.user, h.system, variant);
        let again = parse_header_line(&line, variant, &jiff::tz::TimeZone::UTC)
            .expect("a written line reads back");
        assert_eq!(again.size, h.size);
        assert_eq!(again.date.timestamp(), h.date.timestamp());
        assert_eq!((again.user, again.system), (h.user, h.system & 0x3f));
        assert!(looks_valid(&line, variant));
    }
});
