//! What the directory formats share: message files named by number, their dates kept as
//! the file's modification time, and line-end conversions (c-client `mx.c`, `mh.c`,
//! `news.c` all select entries whose names are all digits and sort them numerically).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rfc822::DateTime;

use crate::driver::common::{cut_part, to_crlf};
use crate::error::{Error, Result};
use crate::mailbox::{ExpungeScope, Part};
use crate::types::{MessageInfo, SeqNo, Uid};

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

/// Part `part` of the message whose file holds `raw`, as a client sees it (bare LFs made
/// CRLF), and the size of the whole message so seen (a file not written by c-client may
/// have bare LFs: its RFC822.SIZE is the CRLF one).
pub(crate) fn message_part(raw: &[u8], part: Part) -> (Vec<u8>, usize) {
    let whole = to_crlf(raw);
    let (size, h) = (whole.len(), header_len(&whole));
    (cut_part(whole, h, part), size)
}

/// The error for a message file that could not be read: one another session expunged is
/// gone from under this one.
pub(crate) fn read_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::ChangedUnderneath {
            what: format!("message file {} is gone", path.display()),
        },
        _ => Error::io("read", path, e),
    }
}

/// The file of message `uid` in directory `dir`.
pub(crate) fn message_file(dir: &Path, uid: Uid) -> PathBuf {
    dir.join(uid.get().to_string())
}

/// Expunges the messages of `msgs` that `scope` selects by removing their files from
/// `dir`, in order, a file already gone counting as removed. Returns
/// the sequence numbers gone, as an expunge reports them, and how it ended: it stops at
/// the first file it cannot remove, as c-client does.
pub(crate) fn expunge_files(
    msgs: &mut Vec<MessageInfo>,
    scope: ExpungeScope<'_>,
    dir: &Path,
) -> (Vec<SeqNo>, Result<()>) {
    let mut gone = Vec::new();
    let mut i = 0;
    while i < msgs.len() {
        if !scope.selects(&msgs[i]) {
            i += 1;
            continue;
        }
        let path = message_file(dir, msgs[i].uid);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return (gone, Err(Error::io("expunge", &path, e))),
        }
        msgs.remove(i);
        if let Some(seq) = SeqNo::from_index(i) {
            gone.push(seq);
        }
    }
    (gone, Ok(()))
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
