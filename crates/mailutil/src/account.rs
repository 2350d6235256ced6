//! Whose mail `mailutil` works on: the invoking user's, or with `-user NAME` (root only)
//! that account's, after becoming it.
//!
//! UW's `-user` changes only the user id and keeps `$HOME`; here the process becomes the
//! account whole (group, supplementary groups, user) and works in the account's home, so
//! that nothing it creates is left owned by root's group.

use std::path::PathBuf;
use std::sync::Arc;

use mailstore::Store;
use mailstore::config::StoreConfig;
use nix::unistd::User;

use crate::args::Verbosity;
use crate::console::Console;

/// Why the store could not be set up; printed as it is, on standard error.
#[derive(Debug)]
pub struct AccountError(pub String);

/// Becomes `user` (`-user`): group, supplementary groups, then user id.
pub fn become_user(user: &User) -> Result<(), AccountError> {
    let fail = |e: nix::Error| AccountError(format!("unable to change user id: {}", e.desc()));
    if user.uid == nix::unistd::geteuid() && user.uid == nix::unistd::getuid() {
        // Already that account: nothing to change (and setuid to oneself succeeds).
        return Ok(());
    }
    if !nix::unistd::geteuid().is_root() {
        // What setuid says to anyone else.
        return Err(fail(nix::Error::EPERM));
    }
    let name =
        std::ffi::CString::new(user.name.as_bytes()).map_err(|_| fail(nix::Error::EINVAL))?;
    nix::unistd::setgid(user.gid).map_err(fail)?;
    nix::unistd::initgroups(&name, user.gid).map_err(fail)?;
    nix::unistd::setuid(user.uid).map_err(fail)?;
    Ok(())
}

/// The store of the account the process runs as. `switched` says whether `-user` made
/// it that account (then its home and spool come from its passwd entry, not from the
/// environment, which is root's).
pub fn open_store(verbosity: Verbosity, switched: Option<&User>) -> Result<Store, AccountError> {
    let uid = nix::unistd::geteuid();
    let user = match switched {
        Some(u) => u.clone(),
        None => User::from_uid(uid)
            .ok()
            .flatten()
            .ok_or_else(|| AccountError("Unable to look up user name".into()))?,
    };
    let env_home = || {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_dir())
    };
    let home = match switched {
        Some(_) => user.dir.clone(),
        None => env_home().unwrap_or_else(|| user.dir.clone()),
    };
    let mut cfg = StoreConfig::new(&user.name, home);
    if switched.is_none()
        && let Some(mail) = std::env::var_os("MAIL").filter(|m| !m.is_empty())
    {
        cfg.spool = mail.into();
    }
    cfg.notify = Arc::new(Console { verbosity });
    mailstore::lock::kod::install().map_err(|e| AccountError(e.to_string()))?;
    Ok(Store::new(cfg))
}
