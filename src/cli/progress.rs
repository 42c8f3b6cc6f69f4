//! Progress for an inline sync on a terminal, three lines that stay in
//! place (no bar is added or removed mid-run, so none is left behind):
//!
//! ```text
//! projects [=========>              ] 3/8 Data pipeline
//!    tasks ⠤ 166 in Data pipeline · 34 requests
//! requests 120 of ~180 · 4.8/s · ETA 12s · waited: budget 3.2s, 429s 0.0s
//! ```
//!
//! The third line is redrawn from the client's counters five times a
//! second: the run's requests against what the last run of its mode cost,
//! their rate, an ETA (at least what the rate budget allows), and every
//! wait split into pacing by the budget and 429s; while a 429's
//! `Retry-After` holds the requests it says so, with the time left.
//! Failures are printed above the lines so they stay once they are cleared.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::output::clip;
use crate::{
    asana::{AsanaClient, ClientStats},
    runs::TaskFigures,
    store::projects::UpsertCounts,
    sync::Observer,
};

const TICK: Duration = Duration::from_millis(200);

/// What the status line needs besides the client.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expected {
    /// What the last run of this mode cost, if one finished.
    pub(super) requests: Option<u64>,
    /// The token's requests per minute.
    pub(super) per_minute: u32,
}

/// Draws the lines into a [`MultiProgress`] (on stderr).
pub(super) struct ConsoleObserver {
    bars: MultiProgress,
    main: ProgressBar,
    current: ProgressBar,
    status: ProgressBar,
    /// The project running and the requests when it started.
    project: Arc<Mutex<Option<(String, u64)>>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl ConsoleObserver {
    /// An observer drawing into `bars`, reading `asana`'s counters (from
    /// now on); a spinner runs until the portfolio step reports.
    pub(super) fn new(bars: MultiProgress, asana: AsanaClient, expected: Expected) -> Self {
        // Every bar joins before its first frame: a bar that draws before
        // it joins the others leaves that frame behind on the terminal.
        let main = bars.add(
            ProgressBar::new_spinner().with_style(style("{spinner} reading the portfolio…", "")),
        );
        main.enable_steady_tick(TICK);
        let current = bars.add(ProgressBar::new_spinner().with_style(style("{msg}", "")));
        let status = bars.add(ProgressBar::new_spinner().with_style(style("{msg}", "")));
        let project = Arc::new(Mutex::new(None));
        let ticker = tokio::spawn(tick(
            (asana, expected),
            (status.clone(), current.clone()),
            Arc::clone(&project),
        ));
        Self {
            bars,
            main,
            current,
            status,
            project,
            ticker,
        }
    }

    /// Clears the lines (the summary follows).
    pub(super) fn finish(&self) {
        self.ticker.abort();
        for bar in [&self.current, &self.status, &self.main] {
            bar.finish_and_clear();
        }
    }

    fn println(&self, line: String) {
        // A terminal that went away is no reason to fail the sync.
        let _ = self.bars.println(line);
    }
}

impl Observer for ConsoleObserver {
    fn portfolio_synced(&self, projects: usize, c: UpsertCounts, removed: usize) {
        self.println(format!(
            "portfolio: {projects} projects ({} created, {} updated, {} unchanged, {removed} \
             removed)",
            c.created, c.updated, c.unchanged
        ));
    }

    fn projects_selected(&self, names: &[String]) {
        self.main.disable_steady_tick();
        self.main
            .set_style(style("{prefix:>8} [{bar:25}] {pos}/{len} {msg}", "=> "));
        self.main.set_prefix("projects");
        self.main.set_length(names.len() as u64);
        self.main.set_position(0);
    }

    fn project_started(&self, name: &str) {
        self.main.set_message(clip(name, 30));
        self.current
            .set_style(style("{prefix:>8} {spinner} {pos} {msg}", ""));
        self.current.set_prefix("tasks");
        self.current.set_position(0);
        self.current.enable_steady_tick(TICK);
        *lock(&self.project) = Some((clip(name, 30), u64::MAX));
    }

    fn tasks_synced(&self, _project: &str, count: u64) {
        self.current.inc(count);
    }

