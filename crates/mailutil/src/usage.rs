//! The usage texts, as UW's `mailutil` prints them (on standard output).

/// The switches every command takes.
const STANDARD: &str = "Standard switches valid with any command:\n\
\t[-d[ebug]] [-v[erbose]] [-u[ser] userid] [--]\n";

/// The synopsis of `check`.
pub const CHECK: &str = "check [MAILBOX]";
/// The synopsis of `create`.
pub const CREATE: &str = "create MAILBOX";
/// The synopsis of `delete`.
pub const DELETE: &str = "delete MAILBOX";
/// The synopsis of `rename`.
pub const RENAME: &str = "rename SOURCE DESTINATION";
/// The synopsis of `copy`, `move`, `append` and `appenddelete`, after the command word.
pub const COPY_ARGS: &str = "[-rw[copy]] [-kw[copy]] [-ig[nore]] SOURCE DESTINATION";
/// The synopsis of `prune`.
pub const PRUNE: &str = "prune mailbox SEARCH_CRITERIA";
/// The synopsis of `transfer`.
pub const TRANSFER: &str = "transfer [-rw[copy]] [-kw[copy]] [-ig[nore]] [-m[erge] m] SOURCE DEST";

/// The usage of one command: `synopsis` is what follows the program name.
pub fn command(program: &str, synopsis: &str) -> String {
    format!("usage: {program} {synopsis}\n\n{STANDARD}")
}

/// The whole usage, printed for a missing or unknown command.
pub fn full(program: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    format!(
        "{program} version {version}\n\n\
usage: {program} command [switches] arguments\n\n\
{STANDARD}\n\
Commands:\n \
{CHECK}\n   \
;; report number of messages and new messages\n \
{CREATE}\n   \
;; create new mailbox\n \
{DELETE}\n   \
;; delete existing mailbox\n \
{RENAME}\n   \
;; rename mailbox to a new name\n \
copy {COPY_ARGS}\n \
move {COPY_ARGS}\n   \
;; create new mailbox and copy/move messages\n \
append {COPY_ARGS}\n \
appenddelete {COPY_ARGS}\n   \
;; copy/move messages to existing mailbox\n \
{PRUNE}\n   \
;; prune mailbox of messages matching criteria\n \
{TRANSFER}\n   \
;; copy source hierarchy to destination\n   \
;;  -merge modes are prompt, append, or suffix=xxxx\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn full_usage_lists_every_command_with_its_comment() {
        let u = super::full("mailutil");
        assert!(u.starts_with("mailutil version "));
        assert!(u.contains("\n\nusage: mailutil command [switches] arguments\n\n"));
        assert!(u.contains(
            "\n prune mailbox SEARCH_CRITERIA\n   ;; prune mailbox of messages matching criteria\n"
        ));
        assert!(u.ends_with("   ;;  -merge modes are prompt, append, or suffix=xxxx\n"));
    }
}
