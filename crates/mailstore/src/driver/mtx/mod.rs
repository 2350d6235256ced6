//! The mtx mailbox format: tenex with CRLF line ends (TOPS-20, PC Pine). The code is the
//! tenex driver's ([`crate::driver::tenex`]), run with [`Variant::Mtx`].

use crate::driver::tenex::{FlatDriver, Variant};

/// The mtx driver.
pub(crate) const MTX: FlatDriver = FlatDriver(Variant::Mtx);
