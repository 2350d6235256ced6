//! Passwords through PAM, as c-client's `ckp_pam`: service `imap` or `pop`, `PAM_RHOST`
//! set to the client, the conversation answering echo-on prompts with the user name and
//! echo-off prompts with the password. Then `pam_acct_mgmt` (expired or locked accounts),
//! and, unlike c-client, a real session: `pam_setcred(ESTABLISH)` and `pam_open_session`,
//! closed (`pam_close_session`, `pam_setcred(DELETE)`) when the [`PamSession`] is dropped.
//!
//! libpam is reached through `pam-client2`, a safe wrapper.

use std::sync::Mutex;

use pam_client2::conv_mock::Conversation;
use pam_client2::{Context, Flag, SessionToken};

/// Why PAM refused (for the log, never for the peer).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PamError {
    /// The password is not valid UTF-8 or holds a NUL byte (a PAM conversation answer is a
    /// C string).
    #[error("password is not a C string")]
    Password,
    /// A PAM step failed.
    #[error("{step}: {message}")]
    Step {
        /// Which (`pam_start`, `pam_authenticate`, …).
        step: &'static str,
        /// PAM's description of the error.
        message: String,
    },
}

/// An open PAM session; dropping it closes the session and deletes the credentials.
pub struct PamSession {
    inner: Mutex<Option<(Context<Conversation>, SessionToken)>>,
}

impl std::fmt::Debug for PamSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PamSession").finish_non_exhaustive()
    }
}

impl Drop for PamSession {
    fn drop(&mut self) {
        let inner = match self.inner.get_mut() {
            Ok(i) => i.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some((mut context, token)) = inner {
            // Closing is the session's drop: pam_close_session, pam_setcred(DELETE).
            drop(context.unleak_session(token));
        }
    }
}

/// Authenticates `user` with `password` for `service` (`imap`, `pop`) from `rhost`, checks
/// the account and opens a session.
pub fn login(
    service: &str,
    user: &str,
    password: &[u8],
    rhost: Option<&str>,
) -> Result<PamSession, PamError> {
    let password = std::str::from_utf8(password)
        .ok()
        .filter(|p| !p.contains('\0'))
        .ok_or(PamError::Password)?;
    let step = |step| {
        move |e: pam_client2::Error| PamError::Step {
            step,
            message: e.to_string(),
        }
    };
    let conv = Conversation::with_credentials(user, password);
    let mut context = Context::new(service, Some(user), conv).map_err(step("pam_start"))?;
    if let Some(host) = rhost {
        context.set_rhost(Some(host)).map_err(step("PAM_RHOST"))?;
    }
    context
        .authenticate(Flag::DISALLOW_NULL_AUTHTOK)
        .map_err(step("pam_authenticate"))?;
    context
        .acct_mgmt(Flag::DISALLOW_NULL_AUTHTOK)
        .map_err(step("pam_acct_mgmt"))?;
    let token = context
        .open_session(Flag::NONE)
        .map_err(step("pam_open_session"))?
        .leak();
    Ok(PamSession {
        inner: Mutex::new(Some((context, token))),
    })
}
