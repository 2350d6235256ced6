//! Burping: reclaiming the space of expunged messages in the data files (`mixfmt.txt`
//! §5, §5.1). Expunge only drops messages from the index and status; their bytes stay in
//! the data files until a session that holds `.mixmeta` exclusively (so no other session
//! has the mailbox open, nor can one be delivering) slides the live messages down over
//! the holes and rewrites the index with their new positions.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::files::{self, Mode};
use super::format::Index;
use crate::error::{Error, IoContext, Result};

/// Compacts the data files of the mailbox in `dir` to hold exactly the messages of
/// `index`, whose positions are updated; data files with no message left are removed,
/// except `keep` (the current new-message file). Returns whether anything changed (the
/// caller then rewrites the index).
///
/// The caller holds the metadata and index locks exclusively.
pub(crate) fn burp(dir: &Path, index: &mut Index, keep: u32) -> Result<bool> {
    let mut changed = false;
    let mut numbers: Vec<u32> = fs::read_dir(dir)
        .ctx("read directory", dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| files::data_number(e.file_name().to_str()?))
        .collect();
    numbers.sort_unstable();
    for n in numbers {
        let path = dir.join(files::data_name(n));
        let mut live: Vec<usize> = (0..index.entries.len())
            .filter(|&i| index.entries[i].file == n)
            .collect();
        if live.is_empty() {
            if n != keep {
                fs::remove_file(&path).ctx("remove", &path)?;
                changed = true;
            }
            continue;
        }
        live.sort_by_key(|&i| index.entries[i].pos);
        let file = files::open(&path, Mode::Write)?;
        let len = file.metadata().ctx("stat", &path)?.len();
        let mut to = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        for i in live {
            let e = &mut index.entries[i];
            let from = u64::from(e.pos);
            let n_bytes = u64::from(e.isize) + u64::from(e.size);
            if from < to || from + n_bytes > len {
                return Err(Error::Corrupt {
                    path: path.clone(),
                    offset: from,
                    what: format!("message UID {} overlaps another or the file's end", e.uid),
                });
            }
            if from != to {
                // Slide down front to back: the destination is always before the source.
                let mut done = 0u64;
                while done < n_bytes {
                    let chunk = (n_bytes - done).min(buf.len() as u64) as usize;
                    file.read_exact_at(&mut buf[..chunk], from + done)
                        .ctx("read", &path)?;
                    file.write_all_at(&buf[..chunk], to + done)
                        .ctx("write", &path)?;
                    done += chunk as u64;
                }
                // Positions fit in 32 bits: `to` is below the message's old position.
                e.pos = to as u32;
                changed = true;
            }
            to += n_bytes;
        }
        if to < len {
            file.set_len(to).ctx("truncate", &path)?;
            changed = true;
        }
        file.sync_data().ctx("sync", &path)?;
    }
    Ok(changed)
}
