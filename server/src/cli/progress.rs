//! A progress bar on standard error for long commands: done/total, the rate and the time left.
//! On a terminal it redraws one line; otherwise (a log, CI) it prints a line every few seconds.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// One bar.
#[derive(Debug)]
pub struct Bar {
    label: String,
    started: Instant,
    last: Option<Instant>,
    terminal: bool,
}

impl Bar {
    /// A bar for `label` (`importing audit.csv`).
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            started: Instant::now(),
            last: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Starts timing a new stage under another label.
    pub fn stage(&mut self, label: impl Into<String>) {
        self.finish();
        self.label = label.into();
        self.started = Instant::now();
        self.last = None;
    }

    /// Shows `done` of `total` (in `unit`s; `bytes` are shown in MB), with `extra` after it.
    pub fn show(&mut self, done: u64, total: u64, unit: &str, extra: &str) {
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        };
        if self.last.is_some_and(|l| l.elapsed() < every) && done < total {
            return;
        }
        self.last = Some(Instant::now());
        let line = render(
            &self.label,
            done,
            total,
            unit,
            extra,
            self.started.elapsed(),
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.terminal && self.last.is_some() {
            let _ = writeln!(std::io::stderr());
        }
        self.last = None;
    }
}

/// One line of a bar.
fn render(
    label: &str,
    done: u64,
    total: u64,
    unit: &str,
    extra: &str,
    elapsed: Duration,
) -> String {
    const WIDTH: u64 = 24;
    let fraction = if total == 0 {
        1.0
    } else {
        (done.min(total) as f64) / (total as f64)
    };
    let filled = (fraction * WIDTH as f64).round() as u64;
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '#' } else { '-' })
        .collect();
    let amount = |n: u64| {
        if unit == "bytes" {
            format!("{:.1} MB", n as f64 / 1_000_000.0)
        } else {
            format!("{n} {unit}")
        }
    };
    let left = if done > 0 && done < total {
        let secs = elapsed.as_secs_f64() * (total - done) as f64 / done as f64;
        format!(", {} left", human(Duration::from_secs_f64(secs)))
    } else {
        String::new()
    };
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" · {extra}")
    };
    format!(
        "{label} [{bar}] {:>3.0}% {} / {}{left}{extra}",
        fraction * 100.0,
        amount(done),
        amount(total)
    )
}

/// `1h 02m`, `3m 07s`, `12s`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_done_of_total_and_the_time_left() {
        let line = render(
            "importing a.csv",
            25_000_000,
            100_000_000,
            "bytes",
            "10 records",
            Duration::from_secs(10),
        );
        assert_eq!(
            line,
            "importing a.csv [######------------------]  25% 25.0 MB / 100.0 MB, 30s left · 10 records"
        );
        let done = render("rollups", 3, 3, "days", "", Duration::from_secs(1));
        assert_eq!(
            done,
            "rollups [########################] 100% 3 days / 3 days"
        );
    }
}
