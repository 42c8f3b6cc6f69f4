//! The `fake-asana` binary: serves a generated world on 127.0.0.1 and prints
//! one JSON line saying how to reach it, then runs until SIGTERM or Ctrl-C.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use fake_asana::{Config, FakeAsana, WebhookSettings, generate::Preset};
use serde_json::json;

/// A stateful fake of the Asana REST API on loopback.
#[derive(Debug, Parser)]
#[command(name = "fake-asana", version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Which world to generate (ignored when --projects is given).
    #[arg(long, value_enum, default_value_t = PresetArg::Seed)]
    preset: PresetArg,
    /// Generate this many projects instead of a preset.
    #[arg(long, requires = "tasks_per_project")]
    projects: Option<usize>,
    /// Top-level tasks per generated project.
    #[arg(long, requires = "projects")]
    tasks_per_project: Option<usize>,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Requests per minute per token (Asana: 150 free, 1500 paid); unlimited if absent.
    #[arg(long)]
    requests_per_minute: Option<u32>,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// The bearer token to accept.
    #[arg(
        long,
        env = "FAKE_ASANA_TOKEN",
        default_value = "0/fake-token",
        hide_env_values = true
    )]
    token: String,
    /// Lifetime of pagination offsets, in seconds.
    #[arg(long, default_value_t = 15 * 60)]
    offset_ttl_secs: u64,
    /// Lifetime of /events sync tokens, in seconds.
    #[arg(long, default_value_t = 24 * 60 * 60)]
    event_token_ttl_secs: u64,
    /// In-flight GETs allowed per token.
    #[arg(long, default_value_t = 50)]
    max_inflight_gets: u32,
    /// Seed of the RNG behind probabilistic faults and webhook event loss.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    #[command(flatten)]
    webhooks: WebhookArgs,
}

/// How webhooks are delivered (Asana's figures as defaults, except the delay).
#[derive(Debug, clap::Args)]
struct WebhookArgs {
    /// How long a webhook event waits for others to share its delivery, in ms.
    #[arg(long, default_value_t = 0)]
    webhook_delay_ms: u64,
    /// Time between empty heartbeat deliveries, in seconds (Asana: 8 hours).
    #[arg(long, default_value_t = 8 * 60 * 60)]
    webhook_heartbeat_secs: u64,
    /// How long a target has to answer, in ms (Asana: 10 s).
    #[arg(long, default_value_t = 10_000)]
    webhook_timeout_ms: u64,
    /// First retry delay after a failed delivery, in ms (doubled each time).
    #[arg(long, default_value_t = 60_000)]
    webhook_retry_base_ms: u64,
    /// Longest delay between retries, in ms.
    #[arg(long, default_value_t = 3_600_000)]
    webhook_retry_max_ms: u64,
    /// Time without a successful delivery before a webhook is deleted, in
    /// seconds (Asana: 24 hours).
    #[arg(long, default_value_t = 24 * 60 * 60)]
    webhook_failure_window_secs: u64,
    /// Fraction of webhook events never delivered (0.0..=1.0).
    #[arg(long, default_value_t = 0.0)]
    webhook_loss: f64,
}

impl WebhookArgs {
    fn settings(&self) -> WebhookSettings {
        WebhookSettings {
            delivery_delay: Duration::from_millis(self.webhook_delay_ms),
            heartbeat_interval: Duration::from_secs(self.webhook_heartbeat_secs),
            delivery_timeout: Duration::from_millis(self.webhook_timeout_ms),
            retry_base: Duration::from_millis(self.webhook_retry_base_ms),
            retry_max: Duration::from_millis(self.webhook_retry_max_ms),
            failure_window: Duration::from_secs(self.webhook_failure_window_secs),
            loss_fraction: self.webhook_loss,
            ..WebhookSettings::default()
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PresetArg {
    /// Aegis (37 tasks), Triptic (2), Agents (0).
    Seed,
    /// A larger portfolio for the demo.
    Demo,
}

impl Args {
    fn config(self) -> Config {
        let preset = match (self.projects, self.tasks_per_project, self.preset) {
            (Some(projects), Some(tasks_per_project), _) => Preset::Custom {
                projects,
                tasks_per_project,
            },
            (_, _, PresetArg::Demo) => Preset::Demo,
            _ => Preset::Seed,
        };
        Config {
            preset,
            seed: self.seed,
            token: self.token,
            requests_per_minute: self.requests_per_minute,
            max_inflight_gets: self.max_inflight_gets,
            latency: Duration::from_millis(self.latency_ms),
            offset_ttl: Duration::from_secs(self.offset_ttl_secs),
            event_token_ttl: Duration::from_secs(self.event_token_ttl_secs),
            port: self.port,
            fault_seed: self.fault_seed,
            webhooks: self.webhooks.settings(),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "fake_asana=info".into()),
        )
        .init();
    let config = Args::parse().config();
    let preset = format!("{:?}", config.preset);
    let fake = match FakeAsana::spawn(config).await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("fake-asana: cannot listen: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "{{\"base_url\": {}, \"token\": {}, \"portfolio_gid\": {}, \"admin_url\": {}}}",
        json!(fake.base_url),
        json!(fake.token),
        json!(fake.portfolio_gid),
        json!(fake.admin_url),
    );
    tracing::info!(base_url = %fake.base_url, portfolio = %fake.portfolio_gid, %preset, "fake-asana serving");
    shutdown_signal().await;
    tracing::info!("fake-asana shutting down");
    fake.shutdown().await;
    std::process::ExitCode::SUCCESS
}
