//! The migrations since Anliegen (000010 and after: Anliegen, polls) run up, down and up again,
//! with data in the tables, on SQLite (in memory) and, when `DORFAPP_TEST_DATABASE_URL` names a
//! PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), on a fresh database
//! there, dropped at the end. Part of the README's `cargo test` (a default member).

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr};

const TEST_DATABASE_ENV: &str = "DORFAPP_TEST_DATABASE_URL";

const DISTRICT: &str = "00000000-0000-7000-8000-000000000001";
const TOPIC: &str = "00000000-0000-7000-8000-000000000002";
const ANLIEGEN: &str = "00000000-0000-7000-8000-000000000003";
const MEDIA: &str = "00000000-0000-7000-8000-000000000004";
const MEDIA_USE: &str = "00000000-0000-7000-8000-000000000005";
const EVENT: &str = "00000000-0000-7000-8000-000000000006";
const MISSING: &str = "00000000-0000-7000-8000-0000000000ff";
const AT: &str = "2026-12-04T10:00:00Z";

#[tokio::test]
async fn up_down_up_on_sqlite() {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("open SQLite in memory");
    // sqlx turns foreign keys on for SQLite; the app relies on it, and so does this test.
    up_down_up(&db).await.expect("up, down, up on SQLite");
    db.close().await.ok();
}

#[tokio::test]
async fn up_down_up_on_postgres() {
    let Some(admin_url) = std::env::var(TEST_DATABASE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("{TEST_DATABASE_ENV} not set: skipped");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let name = format!("dorfapp_mig_{}_{nanos}", std::process::id());
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to DORFAPP_TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");

    // Run the scenario, then drop the database whatever its outcome, then report.
    let outcome = match Database::connect(replace_database(&admin_url, &name)).await {
        Ok(db) => {
            let outcome = up_down_up(&db).await;
            db.close().await.ok();
            outcome
        }
        Err(err) => Err(err),
    };
    let dropped = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    admin.close().await.ok();
    outcome.expect("up, down, up on PostgreSQL");
    dropped.expect("drop test database");
}

/// The first migration this test rolls back, and every one after it.
const FIRST_ROLLED_BACK: &str = "m20261204_000010_anliegen";

/// All migrations up, those since [`FIRST_ROLLED_BACK`] down (with rows in their tables and
/// columns), then up again.
async fn up_down_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    expect_schema(db, true).await?;
    expect_foreign_keys(db).await?;

    // Leave rows behind for `down`: an Anliegen with its history and a photo.
    insert_anliegen(db).await?;
    let migrations = Migrator::migrations();
    let first = migrations
        .iter()
        .position(|m| m.name() == FIRST_ROLLED_BACK)
        .ok_or_else(|| DbErr::Custom(format!("{FIRST_ROLLED_BACK} is not a migration")))?;
    let steps = u32::try_from(migrations.len() - first).unwrap_or(u32::MAX);
    Migrator::down(db, Some(steps)).await?;
    expect_schema(db, false).await?;
    // The photo's use outlives the column it lost.
    expect_count(db, "SELECT COUNT(*) AS n FROM media_use", 1).await?;
    for table in ["media_use", "media", "district"] {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }

    Migrator::up(db, None).await?;
    expect_schema(db, true).await?;
    expect_foreign_keys(db).await?;
    expect_sms_rules(db).await?;
    let pending = Migrator::get_pending_migrations(db).await?;
    check(
        pending.is_empty(),
        "no migration pending after the second up",
    )
}

