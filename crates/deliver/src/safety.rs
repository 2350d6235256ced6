//! Is it safe to write to this mailbox? The checks UW's tmail and dmail make on the file
//! (or directory) just before they deliver to it, and again just after (`delivery_unsafe`,
//! `deliver_safely`).
//!
//! Refused (`delivery to P unsafe: …`, `EX_CANTCREAT`): a name that cannot be `lstat`ed, a
//! symbolic link, a device, a socket, a FIFO, a setuid or setgid file; and for tmail, which
//! runs privileged, anything not owned by the recipient (`uid mismatch (A != B)`), checked
//! first. The words are those of UW's 2007 and later tmail and dmail.
//!
//! Warned about, and delivered to: a directory others may list, a file with more than one
//! hard link, an executable file, and anything others may read or write.

use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use nix::unistd::Uid;
use server::log::Level;

use crate::report::{Report, strerror};
use crate::sysexits::Exit;

/// Whose the mailbox must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The recipient's (tmail): a mailbox owned by anyone else is refused.
    Recipient(Uid),
    /// Anybody's (dmail, which runs as the user and can only write what the user may).
    Any,
}

const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFLNK: u32 = 0o120000;
const S_IFSOCK: u32 = 0o140000;
const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;

/// Checks `path` (UW's `delivery_unsafe`); on refusal, reports it and returns the exit
/// status.
pub fn check(path: &Path, owner: Owner, report: &Report) -> Result<Metadata, Exit> {
    match owner {
        Owner::Recipient(uid) => report.debug(&format!(
            "Verifying safe delivery to {} by UID {}",
            path.display(),
            uid
        )),
        Owner::Any => report.debug(&format!("Verifying safe delivery to {}", path.display())),
    }
    let unsafe_because = |why: &str| {
        Err(report.fail(
            &format!("delivery to {} unsafe: {why}", path.display()),
            Exit::CantCreat,
        ))
    };
    let md = match fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(e) => return unsafe_because(&strerror(&e)),
    };
    if let Owner::Recipient(uid) = owner
        && md.uid() != uid.as_raw()
    {
        return unsafe_because(&format!("uid mismatch ({} != {})", md.uid(), uid));
    }
    let mode = md.permissions().mode();
    match mode & S_IFMT {
        S_IFDIR => Ok(md),
        S_IFREG if mode & S_ISUID != 0 => unsafe_because("setuid file"),
        S_IFREG if mode & S_ISGID != 0 => unsafe_because("setgid file"),
        S_IFREG => Ok(md),
        kind => unsafe_because(&file_type(kind)),
    }
}

fn file_type(kind: u32) -> String {
    match kind {
        S_IFCHR => "character special".into(),
        S_IFBLK => "block special".into(),
        S_IFLNK => "symbolic link".into(),
        S_IFSOCK => "socket".into(),
        _ => format!("file type {kind:07o}"),
    }
}

/// The warnings UW gives about a mailbox it will deliver to (`deliver_safely`).
pub fn warn(path: &Path, md: &Metadata, report: &Report) {
    let mode = md.permissions().mode();
    let p = path.display();
    if md.is_dir() {
        if mode & 0o001 != 0 {
            report.say(
                Level::Warning,
                &format!("WARNING: directory {p} is listable"),
            );
        }
    } else {
        if md.nlink() != 1 {
            report.say(
                Level::Warning,
                &format!("WARNING: multiple links to file {p}"),
            );
        }
        if mode & 0o111 != 0 {
            report.say(Level::Warning, &format!("WARNING: file {p} is executable"));
        }
    }
    if mode & 0o002 != 0 {
        report.say(
            Level::Warning,
            &format!("WARNING: file {p} is publicly-writable"),
        );
    }
    if mode & 0o004 != 0 {
        report.say(
            Level::Warning,
            &format!("WARNING: file {p} is publicly-readable"),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::report::Debug;
    use crate::sysexits::Coercion;

    fn report() -> Report {
        Report::new("tmail-test", Debug::Off, Coercion::Tmail)
    }

    fn me() -> Owner {
        Owner::Recipient(nix::unistd::geteuid())
    }

    #[test]
    fn regular_files_and_directories_are_safe() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("INBOX");
        fs::write(&f, b"").unwrap();
        assert!(check(&f, me(), &report()).is_ok());
        assert!(check(dir.path(), me(), &report()).is_ok());
        assert!(check(&f, Owner::Any, &report()).is_ok());
    }

    #[test]
    fn links_special_files_and_set_id_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("INBOX");
        fs::write(&f, b"").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let setgid = dir.path().join("setgid");
        fs::write(&setgid, b"").unwrap();
        fs::set_permissions(&setgid, fs::Permissions::from_mode(0o2600)).unwrap();
        let missing = dir.path().join("missing");
        for p in [&link, &fifo, &setgid, &missing] {
            assert_eq!(check(p, Owner::Any, &report()).unwrap_err(), Exit::TempFail);
        }
        assert_eq!(file_type(S_IFLNK), "symbolic link");
        assert_eq!(file_type(0o010000), "file type 0010000");
    }

    #[test]
    fn another_owner_is_refused_for_tmail_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("INBOX");
        fs::write(&f, b"").unwrap();
        let other = Owner::Recipient(Uid::from_raw(nix::unistd::geteuid().as_raw() + 1));
        assert!(check(&f, other, &report()).is_err());
        assert!(check(&f, Owner::Any, &report()).is_ok());
    }
}
