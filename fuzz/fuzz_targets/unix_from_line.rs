//! The `From ` line parser on any bytes: never panics, and whatever it accepts has a
//! readable shape (fields of the documented widths).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::unix::format::{from_line, internal_date};

fuzz_target!(|data: &[u8]| {
    if let Some(d) = from_line(data) {
        assert_eq!(d.day.len(), 2);
        assert_eq!(d.month.len(), 3);
        assert_eq!(d.year.len(), 4);
        assert_eq!(d.hour.len(), 2);
        assert_eq!(d.minute.len(), 2);
        let _ = internal_date(&d, &jiff::tz::TimeZone::UTC);
    }
});
