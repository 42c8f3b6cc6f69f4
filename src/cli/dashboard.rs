//! `aegis dashboard --listen ADDR`: serves [`crate::web::dashboard`] until
//! SIGTERM or ctrl-c (then exit 0). Credentials come from the environment
//! only (a flag would show them in `ps`), become [`SecretString`]s at once,
//! and a non-loopback address without any is refused (exit 2).

use anyhow::Context as _;
use secrecy::SecretString;
use tokio::net::TcpListener;

use super::{args::DashboardArgs, connect};
use crate::{
    config::{ConfigError, DatabaseConfig},
    web::dashboard::{self, DashboardAuth, DashboardState},
};

/// Serves the dashboard.
pub(super) async fn run(database: &DatabaseConfig, args: &DashboardArgs) -> anyhow::Result<()> {
    let auth = auth_from_env()?;
    auth.check_listen(args.listen)
        .map_err(|e| ConfigError(e.to_string()))?;
    let pool = connect(database).await?;
    let state = DashboardState::new(pool, database.namespace().queues.clone(), auth);
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        ConfigError(format!(
            "cannot listen on {}: {e} (choose another --listen address)",
            args.listen
        ))
    })?;
    let addr = listener
        .local_addr()
        .context("reading the listening address")?;
    tracing::info!(listen = %addr, "dashboard listening on http://{addr}/");
    axum::serve(listener, dashboard::router(state))
        .with_graceful_shutdown(stop_signal())
        .await
        .context("serving the dashboard failed")
}

/// `AEGIS_DASHBOARD_TOKEN`, `AEGIS_DASHBOARD_READONLY_TOKEN`,
/// `AEGIS_DASHBOARD_USER` + `AEGIS_DASHBOARD_PASSWORD` (empty is unset).
fn auth_from_env() -> Result<DashboardAuth, ConfigError> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut auth = DashboardAuth::open();
    if let Some(token) = var("AEGIS_DASHBOARD_TOKEN") {
        auth = auth.with_token(SecretString::from(token));
    }
    if let Some(token) = var("AEGIS_DASHBOARD_READONLY_TOKEN") {
        auth = auth.with_readonly_token(SecretString::from(token));
    }
    match (var("AEGIS_DASHBOARD_USER"), var("AEGIS_DASHBOARD_PASSWORD")) {
        (Some(user), Some(password)) => {
            auth = auth.with_basic(&user, &SecretString::from(password));
        }
        (None, None) => {}
        _ => {
            return Err(ConfigError(
                "AEGIS_DASHBOARD_USER and AEGIS_DASHBOARD_PASSWORD go together: set both for \
                 basic auth, or neither"
                    .to_owned(),
            ));
        }
    }
    Ok(auth)
}

/// SIGTERM or ctrl-c.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
