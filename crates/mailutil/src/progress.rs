//! A progress bar for copies of many messages: shown on standard error when it is a
//! terminal, hidden otherwise (scripts, cron, pipes see nothing of it).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Below this many messages a copy is quick enough to need no bar.
const THRESHOLD: usize = 500;

/// The progress of one copy.
#[derive(Debug)]
pub struct Progress(ProgressBar);

impl Progress {
    /// A bar for copying `total` messages of mailbox `label`.
    pub fn new(total: usize, label: &str) -> Self {
        if total < THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{wide_bar}] {pos}/{len} messages ({eta} left)")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_owned());
        Progress(bar)
    }

    /// One more message copied.
    pub fn tick(&self) {
        self.0.inc(1);
    }

    /// The copy is over: the bar is taken off the screen.
    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}
