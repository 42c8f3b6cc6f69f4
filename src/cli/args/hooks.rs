//! The flags of `aegis serve` and `aegis webhooks …`.

use std::{net::SocketAddr, time::Duration};

use clap::{Args as ClapArgs, Subcommand};

use crate::cli::duration;

/// `aegis serve`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ServeArgs {
    /// Where the receiver listens (e.g. `0.0.0.0:8080`).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The public HTTPS base URL Asana reaches the receiver at (its
    /// webhooks' targets are `URL/webhooks/asana/ID`).
    #[arg(long, value_name = "URL")]
    pub public_url: String,
    /// How often `ensure` runs again after the first run at start.
    #[arg(long, value_parser = duration::parse_positive, default_value = "10m")]
    pub ensure_every: Duration,
}

/// `aegis webhooks`.
#[derive(Debug, Clone, ClapArgs)]
pub struct WebhooksArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// `aegis webhooks …`.
#[derive(Debug, Clone, Subcommand)]
pub enum WebhooksCommand {
    /// One webhook per active project of the portfolio: create missing
    /// ones, re-create failing or vanished ones, delete those of projects
    /// that left. The receiver (`aegis serve`) must be reachable at the URL.
    Ensure(EnsureArgs),
    /// aegis's webhooks with what Asana last reported of them.
    List(super::JsonFlag),
    /// Delete a project's webhook (gid or exact name), or all of them.
    Delete(DeleteArgs),
}

/// `aegis webhooks ensure`.
#[derive(Debug, Clone, ClapArgs)]
pub struct EnsureArgs {
    /// The receiver's public HTTPS base URL.
    #[arg(long, value_name = "URL")]
    pub public_url: String,
}

/// `aegis webhooks delete`.
#[derive(Debug, Clone, ClapArgs)]
pub struct DeleteArgs {
    /// The project (gid or exact name).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub project: Option<String>,
    /// Every webhook of aegis.
    #[arg(long)]
    pub all: bool,
}
