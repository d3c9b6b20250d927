//! Connecting to SQLite (embedded default) or PostgreSQL (production), running migrations, and
//! reading the pool's state for `/metrics`. Backend differences are branched here and in
//! [`crate::jobs`], nowhere else.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QuerySelect, Select, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Opens the pool. SQLite runs in WAL mode (readers never wait for the writer) with foreign
/// keys enforced and a busy timeout, so concurrent writers queue instead of failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        without_sqlite_memory_statistics();
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(stable_query_plans(conn)))
        });
    // sqlx pings every connection it hands out (default): a round trip to PostgreSQL, and
    // on SQLite a hand-off to the connection's thread, before every statement outside a
    // transaction and every transaction begun. An embedded SQLite file cannot drop a connection, so it
    // is never pinged; a PostgreSQL connection only after it sat idle long enough for a
    // server restart, a proxy or a firewall to have dropped it.
    if url.starts_with("sqlite:") {
        options.test_before_acquire(false);
    } else {
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    // Opening SQLite sets the journal mode, which can meet "database is locked" while another
    // process or pool holds the write lock (e.g. an instance migrating at the same moment);
    // the busy timeout does not cover that pragma. Such a lock is short: wait and try again.
    let mut attempt = 0;
    loop {
        match Database::connect(options.clone()).await {
            Err(err) if attempt < 50 && err.to_string().contains("database is locked") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            result => return result,
        }
    }
}

/// Turns SQLite's memory statistics off for the process, before its first connection.
///
/// With them on (SQLite's default), every allocation SQLite makes, and sqlx copies every
/// column of every row it reads, takes one mutex shared by all connections. With a thread per
/// connection (sqlx) they queued there: a third of the SQLite threads' time in the uncached
/// feed went to that mutex and the futex calls behind it (`perf`, docs/benchmarks.md). Nothing
/// here reads the statistics. The setting can only be made before SQLite initialises; if
/// something else opened a database first, it stays on and only the speed differs.
fn without_sqlite_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{SQLITE_CONFIG_MEMSTATUS, SQLITE_OK, sqlite3_config};
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. sqlite3_config is not thread-safe
        // against other SQLite calls; `Once` makes this the only call of it, and it runs
        // before this process opens its first database (a later call is refused with
        // SQLITE_MISUSE and changes nothing).
        let rc = unsafe { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != SQLITE_OK {
            tracing::debug!(code = rc, "SQLite's memory statistics stay on");
        }
    });
}

/// Turns on SQLite's query planner stability guarantee (QPSG) for a new connection.
///
/// Without it, SQLite marks a cached statement as expired whenever a value is bound to a
/// parameter that the planner looked at, and parses and plans it again at its next step. Every
/// `LIMIT ?` that sea-query writes is such a parameter, so every paged list was parsed and
/// planned anew at each request: the statement cache saved nothing, and parsing was a tenth of
/// the uncached feed's CPU (measured with `perf`, docs/benchmarks.md). With the guarantee a
/// statement keeps the plan made without knowing the values, which is the plan the indexes are
/// built for.
async fn stable_query_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    use std::ffi::c_int;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: `lock_handle` keeps the connection's worker thread off the handle until the
    // guard drops, so nothing else uses it during this call. SQLITE_DBCONFIG_ENABLE_QPSG takes
    // an int (1: on) and an int pointer for the new setting, which may be null.
    let rc = unsafe {
        sqlite3_db_config(
            db.as_ptr(),
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc == SQLITE_OK {
        Ok(())
    } else {
        Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {rc})").into(),
        ))
    }
}

/// Any fixed number: the key of the PostgreSQL advisory lock that start-up work holds.
const STARTUP_LOCK_KEY: i64 = 0x0064_6f72_6661_7070; // "dorfapp" in ASCII

/// Brings the schema up to date, then runs `after` (e.g. the first-start seed), as one unit.
///
/// Both happen in one transaction that holds the database exclusively: on PostgreSQL under an
/// advisory lock, on SQLite as an `IMMEDIATE` transaction (it takes the write lock at once).
/// Instances that start together wait for each other instead of racing, and a failed migration
/// leaves nothing half-applied (both databases have transactional DDL).
pub async fn migrate_then<T, F>(db: &DatabaseConnection, after: F) -> anyhow::Result<T>
where
    F: for<'t> AsyncFnOnce(&'t DatabaseTransaction) -> anyhow::Result<T>,
{
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({STARTUP_LOCK_KEY})"))
            .await?;
    }
    Migrator::up(&txn, None).await?;
    let result = after(&txn).await?;
    txn.commit().await?;
    Ok(result)
}

