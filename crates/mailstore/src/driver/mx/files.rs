//! What the directory formats share: message files named by number, their dates kept as
//! the file's modification time, and line-end conversions (c-client `mx.c`, `mh.c`,
//! `news.c` all select entries whose names are all digits and sort them numerically).

use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rfc822::DateTime;

/// Whether `name` is all ASCII digits (c-client's `*_select`): a message file.
pub(crate) fn is_number(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// The message files of directory `dir`: their numbers, ascending. Names with leading
/// zeros, a zero, or too large for a UID are not messages of ours (c-client would read
/// them by another name and fail to open them).
pub(crate) fn numbered(dir: &Path) -> io::Result<Vec<u32>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_number(name) || name.starts_with('0') {
            continue;
        }
        if let Ok(n) = name.parse::<u32>() {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The internal date a message file carries: its modification time, in UTC (c-client
/// uses `gmtime` and no zone).
pub(crate) fn file_date(meta: &fs::Metadata) -> DateTime {
    use std::os::unix::fs::MetadataExt;
    DateTime::new(meta.mtime(), 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// Sets a message file's times: modification time `date` (its internal date), access
/// time `accessed`.
pub(crate) fn set_times(file: &fs::File, date: &DateTime, accessed: SystemTime) -> io::Result<()> {
    let secs = date.timestamp();
    let mtime = if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    file.set_times(
        fs::FileTimes::new()
            .set_modified(mtime)
            .set_accessed(accessed),
    )
}

/// `data` with every bare LF made CRLF.
pub(crate) fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// `data` without CRs (c-client's mh append drops every CR).
pub(crate) fn without_cr(data: &[u8]) -> Vec<u8> {
    data.iter().copied().filter(|&b| b != b'\r').collect()
}

/// The length of the header of a CRLF message, the empty line included (all of it when
/// there is no empty line).
pub(crate) fn header_len(crlf: &[u8]) -> usize {
    if crlf.starts_with(b"\r\n") {
        return 2;
    }
    memchr::memmem::find(crlf, b"\r\n\r\n").map_or(crlf.len(), |i| i + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(without_cr(b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(header_len(b"A: b\r\n\r\nbody"), 8);
        assert_eq!(header_len(b"\r\nbody"), 2);
        assert_eq!(header_len(b"A: b\r\n"), 6);
    }

    #[test]
    fn numbers() {
        assert!(is_number("12"));
        assert!(!is_number(""));
        assert!(!is_number(".mxindex"));
        assert!(!is_number(",12"));
    }
}
