//! Maildir file names and the UID list on any bytes: never panics; a parsed name keeps
//! its base and flags when its flags are written back; a UID list that reads writes
//! back to itself, with UIDs below the next UID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::Flags;
use mailstore::driver::maildir::name::{FileName, delivery_order, virtual_size};
use mailstore::driver::maildir::uidlist::UidList;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(f) = FileName::parse(s) {
            let _ = virtual_size(&f.base);
            let _ = delivery_order(&f.base, s);
            let again = FileName::parse(&f.with_flags(f.flags)).expect("a written name parses");
            assert_eq!(again.base, f.base);
            if f.raw_info.is_none() {
                assert_eq!(again.flags, f.flags);
            }
            let seen = FileName::parse(&f.with_flags(Flags::SEEN)).expect("parses");
            assert_eq!(seen.flags, Flags::SEEN);
        }
    }
    if let Some(list) = UidList::parse(data) {
        assert!(list.entries.iter().all(|e| e.uid.get() < list.next));
        assert!(list.entries.windows(2).all(|w| w[0].uid < w[1].uid));
        let bytes = list.to_bytes();
        assert_eq!(UidList::parse(&bytes).as_ref(), Some(&list));
    }
});