/// Begins a transaction that is going to write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// `SQLITE_BUSY` when another writer got in between, whereas an immediate one simply waits its
/// turn (busy timeout). On PostgreSQL it is an ordinary transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// The query as `SELECT … FOR UPDATE` on PostgreSQL, so what a write decides from the row (an
/// `If-Match`, a status) still holds when it writes. SQLite needs no lock: a transaction from
/// [`begin_write`] already excludes every other writer.
pub fn locked<E: EntityTrait>(query: Select<E>, conn: &impl ConnectionTrait) -> Select<E> {
    match conn.get_database_backend() {
        DatabaseBackend::Postgres => query.lock_exclusive(),
        _ => query,
    }
}

/// The query as `SELECT … FOR SHARE` on PostgreSQL: the row stays as read until the
/// transaction ends, while other readers that share-lock it go on (many sign-ups at once);
/// a writer that locks it [`locked`] waits. SQLite: as [`locked`].
pub fn locked_shared<E: EntityTrait>(query: Select<E>, conn: &impl ConnectionTrait) -> Select<E> {
    match conn.get_database_backend() {
        DatabaseBackend::Postgres => query.lock_shared(),
        _ => query,
    }
}

/// Named exclusive sections of a write transaction, for decisions that read several rows and
/// must not interleave across instances (e.g. "is this the last administrator?").
#[derive(Clone, Copy, Debug)]
pub enum Section {
    /// Removing an administrator (revoking the role, deleting the account).
    Administrators = 0x6164_6d69, // "admi"
}

/// Enters `section` for the rest of the transaction: on PostgreSQL an advisory transaction
/// lock (released at commit or rollback); on SQLite the transaction of [`begin_write`] already
/// holds the single write lock.
pub async fn enter(txn: &DatabaseTransaction, section: Section) -> Result<(), DbErr> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({})", section as i64))
            .await?;
    }
    Ok(())
}

/// Brings the schema up to date (`dorfapp migrate`).
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrate_then(db, async |_| Ok(())).await
}

/// Current pool occupancy, for the Prometheus gauges.
#[derive(Clone, Copy, Debug)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

pub fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        _ => None,
    }
}

/// Whether the database answers a trivial query.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// A queue claim: which rows of a queue table a worker takes, and what it marks on them.
pub struct Claim<'a> {
    /// The queue table (`job`, `notice`, `push_delivery`); it has `id`, `locked_by` and
    /// `locked_until` columns.
    pub table: &'a str,
    /// Extra assignments besides the lock, e.g. `attempts = attempts + 1`; may use `$3` (now).
    pub also_set: &'a str,
    /// Which rows are due; may use `$3` (now).
    pub due: &'a str,
    pub order_by: &'a str,
    pub returning: &'a str,
}

impl Claim<'_> {
    /// The claiming statement: one atomic `UPDATE … WHERE id IN (SELECT … LIMIT n)` that sets
    /// `locked_by = worker` and `locked_until = lease_until` on due rows whose lease is free
    /// or ran out, and returns them.
    ///
    /// The one place where the backends differ for queues: PostgreSQL skips rows another
    /// worker is claiming right now (`FOR UPDATE SKIP LOCKED`), so concurrent workers pass
    /// over each other instead of waiting; SQLite has a single writer, so the statement is
    /// atomic anyway.
    pub fn statement(
        &self,
        backend: DatabaseBackend,
        worker: &str,
        lease_until: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> sea_orm::Statement {
        let Claim {
            table,
            also_set,
            due,
            order_by,
            returning,
        } = self;
        let lock_clause = match backend {
            DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let also_set = if also_set.is_empty() {
            String::new()
        } else {
            format!(", {also_set}")
        };
        let sql = format!(
            "UPDATE {table} SET locked_by = $1, locked_until = $2{also_set} \
             WHERE id IN (SELECT id FROM {table} WHERE {due} \
               AND (locked_until IS NULL OR locked_until <= $3) ORDER BY {order_by} LIMIT $4 {lock_clause}) \
             RETURNING {returning}"
        );
        let sql = match backend {
            DatabaseBackend::Sqlite => sql.replace('$', "?"),
            _ => sql,
        };
        sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [
                worker.into(),
                lease_until.into(),
                now.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )
    }
}
