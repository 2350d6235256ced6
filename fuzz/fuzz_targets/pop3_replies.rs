//! The POP3 client's reply reader on any bytes from a server: never panics, and reads the
//! same lines however the bytes are cut (status lines and multi-line data alike).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3_proto::client::ReplyReader;

/// Reads alternately a status line and data lines up to the terminating dot.
fn read(data: &[u8], cut: usize) -> Vec<String> {
    let mut r = ReplyReader::new();
    let mut out = Vec::new();
    let mut in_data = false;
    for chunk in data.chunks(cut.max(1)) {
        r.feed(chunk);
        loop {
            let item = if in_data {
                r.data_line().map(|l| {
                    let s = format!("{l:?}");
                    if matches!(l, Ok(pop3_proto::client::DataLine::End)) {
                        in_data = false;
                    }
                    s
                })
            } else {
                r.status().map(|s| {
                    in_data = s.is_ok();
                    format!("{s:?}")
                })
            };
            match item {
                Some(s) => {
                    let stop = s.starts_with("Err");
                    out.push(s);
                    if stop {
                        return out;
                    }
                }
                None => break,
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = usize::from(data[0]);
    let data = &data[1..];
    assert_eq!(read(data, data.len().max(1)), read(data, cut));
});