/// The tables, columns and index of the Anliegen migration are there (`present`) or gone.
async fn expect_schema(db: &DatabaseConnection, present: bool) -> Result<(), DbErr> {
    let manager = SchemaManager::new(db);
    for table in [
        "anliegen_topic",
        "anliegen",
        "anliegen_event",
        "anliegen_follower",
        "poll",
        "poll_option",
        "poll_vote",
        "api_client",
        "organisation",
        "event",
        "event_district",
        "event_exception",
        "event_occurrence",
        "event_follower",
        "event_shift",
        "event_signup",
        "console_session",
        "console_draft",
        "ride_callback",
        "sms_recipient",
        "sms_consent",
        "sms_verification",
        "sms_message",
        "sms_inbound",
        "sms_webhook_nonce",
        "sms_usage",
    ] {
        check(
            manager.has_table(table).await? == present,
            &format!("table {table} present: {present}"),
        )?;
    }
    for (table, column) in [
        ("media_use", "anliegen_id"),
        ("role_assignment", "topic_id"),
        ("role_assignment", "organisation_id"),
        ("news_item", "organisation_id"),
        ("media_use", "event_id"),
        ("ride", "event_id"),
        ("anliegen", "api_client_id"),
        ("ride", "contact_phone_key"),
    ] {
        check(
            manager.has_column(table, column).await? == present,
            &format!("column {table}.{column} present: {present}"),
        )?;
    }
    for (table, index) in [
        ("media_use", "idx_media_use_anliegen"),
        ("event_occurrence", "idx_event_occurrence_town_start"),
        ("ride", "idx_ride_contact_phone_key"),
        ("ride_callback", "idx_ride_callback_open"),
        ("sms_message", "idx_sms_message_due"),
        ("sms_message", "idx_sms_message_provider_id"),
        ("sms_inbound", "idx_sms_inbound_provider_id"),
        ("sms_recipient", "idx_sms_recipient_warnings"),
    ] {
        check(
            manager.has_index(table, index).await? == present,
            &format!("index {index} present: {present}"),
        )?;
    }
    if present {
        for column in ["lat_e6", "lon_e6", "author_user_id", "duplicate_of"] {
            check(
                manager.has_column("anliegen", column).await?,
                &format!("column anliegen.{column}"),
            )?;
        }
        for index in [
            "idx_anliegen_queue",
            "idx_anliegen_public_district",
            "idx_anliegen_public",
            "idx_anliegen_topic",
            "idx_anliegen_author",
            "idx_anliegen_filed_by",
            "idx_anliegen_closed",
            "idx_anliegen_duplicate_of",
        ] {
            check(
                manager.has_index("anliegen", index).await?,
                &format!("index {index}"),
            )?;
        }
    }
    Ok(())
}

