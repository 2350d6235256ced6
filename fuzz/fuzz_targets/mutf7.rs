//! Modified UTF-7 mailbox names (RFC 3501 §5.1.3) on any bytes: decoding never panics,
//! what decodes is the one canonical spelling of its text (encoding it again gives the
//! same bytes), and any text encodes to a name that decodes back to it.
#![no_main]

use imap_proto::mutf7;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match mutf7::decode(data) {
        Ok(text) => {
            assert!(mutf7::is_valid(data));
            assert_eq!(mutf7::encode(&text).as_bytes(), data);
        }
        Err(e) => {
            assert!(!mutf7::is_valid(data));
            assert!(e.at <= data.len(), "{e}");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let name = mutf7::encode(text);
        assert!(name.is_ascii());
        assert_eq!(mutf7::decode(name.as_bytes()).as_deref(), Ok(text));
    }
});
