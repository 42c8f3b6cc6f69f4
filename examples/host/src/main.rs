//! The host example as a program: `DATABASE_URL`, `ASANA_ACCESS_TOKEN`,
//! `ASANA_PORTFOLIO_GID` and optionally `ASANA_BASE_URL` (e.g. the fake's,
//! from `just fake`) and `ASANA_REQUESTS_PER_MINUTE`.

use aegis_host_example::{Asana, Order, run};
use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let pool = sqlx::PgPool::connect(&var("DATABASE_URL")?).await?;
    let asana = Asana {
        token: var("ASANA_ACCESS_TOKEN")?,
        portfolio: var("ASANA_PORTFOLIO_GID")?,
        base_url: var("ASANA_BASE_URL").unwrap_or_else(|_| aegis::asana::DEFAULT_BASE_URL.into()),
        requests_per_minute: var("ASANA_REQUESTS_PER_MINUTE")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(150),
    };
    let report = run(&pool, &asana, Order::HostFirst).await?;
    println!("{report:?}");
    Ok(())
}
