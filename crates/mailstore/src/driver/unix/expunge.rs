//! Expunging and closing (c-client `unix_expunge`, `unix_close`).

use std::collections::HashSet;

use super::UnixMailbox;
use crate::error::{Error, Result};
use crate::lock::instance::Share;
use crate::mailbox::{Close, ExpungeScope};
use crate::types::{Access, Flags, MessageInfo, SeqNo};

impl UnixMailbox {
    /// Removes deleted messages (all, or those with the given UIDs), writing any other
    /// pending change at the same time.
    pub(crate) fn expunge_deleted(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        let guard = self.lock_and_refresh(Share::Exclusive)?;
        let only: Option<HashSet<_>> = match scope {
            ExpungeScope::AllDeleted => None,
            ExpungeScope::Uids(u) => Some(u.iter().copied().collect()),
        };
        let pick = |m: &MessageInfo| {
            m.flags.contains(Flags::DELETED) && only.as_ref().is_none_or(|s| s.contains(&m.uid))
        };
        let any = self.model.infos.iter().any(pick);
        let pending = self.model.dirty || self.model.ddirty || self.model.base_dirty;
        let gone = if any || pending {
            self.rewrite(Some(&pick))?
        } else {
            Vec::new()
        };
        drop(guard);
        Ok(gone)
    }

    /// Closes the session as asked, writing what is pending.
    pub(crate) fn close_session(mut self, how: Close) -> Result<()> {
        match (self.access, how) {
            (Access::ReadWrite, Close::Expunge) => {
                self.expunge_deleted(ExpungeScope::AllDeleted).map(drop)
            }
            (Access::ReadWrite, Close::Keep)
                if self.model.dirty || self.model.ddirty || self.model.base_dirty =>
            {
                self.checkpoint()
            }
            _ => Ok(()),
        }
    }
}
