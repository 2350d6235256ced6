//! `tmail`: see [`deliver::tmail`].

fn main() -> std::process::ExitCode {
    deliver::tmail::main()
}
