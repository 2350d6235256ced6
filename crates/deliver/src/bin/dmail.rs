//! `dmail`: see [`deliver::dmail`].

fn main() -> std::process::ExitCode {
    deliver::dmail::main()
}
