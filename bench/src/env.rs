//! The benchmark's surroundings: the admin database (from `scripts/db.sh
//! url`) and a fresh, migrated database per scenario, the `aegis` binary the
//! worker processes run, where logs go, and the machine's description.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use serde_json::{Value, json};
use sqlx::{
    AssertSqlSafe, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// What every scenario shares.
#[derive(Debug, Clone)]
pub struct Bench {
    /// A pool on the admin database (`create database` runs here).
    pub admin: PgPool,
    /// The admin database's connection options.
    options: PgConnectOptions,
    /// `target/release/aegis`.
    pub aegis: PathBuf,
    /// `target/bench`: results and logs.
    pub out: PathBuf,
    /// When the run started.
    pub started: Instant,
    /// Keep the scenarios' databases (for a look afterwards).
    pub keep_dbs: bool,
}

/// One scenario's own database.
#[derive(Debug, Clone)]
pub struct Db {
    /// Its name.
    pub name: String,
    /// Its URL (no password: the private cluster trusts loopback).
    pub url: String,
    /// A pool on it.
    pub pool: PgPool,
}

impl Bench {
    /// Connects to `url` (the admin database); `root` is the workspace root.
    pub async fn new(url: &str, root: &Path) -> anyhow::Result<Bench> {
        let options: PgConnectOptions = url.parse().context("DATABASE_URL does not parse")?;
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await
            .context("connecting to the admin database failed")?;
        let out = root.join("target/bench");
        std::fs::create_dir_all(out.join("logs"))?;
        Ok(Bench {
            admin,
            options,
            aegis: root.join("target/release/aegis"),
            out,
            started: Instant::now(),
            keep_dbs: false,
        })
    }

    /// Creates a fresh database for `scenario` (dropping a leftover of the
    /// same name) and runs aegis's migrations on it.
    pub async fn fresh_db(&self, scenario: &str) -> anyhow::Result<Db> {
        let name = format!("aegis_bench_{scenario}");
        sqlx::query(AssertSqlSafe(format!(
            "drop database if exists {name} with (force)"
        )))
        .execute(&self.admin)
        .await?;
        sqlx::query(AssertSqlSafe(format!("create database {name}")))
            .execute(&self.admin)
            .await
            .with_context(|| format!("create database {name}"))?;
        // Connected as aegis connects (its session settings).
        let options = aegis::store::Namespace::cli_default()
            .connect_options(self.options.clone().database(&name));
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        aegis::store::migrate(&pool, &aegis::store::Schema::public())
            .await
            .context("migrations")?;
        let url = db_url(&self.options, &name);
        Ok(Db { name, url, pool })
    }

    /// Drops a scenario's database once it is measured.
    pub async fn drop_db(&self, db: Db) {
        db.pool.close().await;
        if self.keep_dbs {
            progress(&format!("kept database {}", db.name));
            return;
        }
        let sql = format!("drop database if exists {} with (force)", db.name);
        if let Err(e) = sqlx::query(AssertSqlSafe(sql)).execute(&self.admin).await {
            progress(&format!("could not drop {}: {e}", db.name));
        }
    }

    /// A log file for a process of a scenario.
    pub fn log(&self, name: &str) -> PathBuf {
        self.out.join("logs").join(format!("{name}.log"))
    }

    /// Seconds since the bench started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

fn db_url(options: &PgConnectOptions, name: &str) -> String {
    let user = options.get_username();
    let host = options.get_host();
    let port = options.get_port();
    format!("postgres://{user}@{host}:{port}/{name}")
}

/// One progress line on stderr.
pub fn progress(line: &str) {
    eprintln!("bench: {line}");
}

/// CPUs, memory, CPU model and PostgreSQL's version.
pub async fn machine(admin: &PgPool) -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned());
    let version: Option<String> = sqlx::query_scalar("select version()")
        .fetch_one(admin)
        .await
        .ok();
    json!({
        "cpus": cpus,
        "cpu_model": model,
        "memory_mb": mem_kb / 1024,
        "postgres_version": version,
        "os": std::env::consts::OS,
    })
}
