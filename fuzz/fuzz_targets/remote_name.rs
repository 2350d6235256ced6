//! `{host:port/switches}mailbox` names, as a user or a configuration file gives them, on
//! any text: never panics, and a name that parses prints back to one that parses to the
//! same printing (the canonical spelling is stable).
#![no_main]

use client::RemoteName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = client::is_remote(text);
    if let Ok(name) = RemoteName::parse(text) {
        let printed = name.to_string();
        let again = RemoteName::parse(&printed).expect("a printed name parses");
        assert_eq!(again.to_string(), printed);
    }
});
