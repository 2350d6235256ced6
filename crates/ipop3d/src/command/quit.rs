//! QUIT (RFC 1939 §6): in TRANSACTION the session applies its marks (the UPDATE state);
//! the session writes the answer after committing.

use super::{Ctx, Transition};

pub(crate) fn run(_ctx: Ctx<'_>) -> Transition {
    Transition::Quit
}
