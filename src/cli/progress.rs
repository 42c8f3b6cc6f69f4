//! Progress bars for an inline sync on a terminal: one bar over the
//! selected projects and, under it, a counter of the current project's
//! tasks. An [`Observer`] the sync drives; failures are printed above the
//! bars so they stay visible once the bars are cleared.

use std::{sync::Mutex, time::Duration};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::{runs::TaskFigures, store::projects::UpsertCounts, sync::Observer};

const TICK: Duration = Duration::from_millis(120);

/// Draws the bars into a [`MultiProgress`] (on stderr).
pub(super) struct ConsoleObserver {
    bars: MultiProgress,
    projects: Mutex<Option<ProgressBar>>,
    tasks: Mutex<Option<ProgressBar>>,
}

impl ConsoleObserver {
    /// An observer drawing into `bars`; a spinner runs until the portfolio
    /// step reports.
    pub(super) fn new(bars: MultiProgress) -> Self {
        let portfolio = bars.add(spinner("{spinner} reading the portfolio…"));
        Self {
            bars,
            projects: Mutex::new(Some(portfolio)),
            tasks: Mutex::new(None),
        }
    }

    /// Removes every bar (the summary follows).
    pub(super) fn finish(&self) {
        for slot in [&self.tasks, &self.projects] {
            if let Some(bar) = take(slot) {
                bar.finish_and_clear();
                self.bars.remove(&bar);
            }
        }
    }

    fn println(&self, line: String) {
        // A terminal that went away is no reason to fail the sync.
        let _ = self.bars.println(line);
    }
}

impl Observer for ConsoleObserver {
    fn portfolio_synced(&self, projects: usize, c: UpsertCounts, removed: usize) {
        if let Some(bar) = take(&self.projects) {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
        self.println(format!(
            "portfolio: {projects} projects ({} created, {} updated, {} unchanged, {removed} \
             removed)",
            c.created, c.updated, c.unchanged
        ));
    }

    fn projects_selected(&self, names: &[String]) {
        let bar = ProgressBar::new(names.len() as u64)
            .with_style(style("{prefix:>8} [{bar:30}] {pos}/{len} {msg}", "=> "));
        bar.set_prefix("projects");
        put(&self.projects, self.bars.add(bar));
    }

    fn project_started(&self, name: &str) {
        if let Some(bar) = lock(&self.projects).as_ref() {
            bar.set_message(name.to_owned());
        }
        let bar = self.bars.add(spinner("{prefix:>8} {spinner} {pos} {msg}"));
        bar.set_prefix("tasks");
        bar.set_message(format!("in {name}"));
        put(&self.tasks, bar);
    }

    fn tasks_synced(&self, _project: &str, count: u64) {
        if let Some(bar) = lock(&self.tasks).as_ref() {
            bar.inc(count);
        }
    }

    fn project_finished(&self, name: &str, result: Result<&TaskFigures, &str>) {
        if let Some(bar) = take(&self.tasks) {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
        if let Err(error) = result {
            self.println(format!("{name}: failed: {}", super::one_line(error)));
        }
        if let Some(bar) = lock(&self.projects).as_ref() {
            bar.inc(1);
        }
    }
}

fn spinner(template: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_style(style(template, ""));
    bar.enable_steady_tick(TICK);
    bar
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

fn lock(slot: &Mutex<Option<ProgressBar>>) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn take(slot: &Mutex<Option<ProgressBar>>) -> Option<ProgressBar> {
    lock(slot).take()
}

fn put(slot: &Mutex<Option<ProgressBar>>, bar: ProgressBar) {
    if let Some(old) = lock(slot).replace(bar) {
        old.finish_and_clear();
    }
}