    fn project_finished(&self, name: &str, result: Result<&TaskFigures, &str>) {
        if let Err(error) = result {
            self.println(format!("{name}: failed: {}", super::one_line(error)));
        }
        *lock(&self.project) = None;
        self.current.disable_steady_tick();
        self.current.set_style(style("{msg}", ""));
        self.current.set_message("");
        self.main.inc(1);
    }
}

impl Drop for ConsoleObserver {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// Redraws the status line (and the current project's requests) until
/// aborted.
async fn tick(
    (asana, expected): (AsanaClient, Expected),
    (status, current): (ProgressBar, ProgressBar),
    project: Arc<Mutex<Option<(String, u64)>>>,
) {
    let (start, started) = (asana.stats(), Instant::now());
    let mut last = start;
    loop {
        tokio::time::sleep(TICK).await;
        let now = asana.stats().since(&start);
        if let Some((name, from)) = lock(&project).as_mut() {
            if *from == u64::MAX {
                *from = now.requests;
            }
            current.set_message(format!("in {name} · {} requests", now.requests - *from));
        }
        let waiting = asana.paused_for();
        status.set_message(status_line(
            &now,
            &last,
            waiting,
            started.elapsed(),
            expected,
        ));
        last = now;
    }
}

/// The status line: requests (of the expected), rate, ETA, waits.
fn status_line(
    now: &ClientStats,
    last: &ClientStats,
    pause: Option<Duration>,
    elapsed: Duration,
    expected: Expected,
) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = now.requests as f64 / secs;
    let mut line = match expected.requests {
        Some(total) if total > now.requests => format!("requests {} of ~{total}", now.requests),
        _ => format!("requests {}", now.requests),
    };
    line.push_str(&format!(" · {rate:.1}/s"));
    if let Some(total) = expected.requests.filter(|t| *t > now.requests) {
        let left = (total - now.requests) as f64;
        let by_budget = left * 60.0 / f64::from(expected.per_minute.max(1));
        let by_rate = if rate > 0.0 { left / rate } else { by_budget };
        line.push_str(&format!(" · ETA {}", short(by_budget.max(by_rate))));
    }
    match pause {
        Some(left) => line.push_str(&format!(
            " · waiting out a 429 (Retry-After, {} left)",
            short(left.as_secs_f64())
        )),
        None if now.paced > last.paced && now.requests == last.requests => {
            line.push_str(" · waiting for the rate budget");
        }
        None => line.push_str(&format!(
            " · waited: budget {:.1}s, 429s {:.1}s",
            now.paced.as_secs_f64(),
            now.waited.as_secs_f64()
        )),
    }
    line
}

/// `12s`, `3m05s`, `1h02m`.
fn short(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn style(template: &str, chars: &str) -> ProgressStyle {
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    if chars.is_empty() {
        style
    } else {
        style.progress_chars(chars)
    }
}

fn lock<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, paced: u64, waited: u64) -> ClientStats {
        ClientStats {
            requests,
            paced: Duration::from_secs(paced),
            waited: Duration::from_secs(waited),
            ..ClientStats::default()
        }
    }

    #[test]
    fn the_status_line_has_the_expected_total_an_eta_and_the_waits_split() {
        let expected = Expected {
            requests: Some(180),
            per_minute: 150,
        };
        let (now, last) = (stats(120, 3, 1), stats(110, 2, 1));
        let line = status_line(&now, &last, None, Duration::from_secs(60), expected);
        assert_eq!(
            line,
            "requests 120 of ~180 · 2.0/s · ETA 30s · waited: budget 3.0s, 429s 1.0s"
        );
        assert!(line.chars().count() <= 80, "{line}");
        let paused = status_line(
            &now,
            &last,
            Some(Duration::from_secs(18)),
            Duration::from_secs(60),
            expected,
        );
        assert!(
            paused.ends_with("waiting out a 429 (Retry-After, 18s left)"),
            "{paused}"
        );
        let pacing = status_line(
            &stats(120, 4, 1),
            &now,
            None,
            Duration::from_secs(60),
            expected,
        );
        assert!(pacing.ends_with("waiting for the rate budget"), "{pacing}");
    }
}
