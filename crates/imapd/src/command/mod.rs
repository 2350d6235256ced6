//! One module per command, all with the same shape: `run(ctx, …) -> Result<Done, Failure>`.
//! A handler writes its untagged responses to `ctx.out`; the session writes the tagged
//! completion after telling the client of changes, and applies the [`Transition`].

pub(crate) mod append;
pub(crate) mod authenticate;
pub(crate) mod capability;
pub(crate) mod check;
pub(crate) mod close;
pub(crate) mod copy;
pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod enable;
pub(crate) mod expunge;
pub(crate) mod fetch;
pub(crate) mod id;
pub(crate) mod idle;
pub(crate) mod list;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod namespace;
pub(crate) mod noop;
pub(crate) mod rename;
pub(crate) mod search;
pub(crate) mod select;
pub(crate) mod sort;
pub(crate) mod starttls;
pub(crate) mod status;
pub(crate) mod store;
pub(crate) mod subscribe;
pub(crate) mod thread;

use imap_proto::command::Utf8Mode;
use imap_proto::response::Writer;
use mailstore::Store;
use server::auth::Account;
use server::session::Transport;

use crate::config::SessionConfig;
use crate::respond::Failure;
use crate::selected::{Poll, Selected};

/// What a handler works with.
pub(crate) struct Ctx<'a> {
    /// The command's tag.
    pub tag: &'a [u8],
    /// Where untagged responses go.
    pub out: &'a mut Writer,
    /// The server's settings.
    pub cfg: &'a SessionConfig,
    /// The client, for logs (`[address]`).
    pub client: &'a str,
    /// Whether the connection is encrypted.
    pub transport: Transport,
}

/// A logged-in session's state.
#[derive(Debug)]
pub(crate) struct Authed {
    /// Who.
    pub account: Account,
    /// Their mail.
    pub store: Store,
    /// The selected mailbox, if any.
    pub selected: Option<Selected>,
    /// Whether the client has enabled UTF8=ACCEPT (RFC 6855).
    pub utf8: Utf8Mode,
}

impl Authed {
    /// The state right after login.
    pub fn new(account: Account) -> Self {
        let store = Store::new(account.store.clone());
        Authed {
            account,
            store,
            selected: None,
            utf8: Utf8Mode::Off,
        }
    }

    /// A mailbox name from the wire, as the store spells it (see [`crate::names`]).
    ///
    /// A UTF-8 client was shown a stored name that is not modified UTF-7 as it is, so
    /// when such a name exists and its encoding does not, the name is taken as it is.
    pub fn mailbox(&self, raw: &[u8]) -> Result<String, Failure> {
        let name = crate::names::from_client(raw, self.utf8)?;
        if self.utf8 == Utf8Mode::Accept
            && name.as_bytes() != raw
            && !imap_proto::mutf7::is_valid(raw)
            && let Ok(as_is) = std::str::from_utf8(raw)
            && self.exists(as_is)
            && !self.exists(&name)
        {
            return Ok(as_is.to_owned());
        }
        Ok(name)
    }

    /// Whether a file or directory is there for mailbox `name`.
    fn exists(&self, name: &str) -> bool {
        match self.store.resolve(name) {
            Ok(loc) => match loc.target {
                mailstore::name::Target::File(p) => p.exists(),
                mailstore::name::Target::Inbox => true,
            },
            Err(_) => false,
        }
    }

    /// Whether `name` is the selected mailbox.
    pub fn is_selected(&self, name: &str) -> bool {
        let Some(sel) = &self.selected else {
            return false;
        };
        match self.store.resolve(name) {
            Ok(loc) => loc.name == sel.mailbox.name(),
            Err(_) => false,
        }
    }
}

/// A command that succeeded: its tagged OK and what follows.
#[derive(Debug)]
pub(crate) struct Done {
    /// The response code of the tagged OK.
    pub code: Option<String>,
    /// Its text.
    pub text: String,
    /// Whether other processes' changes may be reported before it.
    pub poll: Poll,
    /// The state change.
    pub then: Transition,
}

impl Done {
    /// `OK text`, no state change, no polling.
    pub fn ok(text: impl Into<String>) -> Self {
        Done {
            code: None,
            text: text.into(),
            poll: Poll::No,
            then: Transition::Stay,
        }
    }

    /// With a response code.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// With polling for changes allowed (RFC 3501 §7.4.1; panda-inventory.md §1.3).
    #[must_use]
    pub fn polling(mut self) -> Self {
        self.poll = Poll::Yes;
        self
    }

    /// With a state change.
    #[must_use]
    pub fn then(mut self, t: Transition) -> Self {
        self.then = t;
        self
    }
}

/// A change of session state, applied in one place (`session::apply`).
#[derive(Debug)]
pub(crate) enum Transition {
    /// None.
    Stay,
    /// Logged in.
    LoggedIn(Box<Account>),
    /// A mailbox is now selected (any earlier one was closed by the handler).
    Select(Box<Selected>),
    /// No mailbox is selected any more.
    Unselect,
    /// The session ends.
    Logout,
    /// TLS starts after the tagged OK.
    StartTls,
    /// A SASL exchange continues.
    Authenticate(Box<sasl::Exchange>),
    /// IDLE begins (the continuation is already written).
    Idle,
    /// The client enabled UTF8=ACCEPT (RFC 6855): its strings and names are UTF-8 from
    /// the next command on.
    EnableUtf8,
}
