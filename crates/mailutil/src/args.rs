//! The command line, parsed as UW's `mailutil` parses it.
//!
//! Switches may come anywhere, before or after the command (`--` ends them, so a mailbox
//! name may start with `-`); they are matched exactly, case and all. The first word that
//! is not a switch is the command, the second the source (or only) mailbox, the third the
//! destination (or, for `prune`, the search criteria); a fourth is an error.

/// What went wrong on the command line: each is reported with one line on standard
/// output, and exit status 1.
#[derive(Debug, PartialEq, Eq)]
pub enum ArgError {
    /// A switch UW's mailutil does not have.
    UnknownSwitch(String),
    /// `-merge` with a mode other than `prompt`, `append` or `suffix=TEXT`.
    UnknownMerge(String),
    /// A fourth word that is not a switch.
    UnknownArgument(String),
    /// `-user` naming no account.
    UnknownUser(String),
    /// `-kwcopy` and `-ignore` together.
    KeywordsAndIgnore,
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgError::UnknownSwitch(s) => write!(f, "unknown switch: {s}"),
            ArgError::UnknownMerge(s) => write!(f, "unknown merge option: {s}"),
            ArgError::UnknownArgument(s) => write!(f, "unknown argument: {s}"),
            ArgError::UnknownUser(s) => write!(f, "unknown user id: {s}"),
            ArgError::KeywordsAndIgnore => {
                f.write_str("-kwcopy and -ignore are mutually exclusive")
            }
        }
    }
}

/// How `transfer` handles a destination name that already exists (`-merge`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Merge {
    /// No `-merge`: an existing destination is an error.
    Refuse,
    /// `-merge prompt`: ask on the terminal for another name.
    Prompt,
    /// `-merge append`: append to the existing mailbox.
    Append,
    /// `-merge suffix=TEXT`: try the name with TEXT appended, then prompt.
    Suffix(String),
}

/// How the source of a copy is opened (`-rwcopy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceAccess {
    /// Read-only, the default (messages stay \Recent for their owner).
    ReadOnly,
    /// Read-write (POP3 sources need it).
    ReadWrite,
}

/// What a copy does with keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordMode {
    /// The default: messages keep their keywords.
    Copy,
    /// `-kwcopy`: the source's keyword table is created in the destination first.
    CreateAll,
    /// `-ignore`: keywords are dropped.
    Ignore,
}

/// Whether progress and details are reported (`-verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Only results and errors.
    Quiet,
    /// Also each step, and the store's informational notices.
    Verbose,
}

/// The switches.
#[derive(Clone, Debug)]
pub struct Switches {
    /// `-debug`: protocol telemetry (remote names only; nothing to show for local ones).
    pub debug: bool,
    /// `-verbose`.
    pub verbosity: Verbosity,
    /// `-rwcopy`.
    pub access: SourceAccess,
    /// `-kwcopy` / `-ignore`.
    pub keywords: KeywordMode,
    /// Whether `-kwcopy` or `-ignore` was given (commands that copy nothing refuse them).
    pub copy_switches: bool,
    /// `-merge`, when given.
    pub merge: Option<Merge>,
    /// `-user`: the account to become.
    pub user: Option<nix::unistd::User>,
}

/// A parsed command line.
#[derive(Debug)]
pub struct Args {
    /// The command word ("" when there is none).
    pub command: String,
    /// The second word (source or only mailbox).
    pub src: Option<String>,
    /// The third word (destination, or prune's criteria).
    pub dst: Option<String>,
    /// The switches.
    pub switches: Switches,
}

/// Parses the arguments after the program name.
pub fn parse(argv: &[String]) -> Result<Args, ArgError> {
    let mut sw = Switches {
        debug: false,
        verbosity: Verbosity::Quiet,
        access: SourceAccess::ReadOnly,
        keywords: KeywordMode::Copy,
        copy_switches: false,
        merge: None,
        user: None,
    };
    let (mut kw, mut ig) = (false, false);
    let mut words: Vec<String> = Vec::new();
    let mut more_switches = true;
    let mut i = 0;
    while i < argv.len() {
        let s = argv[i].as_str();
        i += 1;
        if !(more_switches && s.starts_with('-')) {
            if words.len() == 3 {
                return Err(ArgError::UnknownArgument(s.to_owned()));
            }
            words.push(s.to_owned());
            continue;
        }
        let has_value = i < argv.len();
        match s {
            "-debug" | "-d" => sw.debug = true,
            "-verbose" | "-v" => sw.verbosity = Verbosity::Verbose,
            "-rwcopy" | "-rw" => sw.access = SourceAccess::ReadWrite,
            "-kwcopy" | "-kw" => kw = true,
            "-ignore" | "-ig" => ig = true,
            "-merge" | "-m" if has_value => {
                let mode = argv[i].as_str();
                i += 1;
                sw.merge = Some(match mode {
                    "prompt" => Merge::Prompt,
                    "append" => Merge::Append,
                    m => match m.strip_prefix("suffix=") {
                        Some(suffix) if !suffix.is_empty() => Merge::Suffix(suffix.to_owned()),
                        _ => return Err(ArgError::UnknownMerge(m.to_owned())),
                    },
                });
            }
            "-user" | "-u" if has_value => {
                let name = argv[i].as_str();
                i += 1;
                match nix::unistd::User::from_name(name) {
                    Ok(Some(u)) => sw.user = Some(u),
                    _ => return Err(ArgError::UnknownUser(name.to_owned())),
                }
            }
            "--" => more_switches = false,
            _ => return Err(ArgError::UnknownSwitch(s.to_owned())),
        }
    }
    if kw && ig {
        return Err(ArgError::KeywordsAndIgnore);
    }
    sw.copy_switches = kw || ig;
    sw.keywords = match (kw, ig) {
        (true, _) => KeywordMode::CreateAll,
        (_, true) => KeywordMode::Ignore,
        _ => KeywordMode::Copy,
    };
    let mut words = words.into_iter();
    Ok(Args {
        command: words.next().unwrap_or_default(),
        src: words.next(),
        dst: words.next(),
        switches: sw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Args, ArgError> {
        parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn switches_anywhere_and_double_dash_ends_them() {
        let a = args(&["check", "-v", "--", "-x"]).unwrap();
        assert_eq!(a.command, "check");
        assert_eq!(a.src.as_deref(), Some("-x"));
        assert_eq!(a.switches.verbosity, Verbosity::Verbose);
    }

    #[test]
    fn errors_as_uw_words_them() {
        assert_eq!(
            args(&["check", "-V"]).unwrap_err().to_string(),
            "unknown switch: -V"
        );
        assert_eq!(
            args(&["a", "b", "c", "d"]).unwrap_err().to_string(),
            "unknown argument: d"
        );
        assert_eq!(
            args(&["-m", "x"]).unwrap_err().to_string(),
            "unknown merge option: x"
        );
        assert_eq!(
            args(&["-m", "suffix="]).unwrap_err().to_string(),
            "unknown merge option: suffix="
        );
        assert_eq!(args(&["-m"]).unwrap_err().to_string(), "unknown switch: -m");
        assert_eq!(
            args(&["-kw", "-ig"]).unwrap_err(),
            ArgError::KeywordsAndIgnore
        );
    }

    #[test]
    fn merge_modes() {
        let m = |s: &str| args(&["-merge", s]).unwrap().switches.merge;
        assert_eq!(m("prompt"), Some(Merge::Prompt));
        assert_eq!(m("append"), Some(Merge::Append));
        assert_eq!(m("suffix=.old"), Some(Merge::Suffix(".old".into())));
    }
}
