//! Becoming the logged-in user, for good.
//!
//! As c-client's `loginpw`: `setgid`, `initgroups`, `setuid`, in that order (groups can
//! only be changed while still root). Then the change is checked: the real and effective
//! ids must be the user's, and getting root back with `setuid(0)` must fail. A process
//! that cannot prove it dropped must not serve the session.

use std::ffi::CString;

use nix::unistd::{self, Gid, Uid};

use crate::account::SystemAccount;

/// Why the process could not become the user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DropError {
    /// The superuser is never a mail session's identity.
    #[error("refusing to run a session as root")]
    Root,
    /// The user name cannot be passed to `initgroups`.
    #[error("user name contains a NUL byte")]
    Name,
    /// A system call failed.
    #[error("{call}: {source}")]
    Call {
        /// Which.
        call: &'static str,
        /// Why.
        source: nix::Error,
    },
    /// The ids after the change are not the user's, or root could be regained.
    #[error("identity check failed after the change: {0}")]
    NotDropped(&'static str),
}

/// Makes this process `account`, irreversibly, and changes to its home directory (when
/// there is one).
pub fn become_user(account: &SystemAccount) -> Result<(), DropError> {
    become_user_in(account, Root::System)
}

/// What a session process sees as the filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// The whole of it.
    System,
    /// Only the user's home, which becomes `/` (c-client's closedBox, FAQ 5.1).
    Home,
}

/// Makes this process `account`, irreversibly, with `root` as its filesystem. With
/// [`Root::Home`] the process changes its root to the home first, while it still may
/// (as c-client's `pw_login` does for closedBox: chdir, chroot, then the ids). The
/// groups are set before the change of root, since `initgroups` reads the group
/// database, which is not inside the home.
pub fn become_user_in(account: &SystemAccount, root: Root) -> Result<(), DropError> {
    if account.is_root() {
        return Err(DropError::Root);
    }
    let call = |call| move |source| DropError::Call { call, source };
    let name = CString::new(account.name.as_bytes()).map_err(|_| DropError::Name)?;
    unistd::setgid(account.gid).map_err(call("setgid"))?;
    unistd::initgroups(&name, account.gid).map_err(call("initgroups"))?;
    match root {
        Root::System => {}
        Root::Home => {
            unistd::chdir(&account.home).map_err(call("chdir"))?;
            unistd::chroot(&account.home).map_err(call("chroot"))?;
            unistd::chdir("/").map_err(call("chdir"))?;
        }
    }
    unistd::setuid(account.uid).map_err(call("setuid"))?;
    verify(account.uid, account.gid)?;
    if root == Root::System {
        // The home may be missing; sessions then work with absolute names only.
        let _ = unistd::chdir(&account.home);
    }
    Ok(())
}

/// Checks that this process is `uid`/`gid` and cannot become root again.
pub fn verify(uid: Uid, gid: Gid) -> Result<(), DropError> {
    if Uid::current() != uid || Uid::effective() != uid {
        return Err(DropError::NotDropped("user id"));
    }
    if Gid::current() != gid || Gid::effective() != gid {
        return Err(DropError::NotDropped("group id"));
    }
    if !uid.is_root() && unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(DropError::NotDropped("setuid(0) succeeded"));
    }
    Ok(())
}
