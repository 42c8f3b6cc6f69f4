//! aegis's Prometheus metrics: one [`Metrics`] handle per process (or per
//! host's aegis), an explicit `prometheus-client` registry, no global
//! recorder. The in-process series (requests, waits, jobs) are recorded
//! where they happen: the Asana chokepoint and the job guard. The queue's
//! and the copy's series (`aegis_jobs`, the budget, freshness, the last
//! run's ratio) are the shared view, read from the database at each scrape
//! ([`Metrics::refresh`]), so every worker's scrape agrees.
//!
//! Labels are bounded: a route from a fixed set ([`route::of`]), an HTTP
//! status, a job kind, state or outcome, a project gid (hundreds per
//! portfolio), a budget key (a hash of the token, never the token). No
//! label holds the token or task text.

pub mod route;
mod shared;

use std::{fmt, sync::Arc, sync::atomic::AtomicU64, time::Duration};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

pub use shared::RefreshError;

/// Labels of `aegis_asana_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: String,
}

/// Labels of the job series: kind (`sync-portfolio`, `sync-project-tasks`)
/// and how the attempt ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    outcome: &'static str,
}

/// Labels of `aegis_budget_wait_seconds_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WaitLabels {
    reason: &'static str,
}

/// Labels of `aegis_jobs`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    kind: String,
    state: &'static str,
}

/// Labels of the per-project gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProjectLabels {
    project: String,
}

/// Labels of the per-budget gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BudgetLabels {
    budget: String,
}

/// Labels of the last run's ratio.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    mode: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type FloatCounter = Counter<f64, AtomicU64>;
type Histograms = Family<JobLabels, Histogram, fn() -> Histogram>;

/// Why a request waited, for `aegis_budget_wait_seconds_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Its slot in the requests-per-minute budget (normal pacing).
    Budget,
    /// A 429's `Retry-After` (its own, or another request's pause).
    RetryAfter,
    /// Backoff after a 5xx or a connection failure.
    Backoff,
    /// The token's hold (a 401, or the circuit open): its job waits for the
    /// next probe.
    Circuit,
}

impl WaitReason {
    fn label(self) -> &'static str {
        match self {
            WaitReason::Budget => "budget",
            WaitReason::RetryAfter => "retry_after",
            WaitReason::Backoff => "backoff",
            WaitReason::Circuit => "circuit",
        }
    }
}

struct Families {
    requests: Family<RequestLabels, Counter>,
    rate_limited: Counter,
    waits: Family<WaitLabels, FloatCounter>,
    job_duration: Histograms,
    job_attempts: Family<JobLabels, Counter>,
    jobs: Family<QueueLabels, Gauge>,
    oldest_pending: Family<QueueLabels, Gauge>,
    budget_paused: Family<BudgetLabels, Gauge>,
    budget_circuit_open: Family<BudgetLabels, Gauge>,
    budget_next_slot: Family<BudgetLabels, FloatGauge>,
    tasks_age: Family<ProjectLabels, Gauge>,
    events_token_age: Family<ProjectLabels, Gauge>,
    dead_jobs: Family<ProjectLabels, Gauge>,
    run_ratio: Family<RunLabels, FloatGauge>,
    run_requests: Family<RunLabels, Gauge>,
    run_floor: Family<RunLabels, Gauge>,
    database_up: Gauge,
}

struct Inner {
    registry: Registry,
    families: Families,
    /// One refresh of the shared view at a time.
    refreshing: tokio::sync::Mutex<()>,
}

/// The metrics of one aegis: cheap to clone (clones share the series).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn job_histogram() -> Histogram {
    // 50 ms to about 7 minutes.
    Histogram::new(exponential_buckets(0.05, 2.0, 14))
}

impl Metrics {
    /// A fresh set of series in a registry of its own.
    pub fn new() -> Self {
        let families = Families {
            requests: Family::default(),
            rate_limited: Counter::default(),
            waits: Family::default(),
            job_duration: Family::new_with_constructor(job_histogram),
            job_attempts: Family::default(),
            jobs: Family::default(),
            oldest_pending: Family::default(),
            budget_paused: Family::default(),
            budget_circuit_open: Family::default(),
            budget_next_slot: Family::default(),
            tasks_age: Family::default(),
            events_token_age: Family::default(),
            dead_jobs: Family::default(),
            run_ratio: Family::default(),
            run_requests: Family::default(),
            run_floor: Family::default(),
            database_up: Gauge::default(),
        };
        let mut registry = Registry::default();
        register(&mut registry, &families);
        Metrics(Arc::new(Inner {
            registry,
            families,
            refreshing: tokio::sync::Mutex::new(()),
        }))
    }

    fn f(&self) -> &Families {
        &self.0.families
    }

    /// One Asana request sent on `path` (its route is looked up), answered
    /// with `status` (`None`: no answer, a transport failure).
    pub fn asana_request(&self, path: &str, status: Option<u16>) {
        let status = status.map_or_else(|| "transport".to_owned(), |s| s.to_string());
        let labels = RequestLabels {
            route: route::of(path),
            status,
        };
        self.f().requests.get_or_create(&labels).inc();
        if labels.status == "429" {
            self.f().rate_limited.inc();
        }
    }

    /// Time a request (or a job) waited, and why.
    pub fn waited(&self, reason: WaitReason, wait: Duration) {
        let labels = WaitLabels {
            reason: reason.label(),
        };
        self.f()
            .waits
            .get_or_create(&labels)
            .inc_by(wait.as_secs_f64());
    }

    /// One job attempt of `queue` (its kind's queue name, as `aegis queue
    /// stats` shows it) ended with `outcome` after `took`.
    pub fn job_attempt(&self, queue: &str, outcome: JobOutcome, took: Duration) {
        let labels = JobLabels {
            kind: queue.to_owned(),
            outcome: outcome.label(),
        };
        self.f().job_attempts.get_or_create(&labels).inc();
        self.f()
            .job_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Every series in the Prometheus text format (OpenMetrics 1.0), as
    /// they stand (call [`refresh`](Self::refresh) first for the shared
    /// view).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.0.registry);
        text
    }
}

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a job attempt ended, for the job series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// It succeeded.
    Done,
    /// It failed and will run again.
    Retry,
    /// It failed for good.
    Dead,
    /// It met the token's hold or no database: handed back uncharged.
    HandedBack,
    /// It lost its job to another attempt (or was cancelled while it ran).
    Lost,
}

impl JobOutcome {
    fn label(self) -> &'static str {
        match self {
            JobOutcome::Done => "done",
            JobOutcome::Retry => "retry",
            JobOutcome::Dead => "dead",
            JobOutcome::HandedBack => "handed_back",
            JobOutcome::Lost => "lost",
        }
    }
}

/// Registers every family under its documented name (counters get
/// `_total` from the encoder).
fn register(r: &mut Registry, f: &Families) {
    r.register(
        "aegis_asana_requests",
        "Asana requests sent, by route and HTTP status (transport: no answer)",
        f.requests.clone(),
    );
    r.register(
        "aegis_asana_rate_limited",
        "429 answers from Asana",
        f.rate_limited.clone(),
    );
    r.register(
        "aegis_budget_wait_seconds",
        "Seconds requests waited, by reason: budget (pacing), retry_after (429), backoff (5xx), circuit (held token)",
        f.waits.clone(),
    );
    r.register(
        "aegis_job_duration_seconds",
        "Duration of job attempts in this process, by kind and outcome",
        f.job_duration.clone(),
    );
    r.register(
        "aegis_job_attempts",
        "Job attempts run by this process, by kind and outcome",
        f.job_attempts.clone(),
    );
    shared::register(r, f);
}
