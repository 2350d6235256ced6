//! `mlock`: see [`deliver::mlock`].

fn main() -> std::process::ExitCode {
    deliver::mlock::main()
}
