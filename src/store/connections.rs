//! The database server's connections as aegis sees them: how many a new
//! process could still open (a worker checks before it starts), and why a
//! pool had none to give (sqlx retries the server's `too many clients`
//! silently until its acquire timeout and then says only "pool timed out").

use std::time::Duration;

use sqlx::{ConnectOptions, Connection, PgPool};

use super::describe;

/// The connections a new client of this role and database could still
/// open, and the limit that binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRoom {
    /// Connections still to be had.
    pub free: i32,
    /// The limit that leaves the fewest, in words (`max_connections 100,
    /// 3 reserved, 90 in use`).
    pub limit: String,
}

/// `max_connections`, reserved slots, client backends; the role's limit
/// (-1: none, or a superuser) and its backends; the database's likewise.
type Counts = (i32, i32, i32, i32, i32, i32, i32);

/// The connections this role could still open to this database, counting
/// the session that asks as one of them (other sessions are in use): the
/// tightest of the server's `max_connections` (less its reserved slots),
/// the role's and the database's `CONNECTION LIMIT` (superusers are exempt
/// from those two).
///
/// # Errors
/// The database's.
pub async fn connection_room(pool: &PgPool) -> Result<ConnectionRoom, sqlx::Error> {
    let (max, reserved, in_use, role_limit, role_in_use, db_limit, db_in_use) =
        sqlx::query_as::<_, Counts>(
            "with clients as (select usename, datname from pg_stat_activity
                              where backend_type = 'client backend'
                                and pid <> pg_backend_pid()),
                  me as (select rolsuper, rolconnlimit from pg_roles where rolname = current_user)
             select current_setting('max_connections')::int,
                    current_setting('superuser_reserved_connections')::int
                      + coalesce(nullif(current_setting('reserved_connections', true), ''),
                                 '0')::int,
                    (select count(*) from clients)::int,
                    (select case when rolsuper then -1 else rolconnlimit end from me),
                    (select count(*) from clients where usename = current_user)::int,
                    (select case when (select rolsuper from me) then -1 else datconnlimit end
                     from pg_database where datname = current_database()),
                    (select count(*) from clients where datname = current_database())::int",
        )
        .fetch_one(pool)
        .await?;
    let mut room = ConnectionRoom {
        free: max - reserved - in_use,
        limit: format!("max_connections {max}, {reserved} reserved, {in_use} in use"),
    };
    for (what, limit, used) in [
        ("the role's", role_limit, role_in_use),
        ("the database's", db_limit, db_in_use),
    ] {
        if limit >= 0 && limit - used < room.free {
            room = ConnectionRoom {
                free: limit - used,
                limit: format!("{what} connection limit {limit}, {used} in use"),
            };
        }
    }
    room.free = room.free.max(0);
    Ok(room)
}

/// How long the diagnosis waits for its own connection.
const DIAGNOSIS_TIMEOUT: Duration = Duration::from_secs(5);

/// Why `pool` gave no connection in time, in one phrase: the server's own
/// refusal (`sorry, too many clients already`) when a fresh connection is
/// refused too, else that every connection of the pool is in use.
pub async fn why_no_connection(pool: &PgPool) -> String {
    let options = pool.connect_options();
    let max = pool.options().get_max_connections();
    match tokio::time::timeout(DIAGNOSIS_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            format!(
                "all {max} connections of aegis's pool are in use ({} idle): raise the pool's \
                 size or lower the concurrency",
                pool.num_idle()
            )
        }
        Ok(Err(e)) => format!("the database refused a new connection: {}", describe(&e)),
        Err(_) => format!(
            "the database did not answer a new connection within {} s",
            DIAGNOSIS_TIMEOUT.as_secs()
        ),
    }
}
