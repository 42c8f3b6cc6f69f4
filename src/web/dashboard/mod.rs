//! The dashboard: server-rendered pages of the queue, the runs and the
//! copy's freshness, and the actions that steer the queue.
//!
//! [`router`] gives an axum [`Router`] a host mounts (or `aegis dashboard
//! --listen ADDR` serves). Pages are HTML rendered with maud, readable
//! without JavaScript (a `<meta http-equiv=refresh>` toggle refreshes them);
//! the CSS is embedded, nothing is fetched from elsewhere.
//!
//! | page | path |
//! |---|---|
//! | overview: jobs per kind and state, throughput, budget, workers | `/` |
//! | projects: freshness, mode, last error, dead jobs, events token | `/projects?sort=stale\|name\|dead\|token` |
//! | runs, and one run's per-project figures | `/runs`, `/runs/{id}` |
//! | jobs filtered by state, kind, project; one job | `/jobs?state=&kind=&project=`, `/jobs/{id}` |
//! | dead letters grouped by reason | `/dead` |
//!
//! Every action is a POST, checked for its CSRF token (double-submit: a
//! cookie and a hidden field, see `csrf.rs`) and the caller's role
//! ([`Role`], from [`DashboardAuth`]), that calls the same library function as `aegis
//! queue …` ([`crate::queue`]) and redirects back (303) with a flash
//! message.

mod access;
mod actions;
mod auth;
mod cookies;
mod csrf;
mod dead;
mod format;
mod jobs;
mod layout;
mod overview;
mod projects;
mod runs;

use std::sync::Arc;

use axum::{
    Router, middleware,
    routing::{get, post},
};
use sqlx::PgPool;

use aegis_jobs::Queues;

pub use access::Role;
pub use auth::{DashboardAuth, ListenError};

/// What the dashboard's handlers share: the pool, the queues of one aegis
/// setup, the credentials and a per-process key (constant-time comparisons).
#[derive(Clone)]
pub struct DashboardState {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    queues: Queues,
    auth: DashboardAuth,
    key: [u8; 32],
}

impl DashboardState {
    /// The state of a dashboard over `pool`'s aegis tables and `queues`,
    /// guarded by `auth`.
    pub fn new(pool: PgPool, queues: Queues, auth: DashboardAuth) -> DashboardState {
        DashboardState {
            inner: Arc::new(Inner {
                pool,
                queues,
                auth,
                key: rand::random(),
            }),
        }
    }

    fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    fn queues(&self) -> &Queues {
        &self.inner.queues
    }

    fn auth(&self) -> &DashboardAuth {
        &self.inner.auth
    }

    fn key(&self) -> &[u8; 32] {
        &self.inner.key
    }
}

impl std::fmt::Debug for DashboardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardState")
            .field("queues", &self.inner.queues)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// The dashboard's pages and actions, for a host to mount (at its root:
/// links are absolute) or `aegis dashboard` to serve.
pub fn router(state: DashboardState) -> Router {
    let guarded = Router::new()
        .route("/", get(overview::page))
        .route("/projects", get(projects::page))
        .route("/runs", get(runs::list))
        .route("/runs/{id}", get(runs::detail))
        .route("/runs/{id}/cancel", post(actions::cancel_run))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::detail))
        .route("/jobs/{id}/retry", post(actions::retry))
        .route("/jobs/{id}/cancel", post(actions::cancel))
        .route("/jobs/{id}/run-now", post(actions::run_now))
        .route("/dead", get(dead::page))
        .route("/dead/retry", post(actions::retry_group))
        .route("/kinds/{kind}/pause", post(actions::pause))
        .route("/kinds/{kind}/resume", post(actions::resume))
        .route("/purge", post(actions::purge))
        .route("/logout", post(auth::logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require));
    Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/style.css", get(layout::stylesheet))
        .merge(guarded)
        .with_state(state)
}
