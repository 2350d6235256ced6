//! `.newsrc` lines on any bytes: reading never panics, a line read writes back to one
//! that reads the same, and replacing a group's line in any file keeps that line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::news::newsrc::{Line, parse_line, ranges, replace};

fuzz_target!(|data: &[u8]| {
    for raw in data.split(|&b| b == b'\n') {
        if let Some(line) = parse_line(raw) {
            assert_eq!(parse_line(&line.to_bytes()), Some(line.clone()));
            let out = replace(data, &line);
            assert!(out
                .split(|&b| b == b'\n')
                .any(|l| parse_line(l).is_some_and(|l| l.group == line.group)));
        }
    }
    let arts: Vec<(u32, bool)> = data
        .chunks(2)
        .scan(0u32, |n, c| {
            *n = n.saturating_add(u32::from(c[0]) + 1);
            Some((*n, c.len() > 1 && c[1] & 1 == 1))
        })
        .collect();
    let rs = ranges(&arts);
    let line = Line {
        group: "g".into(),
        subscribed: true,
        read: rs,
    };
    for &(n, read) in &arts {
        assert_eq!(line.contains(n), read, "article {n}");
    }
});
