//! The `.mxindex` parser on any bytes: never panics, and what it read writes back to an
//! index that reads the same, without error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::mx::index::Index;

fuzz_target!(|data: &[u8]| {
    let ix = Index::parse(data);
    let again = Index::parse(&ix.to_bytes());
    assert_eq!(again.error_at, None);
    assert_eq!(again.validity, ix.validity);
    assert_eq!(again.last, ix.last);
    assert_eq!(again.records, ix.records);
    assert!(again.keywords.len() <= ix.keywords.len());
    for r in &again.records {
        let _ = r.flags();
    }
});
