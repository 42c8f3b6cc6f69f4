//! The shared view: series read from the database at each scrape, the same
//! from every process (`aegis_jobs` is what `aegis queue stats` shows).
//! Each part is read through the module that owns its tables.

use prometheus_client::registry::Registry;
use sqlx::PgPool;

use aegis_jobs::Queues;

use super::{BudgetLabels, Families, Metrics, ProjectLabels, QueueLabels, RunLabels};
use crate::{
    health::{self, ProjectState},
    queue::{self, QueueStats},
    runs, store,
};

/// Reading the shared view failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Reading the queue.
    #[error(transparent)]
    Queue(#[from] queue::Error),
    /// Reading aegis's tables.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Reading the copy's health.
    #[error(transparent)]
    Health(#[from] health::Error),
}

impl Metrics {
    /// Reads the shared view from the database into its series (the old
    /// values are dropped first: a project that left is not reported).
    ///
    /// # Errors
    /// When a read fails; the series then keep their last values.
    pub async fn refresh(&self, pool: &PgPool, queues: &Queues) -> Result<(), RefreshError> {
        let _one = self.0.refreshing.lock().await;
        let read = self.read(pool, queues).await;
        self.f().database_up.set(i64::from(read.is_ok()));
        read
    }

    async fn read(&self, pool: &PgPool, queues: &Queues) -> Result<(), RefreshError> {
        let stats = queue::stats(pool, queues).await?;
        let budgets = health::budgets(pool).await?;
        let projects = health::projects(pool, queues).await?;
        let floors = runs::last_floors(pool).await?;
        let f = self.f();
        set_jobs(f, &stats);
        set_budgets(f, &budgets);
        set_projects(f, &projects);
        set_runs(f, &floors);
        Ok(())
    }
}

fn set_jobs(f: &Families, stats: &[QueueStats]) {
    f.jobs.clear();
    f.oldest_pending.clear();
    for s in stats {
        let states = [
            ("pending", s.pending),
            ("scheduled", s.scheduled),
            ("running", s.running),
            ("retrying", s.retrying),
            ("done", s.done),
            ("dead", s.dead),
            ("cancelled", s.cancelled),
        ];
        for (state, count) in states {
            let labels = QueueLabels {
                kind: s.kind.clone(),
                state,
            };
            f.jobs.get_or_create(&labels).set(count);
        }
        let labels = QueueLabels {
            kind: s.kind.clone(),
            state: "pending",
        };
        f.oldest_pending
            .get_or_create(&labels)
            .set(s.oldest_pending_age_secs.unwrap_or(0));
    }
}

fn set_budgets(f: &Families, budgets: &[health::BudgetState]) {
    f.budget_paused.clear();
    f.budget_circuit_open.clear();
    f.budget_next_slot.clear();
    for b in budgets {
        let labels = BudgetLabels {
            budget: b.key.clone(),
        };
        let paused = b.paused_until.is_some() || b.circuit != "closed";
        f.budget_paused
            .get_or_create(&labels)
            .set(i64::from(paused));
        f.budget_circuit_open
            .get_or_create(&labels)
            .set(i64::from(b.circuit != "closed"));
        f.budget_next_slot
            .get_or_create(&labels)
            .set(b.next_slot_in_ms as f64 / 1000.0);
    }
}

fn set_projects(f: &Families, projects: &[health::ProjectHealth]) {
    f.tasks_age.clear();
    f.events_token_age.clear();
    f.dead_jobs.clear();
    for p in projects.iter().filter(|p| p.state == ProjectState::Active) {
        let labels = ProjectLabels {
            project: p.status.asana_gid.clone(),
        };
        if let Some(age) = p.status.age_secs {
            f.tasks_age.get_or_create(&labels).set(age);
        }
        if let Some(age) = p.events_token_age_secs {
            f.events_token_age.get_or_create(&labels).set(age);
        }
        f.dead_jobs.get_or_create(&labels).set(p.dead_jobs);
    }
}

fn set_runs(f: &Families, floors: &[runs::RunFloor]) {
    f.run_ratio.clear();
    f.run_requests.clear();
    f.run_floor.clear();
    for run in floors {
        let labels = RunLabels {
            mode: run.mode.clone(),
        };
        f.run_ratio.get_or_create(&labels).set(run.ratio());
        f.run_requests.get_or_create(&labels).set(run.api_requests);
        f.run_floor.get_or_create(&labels).set(run.floor);
    }
}

/// Registers the shared view's families.
pub(super) fn register(r: &mut Registry, f: &Families) {
    r.register(
        "aegis_database_up",
        "1 when the last scrape read the shared view from the database, 0 when it could not (the shared series are then as last read)",
        f.database_up.clone(),
    );
    r.register(
        "aegis_jobs",
        "aegis jobs in the queue by kind (queue name) and state, as `aegis queue stats` shows them",
        f.jobs.clone(),
    );
    r.register(
        "aegis_oldest_pending_job_age_seconds",
        "Seconds the oldest runnable job of each kind has waited",
        f.oldest_pending.clone(),
    );
    r.register(
        "aegis_budget_paused",
        "1 while the token's requests are held (a 429 pause, a 401, or the circuit open)",
        f.budget_paused.clone(),
    );
    r.register(
        "aegis_budget_circuit_open",
        "1 while only probes leave for the token (401 or repeated failures)",
        f.budget_circuit_open.clone(),
    );
    r.register(
        "aegis_budget_next_slot_seconds",
        "Seconds until the token's next request may leave",
        f.budget_next_slot.clone(),
    );
    r.register(
        "aegis_project_tasks_age_seconds",
        "Seconds since an active project's tasks were last confirmed against Asana",
        f.tasks_age.clone(),
    );
    r.register(
        "aegis_events_token_age_seconds",
        "Seconds since an active project's events sync token was stored",
        f.events_token_age.clone(),
    );
    r.register(
        "aegis_project_dead_jobs",
        "Dead jobs of an active project",
        f.dead_jobs.clone(),
    );
    r.register(
        "aegis_run_requests_ratio",
        "The last finished run's requests over its floor (the fewest that could read what it read)",
        f.run_ratio.clone(),
    );
    r.register(
        "aegis_run_requests",
        "The last finished run's requests, by mode",
        f.run_requests.clone(),
    );
    r.register(
        "aegis_run_requests_floor",
        "The last finished run's floor, by mode",
        f.run_floor.clone(),
    );
}