/// The foreign key added inline with `media_use.anliegen_id` holds and cascades; the topic of
/// an Anliegen cannot be deleted.
async fn expect_foreign_keys(db: &DatabaseConnection) -> Result<(), DbErr> {
    insert_anliegen(db).await?;
    let dangling = db
        .execute_unprepared(&format!(
            "INSERT INTO media_use (id, media_id, anliegen_id, position, alt) \
             VALUES ('{MISSING}', '{MEDIA}', '{MISSING}', 1, 'x')"
        ))
        .await;
    check(
        dangling.is_err(),
        "media_use.anliegen_id must name an Anliegen",
    )?;
    let topic_in_use = db
        .execute_unprepared(&format!("DELETE FROM anliegen_topic WHERE id = '{TOPIC}'"))
        .await;
    check(topic_in_use.is_err(), "a topic in use cannot be deleted")?;

    db.execute_unprepared(&format!("DELETE FROM anliegen WHERE id = '{ANLIEGEN}'"))
        .await?;
    expect_count(db, "SELECT COUNT(*) AS n FROM media_use", 0).await?;
    expect_count(db, "SELECT COUNT(*) AS n FROM anliegen_event", 0).await?;
    for table in ["media", "anliegen_topic", "district"] {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    Ok(())
}

/// Numbers are stored in E.164; a cause queues its message once; a number's consent records
/// and messages go with it.
async fn expect_sms_rules(db: &DatabaseConnection) -> Result<(), DbErr> {
    const RECIPIENT: &str = "00000000-0000-7000-8000-000000000021";
    let national = db
        .execute_unprepared(&format!(
            "INSERT INTO sms_recipient (id, e164, created_at, updated_at) \
             VALUES ('{MISSING}', '01711234567', '{AT}', '{AT}')"
        ))
        .await;
    check(national.is_err(), "sms_recipient.e164 must start with +")?;
    for sql in [
        format!(
            "INSERT INTO sms_recipient (id, e164, name, rides_since, created_at, updated_at) \
             VALUES ('{RECIPIENT}', '+491711234567', 'Frau Schulze', '{AT}', '{AT}', '{AT}')"
        ),
        format!(
            "INSERT INTO sms_consent (id, recipient_id, purpose, action, method, at, text_version) \
             VALUES ('{MEDIA}', '{RECIPIENT}', 'rides', 'given', 'desk_phone', '{AT}', '2026-12')"
        ),
        format!(
            "INSERT INTO sms_message (id, recipient_id, kind, body, segments, dedupe_key, status, \
             due_at, created_at, updated_at) \
             VALUES ('{MEDIA_USE}', '{RECIPIENT}', 'ride_confirmed', 'Fahrdienst: …', 1, \
             'ride_event:1', 'pending', '{AT}', '{AT}', '{AT}')"
        ),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    let again = db
        .execute_unprepared(&format!(
            "INSERT INTO sms_message (id, recipient_id, kind, body, segments, dedupe_key, status, \
             due_at, created_at, updated_at) \
             VALUES ('{EVENT}', '{RECIPIENT}', 'ride_confirmed', 'Fahrdienst: …', 1, \
             'ride_event:1', 'pending', '{AT}', '{AT}', '{AT}')"
        ))
        .await;
    check(again.is_err(), "one message per dedupe key")?;
    db.execute_unprepared(&format!(
        "DELETE FROM sms_recipient WHERE id = '{RECIPIENT}'"
    ))
    .await?;
    expect_count(db, "SELECT COUNT(*) AS n FROM sms_consent", 0).await?;
    expect_count(db, "SELECT COUNT(*) AS n FROM sms_message", 0).await
}

/// A district, a topic, an Anliegen forwarded to it with one event, and a photo of it.
async fn insert_anliegen(db: &DatabaseConnection) -> Result<(), DbErr> {
    for sql in [
        format!(
            "INSERT INTO district (id, slug, name, created_at, updated_at) \
             VALUES ('{DISTRICT}', 'test', 'Test', '{AT}', '{AT}')"
        ),
        format!(
            "INSERT INTO anliegen_topic (id, slug, name, active, created_at, updated_at) \
             VALUES ('{TOPIC}', 'strassen', 'Straßen und Wege', true, '{AT}', '{AT}')"
        ),
        format!(
            "INSERT INTO anliegen (id, kind, status, publication, source, district_id, \
             topic_id, title, description, lat_e6, lon_e6, show_location, forwarded_at, \
             created_at, updated_at) \
             VALUES ('{ANLIEGEN}', 'defect', 'forwarded', 'private', 'app', '{DISTRICT}', \
             '{TOPIC}', 'Schlagloch', 'Vor Haus 3', 51719000, 11234000, false, '{AT}', \
             '{AT}', '{AT}')"
        ),
        format!(
            "INSERT INTO anliegen_event (id, anliegen_id, kind, from_status, to_status, \
             actor_role, topic_id, at) \
             VALUES ('{EVENT}', '{ANLIEGEN}', 'transition', 'in_review', 'forwarded', \
             'district_leader', '{TOPIC}', '{AT}')"
        ),
        format!(
            "INSERT INTO media (id, source_type, width, height, renditions, dominant_color, \
             upload_bytes, created_at) \
             VALUES ('{MEDIA}', 'jpeg', 640, 480, '[[640,480]]', '#808080', 1000, '{AT}')"
        ),
        format!(
            "INSERT INTO media_use (id, media_id, anliegen_id, position, alt) \
             VALUES ('{MEDIA_USE}', '{MEDIA}', '{ANLIEGEN}', 0, 'Das Schlagloch')"
        ),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

async fn expect_count(db: &DatabaseConnection, sql: &str, expected: i64) -> Result<(), DbErr> {
    let row = db
        .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("{sql}: no row")))?;
    let count: i64 = row.try_get("", "n")?;
    check(
        count == expected,
        &format!("{sql}: {count}, expected {expected}"),
    )
}

fn check(ok: bool, what: &str) -> Result<(), DbErr> {
    if ok {
        Ok(())
    } else {
        Err(DbErr::Custom(format!("failed: {what}")))
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}
