//! IDLE (RFC 2177), as Panda runs it (panda-inventory.md §1.6, FAQ 7.37): the session
//! looks for changes every `idle_poll`, sends `* OK Timeout in N minutes` every other
//! minute to keep NAT state, and two minutes before the autologout fakes new mail to wake
//! the client; DONE after the fake takes it back with an EXPUNGE.

use std::time::{Duration, Instant};

use imap_proto::response::Writer;

use super::{Ctx, Done, Transition};
use crate::respond::Failure;
use crate::selected::{Lost, Poll, Selected};

/// An IDLE in progress.
#[derive(Debug)]
pub(crate) struct Idle {
    /// The IDLE command's tag.
    pub tag: Vec<u8>,
    /// When it began.
    pub started: Instant,
    /// When the last keep-alive went.
    pub last_keepalive: Instant,
    /// Whether new mail was faked.
    pub faked: Faked,
}

/// Whether the fake new mail was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Faked {
    /// Not yet.
    No,
    /// Yes.
    Yes,
}

/// How long before the autologout new mail is faked: two minutes, or half the time for
/// autologout timers shorter than four minutes.
fn fake_before(limit: Duration) -> Duration {
    Duration::from_secs(120).min(limit / 2)
}

pub(crate) fn run(ctx: Ctx<'_>) -> Result<Done, Failure> {
    ctx.out.text("+ Waiting for DONE\r\n");
    Ok(Done::ok("").then(Transition::Idle))
}

impl Idle {
    /// A new IDLE.
    pub fn new(tag: Vec<u8>) -> Self {
        let now = Instant::now();
        Idle {
            tag,
            started: now,
            last_keepalive: now,
            faked: Faked::No,
        }
    }

    /// One poll: changes, keep-alives, the fake.
    pub fn tick(
        &mut self,
        out: &mut Writer,
        sel: Option<&mut Selected>,
        limit: Duration,
        keepalive: Duration,
    ) -> Result<(), Lost> {
        let now = Instant::now();
        if let Some(sel) = sel {
            if self.faked == Faked::No {
                sel.sync(out, Poll::Yes)?;
            }
            if self.faked == Faked::No
                && now.duration_since(self.started) + fake_before(limit) >= limit
            {
                out.text("* ").num(sel.exists + 1).text(" EXISTS\r\n");
                out.text("* ").num(sel.recent + 1).text(" RECENT\r\n");
                self.faked = Faked::Yes;
            }
        }
        if now.duration_since(self.last_keepalive) >= keepalive {
            self.last_keepalive = now;
            let left = limit.saturating_sub(now.duration_since(self.started));
            out.text("* OK Timeout in ")
                .num(left.as_secs().div_ceil(60))
                .text(" minutes\r\n");
        }
        Ok(())
    }

    /// DONE: takes back a fake, and tells what really changed.
    pub fn done(self, out: &mut Writer, sel: Option<&mut Selected>) -> Result<(), Lost> {
        if let Some(sel) = sel {
            if self.faked == Faked::Yes {
                out.text("* ").num(sel.exists + 1).text(" EXPUNGE\r\n");
                // The client now knows one RECENT too many; tell the true count.
                out.text("* ").num(sel.recent).text(" RECENT\r\n");
            }
            sel.sync(out, Poll::Yes)?;
        }
        Ok(())
    }
}
