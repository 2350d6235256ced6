//! The current time, as the store uses it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use rfc822::DateTime;

/// Seconds since the epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

/// Now, in local time zone `tz`.
pub(crate) fn now(tz: &TimeZone) -> DateTime {
    DateTime::at_in(unix_now(), tz).unwrap_or(DateTime::UNIX_EPOCH)
}

/// A new UIDVALIDITY: the current time, as c-client chooses it.
pub(crate) fn new_uid_validity() -> u32 {
    (unix_now().clamp(1, i64::from(u32::MAX))) as u32
}

/// A new UIDVALIDITY that differs from `old` (two in one second must still differ).
pub(crate) fn next_uid_validity(old: u32) -> u32 {
    let now = new_uid_validity();
    if now > old {
        now
    } else {
        old.wrapping_add(1).max(1)
    }
}
