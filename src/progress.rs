//! Progress of long CLI commands (`seed --bench`, `bill`) on stderr: a bar redrawn in place
//! on a terminal, a line per tenth otherwise (logs, CI).

use std::io::{IsTerminal, Write};

pub struct Progress {
    what: &'static str,
    total: u64,
    terminal: bool,
    started: std::time::Instant,
    last_tenth: u64,
}

impl Progress {
    /// Progress over `total` items called `what` (e.g. "payers").
    pub fn new(what: &'static str, total: u64) -> Self {
        Progress {
            what,
            total,
            terminal: std::io::stderr().is_terminal(),
            started: std::time::Instant::now(),
            last_tenth: 0,
        }
    }

    /// `done` items so far, and whatever else is worth a glance.
    pub fn show(&mut self, done: u64, extra: &str) {
        let share = done as f64 / self.total.max(1) as f64;
        let elapsed = self.started.elapsed();
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let filled = ((share * 30.0) as usize).min(30);
            let _ = write!(
                err,
                "\r[{}{}] {done}/{} {} ({rate:.0}/s){extra}, {elapsed:.0?}",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                self.total,
                self.what,
            );
            let _ = err.flush();
        } else if (share * 10.0) as u64 > self.last_tenth || done == self.total {
            self.last_tenth = (share * 10.0) as u64;
            let _ = writeln!(
                err,
                "{done}/{} {} ({rate:.0}/s){extra}, {elapsed:.0?}",
                self.total, self.what
            );
        }
    }

    pub fn finish(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
