//! Accounts in the system's password database (`getpwnam_r`, so NSS sources count).

use std::path::PathBuf;

use nix::unistd::{Gid, Uid, User};

/// A system account: who a session becomes and where its mail is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemAccount {
    /// The login name.
    pub name: String,
    /// The user id.
    pub uid: Uid,
    /// The primary group id.
    pub gid: Gid,
    /// The home directory.
    pub home: PathBuf,
}

impl SystemAccount {
    /// `name`'s entry, if there is one.
    pub fn lookup(name: &str) -> Result<Option<SystemAccount>, nix::Error> {
        if name.is_empty() || name.contains('\0') {
            return Ok(None);
        }
        Ok(User::from_name(name)?.map(SystemAccount::from))
    }

    /// The account of the process's real user id (for pre-authenticated sessions).
    pub fn invoking() -> Result<Option<SystemAccount>, nix::Error> {
        Ok(User::from_uid(Uid::current())?.map(SystemAccount::from))
    }

    /// Whether this is the superuser, who never logs in to mail (FAQ 7.4).
    pub fn is_root(&self) -> bool {
        self.uid.is_root()
    }
}

/// Whether `user` is listed as a member of group `group` (the group file's member list, as
/// c-client reads it for `mailadm`; names compared without regard to ASCII case). A group
/// that does not exist has no members.
pub fn listed_in_group(user: &str, group: &str) -> Result<bool, nix::Error> {
    if group.is_empty() || group.contains('\0') {
        return Ok(false);
    }
    Ok(nix::unistd::Group::from_name(group)?
        .is_some_and(|g| g.mem.iter().any(|m| m.eq_ignore_ascii_case(user))))
}

impl From<User> for SystemAccount {
    fn from(u: User) -> Self {
        SystemAccount {
            name: u.name,
            uid: u.uid,
            gid: u.gid,
            home: u.dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_is_root() {
        let root = SystemAccount::lookup("root").unwrap().unwrap();
        assert!(root.is_root());
        assert!(
            SystemAccount::lookup("no-such-user-here")
                .unwrap()
                .is_none()
        );
        assert!(SystemAccount::lookup("").unwrap().is_none());
    }
}
