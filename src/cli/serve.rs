//! `aegis serve --listen ADDR --public-url URL`: serves the webhook
//! receiver (`POST /webhooks/asana/{id}`) and `/healthz`, and runs
//! `webhooks ensure` once the listener is up (Asana's handshakes come to
//! this same process while each create is open) and then every
//! `--ensure-every`, until SIGTERM or ctrl-c.

use axum::{Router, routing::get};
use tracing::{info, warn};

use super::{
    args::ServeArgs,
    sync::stop_signal,
    webhooks::{context, print_report, public_url},
};
use crate::{
    config::{ConfigError, DatabaseConfig},
    web::hooks,
    webhooks::ensure::ensure,
};

/// Runs the receiver and the periodic `ensure` until a stop signal.
pub(super) async fn run(database: &DatabaseConfig, args: &ServeArgs) -> anyhow::Result<()> {
    let url = public_url(&args.public_url)?;
    let ctx = context(database).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| ConfigError(format!("cannot listen on --listen {}: {e}", args.listen)))?;
    let local = listener.local_addr().unwrap_or(args.listen);
    let app =
        hooks::router(ctx.clone()).merge(Router::new().route("/healthz", get(|| async { "ok" })));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    info!(public_url = %url, "serving the webhook receiver on http://{local}");
    let ensuring = async {
        let mut tick = tokio::time::interval(args.ensure_every);
        loop {
            tick.tick().await;
            match ensure(&ctx, &url).await {
                Ok(report) => {
                    if let Err(e) = print_report(&report) {
                        warn!(error.message = %e, "some webhooks could not be ensured");
                    }
                }
                Err(e) => warn!(error.message = %e, "ensuring webhooks failed; trying again later"),
            }
        }
    };
    let stopped = tokio::select! {
        signal = stop_signal() => Ok(signal),
        () = ensuring => unreachable!("the ensure loop never ends"),
        served = server => Err(served),
    };
    match stopped {
        Ok((signal, _)) => {
            info!(signal, "stopping the webhook receiver");
            Ok(())
        }
        Err(Ok(Ok(()))) => anyhow::bail!("the webhook receiver stopped"),
        Err(Ok(Err(e))) => Err(anyhow::anyhow!("the webhook receiver failed: {e}")),
        Err(Err(e)) => Err(anyhow::anyhow!("the webhook receiver panicked: {e}")),
    }
}
