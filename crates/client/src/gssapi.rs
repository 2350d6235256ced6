//! Kerberos V5 logins (SASL GSSAPI, RFC 4752), with the `gssapi` cargo feature: the
//! initiator over MIT krb5's `libgssapi_krb5`, for the exchange in `sasl::gssapi`.
//!
//! As c-client: GSSAPI is tried first when the server offers it and the credentials cache
//! (`KRB5CCNAME`, else the default one) holds a usable ticket; the service principal is
//! `imap@host` or `pop@host` (host as written in the name); no security layer is chosen;
//! the authorization identity is `/user=`, else the local login name. Without the feature,
//! or without a ticket, the mechanism is not used.

use sasl::gssapi::GssInitiator;

/// A fresh initiator for `service` (`imap`, `pop`) on `host`, when a ticket is at hand.
#[cfg(feature = "gssapi")]
pub(crate) fn initiator(service: &str, host: &str) -> Option<Box<dyn GssInitiator>> {
    mit::Initiator::new(service, host).map(|i| Box::new(i) as Box<dyn GssInitiator>)
}

/// Without the `gssapi` feature there is never an initiator.
#[cfg(not(feature = "gssapi"))]
pub(crate) fn initiator(_service: &str, _host: &str) -> Option<Box<dyn GssInitiator>> {
    None
}

/// The initiator over MIT krb5's GSS-API library.
#[cfg(feature = "gssapi")]
mod mit {
    use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
    use libgssapi::credential::{Cred, CredUsage};
    use libgssapi::name::Name;
    use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, OidSet};
    use sasl::gssapi::{GssError, GssInitiator};

    /// One context toward `service@host`, with the default credentials.
    #[derive(Debug)]
    pub(super) struct Initiator {
        ctx: ClientCtx,
    }

    impl Initiator {
        /// None when there is no usable ticket, or the names cannot be made.
        pub(super) fn new(service: &str, host: &str) -> Option<Initiator> {
            let mut mechs = OidSet::new();
            mechs.add(GSS_MECH_KRB5).ok()?;
            let cred = Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs)).ok()?;
            if cred.lifetime().ok()?.is_zero() {
                return None;
            }
            let target = Name::new(
                format!("{service}@{host}").as_bytes(),
                Some(GSS_NT_HOSTBASED_SERVICE),
            )
            .ok()?;
            let ctx = ClientCtx::new(
                Some(cred),
                target,
                CtxFlags::GSS_C_MUTUAL_FLAG,
                Some(GSS_MECH_KRB5),
            );
            Some(Initiator { ctx })
        }
    }

    fn gss(e: libgssapi::error::Error) -> GssError {
        GssError(e.to_string())
    }

    impl GssInitiator for Initiator {
        fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, GssError> {
            self.ctx
                .step(token, None)
                .map(|t| t.map(|b| b.to_vec()))
                .map_err(gss)
        }

        fn is_complete(&self) -> bool {
            self.ctx.is_complete()
        }

        fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            self.ctx
                .wrap(false, message)
                .map(|b| b.to_vec())
                .map_err(gss)
        }

        fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            self.ctx.unwrap(message).map(|b| b.to_vec()).map_err(gss)
        }
    }
}
