//! aegis's schema history: its migrations (`migrations/`) and apalis's,
//! each recorded in a table of its own, never the host's.
//!
//! sqlx's migrator records what it applied in `_sqlx_migrations` by
//! default, and refuses to run when that table lists a migration it does
//! not know, so a host service with its own `sqlx::migrate!()` and aegis
//! could never share a database. aegis's history is `aegis_migrations`;
//! apalis 1.0 keeps its own in its schema ([`crate::queue::schema`]). A database
//! migrated before this change has aegis's rows in `_sqlx_migrations`:
//! [`migrate`] moves exactly those (same version and checksum) to
//! `aegis_migrations` once, leaving the host's rows alone.
//!
//! Migrations run on a connection of their own, closed afterwards: the
//! migrator's session advisory lock can never stay behind on a pooled
//! connection. (Defensive: with its own history table, aegis's migrator no
//! longer fails on a host's rows, the case that left the lock held, and
//! sqlx 0.9 was not seen leaking it on aegis's own failures.)

use sqlx::{Connection, PgConnection, PgPool, migrate::Migrator};

use super::{Error, Result, namespace::Schema};
use crate::queue;

/// aegis's own migrations, recorded in `aegis_migrations` of the schema its
/// connection's `search_path` names (see [`super::namespace`]).
pub fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!();
    migrator.dangerous_set_table_name("aegis_migrations");
    migrator
}

/// Creates or updates every table aegis needs: apalis's queue storage, then
/// aegis's own in `schema` (created if missing). `pool` is aegis's own
/// (its `search_path` is `schema`: [`super::Namespace::connect_options`]).
/// Idempotent.
///
/// # Errors
/// When the database refuses a migration (e.g. the role may not create tables).
pub async fn migrate(pool: &PgPool, schema: &Schema) -> Result<()> {
    let mut conn = pool.acquire().await?.detach();
    let result = migrate_on(&mut conn, schema).await;
    let _ = conn.close().await;
    result
}

async fn migrate_on(conn: &mut PgConnection, schema: &Schema) -> Result<()> {
    // apalis's oldest migrations create a helper in the first schema of the
    // search path (its last one drops it from `public` again): run them with
    // PostgreSQL's default path, as in any host, then come back to aegis's.
    set_search_path(conn, None).await?;
    queue::schema::migrate(&mut *conn)
        .await
        .map_err(|e| Error::QueueSetup(e.to_string()))?;
    set_search_path(conn, Some(schema)).await?;
    let mut migrator = migrator();
    if schema.as_str() != super::namespace::CLI_SCHEMA {
        migrator.create_schema(schema.as_str().to_owned());
    }
    relocate_history(conn, &migrator).await?;
    migrator.run(&mut *conn).await?;
    Ok(())
}

/// Sets this session's search path to `schema`, or to PostgreSQL's
/// built-in default (`"$user", public`) for `None`.
async fn set_search_path(conn: &mut PgConnection, schema: Option<&Schema>) -> Result<()> {
    sqlx::query(
        "select set_config('search_path', coalesce($1, \
         (select boot_val from pg_settings where name = 'search_path')), false)",
    )
    .bind(schema.map(Schema::as_str))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves aegis's rows out of `_sqlx_migrations` into `aegis_migrations`,
/// once (when the latter does not exist yet).
async fn relocate_history(conn: &mut PgConnection, migrator: &Migrator) -> Result<()> {
    let (legacy, ours): (bool, bool) = sqlx::query_as(
        "select to_regclass('_sqlx_migrations') is not null, \
                to_regclass('aegis_migrations') is not null",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !legacy || ours {
        return Ok(());
    }
    let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    let checksums: Vec<Vec<u8>> = migrator.iter().map(|m| m.checksum.to_vec()).collect();
    let mut tx = conn.begin().await?;
    // sqlx's own definition of a migrations table.
    sqlx::query(
        "create table aegis_migrations (version bigint primary key, \
         description text not null, installed_on timestamptz not null default now(), \
         success boolean not null, checksum bytea not null, execution_time bigint not null)",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "with ours as (select * from unnest($1::bigint[], $2::bytea[]) as m(version, checksum)), \
         moved as (delete from _sqlx_migrations s using ours \
                   where s.version = ours.version and s.checksum = ours.checksum returning s.*) \
         insert into aegis_migrations select version, description, installed_on, success, \
             checksum, execution_time from moved",
    )
    .bind(&versions)
    .bind(&checksums)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Fails with the database's "does not exist" error (`42P01`) unless both
/// apalis's queue storage and aegis's migration history are there: a
/// worker checks this before it starts, instead of restarting apalis's
/// workers against missing tables. A database migrated by an aegis older
/// than `aegis_migrations` fails too: `aegis migrate` moves its history.
///
/// # Errors
/// The database's.
pub async fn check_migrated(db: &PgPool) -> Result<(), sqlx::Error> {
    queue::schema::check_migrated(db).await?;
    sqlx::query("select 1 from aegis_migrations limit 0")
        .execute(db)
        .await?;
    Ok(())
}

/// How many migrations (aegis's and apalis's) are recorded as applied; 0
/// on a fresh database.
///
/// # Errors
/// The database's.
pub async fn applied_migrations(db: &PgPool) -> Result<i64> {
    let ours: bool = sqlx::query_scalar("select to_regclass('aegis_migrations') is not null")
        .fetch_one(db)
        .await?;
    let mut applied = queue::schema::applied_migrations(db).await?;
    if ours {
        applied +=
            sqlx::query_scalar::<_, i64>("select count(*) from aegis_migrations where success")
                .fetch_one(db)
                .await?;
    }
    Ok(applied)
}

/// The versions of this build's migrations the database has not applied
/// (all of them before `aegis migrate`): a worker of a newer aegis than
/// the schema is not ready.
///
/// # Errors
/// The database's (none for a database never migrated: every version is
/// missing).
pub async fn missing_migrations(db: &PgPool) -> Result<Vec<i64>> {
    let ours: bool = sqlx::query_scalar("select to_regclass('aegis_migrations') is not null")
        .fetch_one(db)
        .await?;
    let applied: Vec<i64> = if ours {
        sqlx::query_scalar("select version from aegis_migrations where success")
            .fetch_all(db)
            .await?
    } else {
        Vec::new()
    };
    Ok(migrator()
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect())
}
