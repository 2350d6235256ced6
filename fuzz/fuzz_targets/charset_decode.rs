//! Charset decoding on any bytes: the first byte picks the charset, the rest is decoded.
//! Decoding never panics, gives at most one character per input byte (plus one for a
//! short last group), and borrows only what means itself.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use rfc822::charset::Charset;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let charset = Charset::ALL[usize::from(pick) % Charset::ALL.len()];
    let decoded = charset.decode(text);
    assert!(decoded.chars().count() <= text.len() + 1, "{}", charset.name());
    if let Cow::Borrowed(s) = &decoded {
        assert_eq!(s.as_bytes(), text, "{}", charset.name());
    }
    // The name round-trips.
    assert_eq!(Charset::from_name(charset.name().as_bytes()), Some(charset));
});
