//! What the benchmark drivers in `tests/examples/` share (included with `#[path]`, since an
//! example cannot import another).

use anyhow::Result;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

/// Rows per INSERT (9 columns × 500 stays far below both databases' parameter limits).
const INSERT_CHUNK: usize = 500;
/// An argon2id PHC string of no one's password: these residents never log in.
const FIXED_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2gtZmFub3V0LXNhbHQ$\
     3Fj4Vv2s0yvX8kQ3wz4o0bJc0r2uQm1hW8r7bE6yQnA";

/// N residents of `district`, each with one device at `http://127.0.0.1:port/push/<i>`,
/// written straight into the database (registering them over HTTP would hash passwords for
/// minutes). `label` marks their emails and devices.
pub async fn fill_residents(
    db: &DatabaseConnection,
    n: usize,
    district: Uuid,
    port: u16,
    p256dh: &str,
    auth: &str,
    label: &str,
) -> Result<()> {
    let now = Utc::now();
    let run = Uuid::now_v7().simple().to_string();
    let txn = db.begin().await?;
    let users: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    for (c, chunk) in users.chunks(INSERT_CHUNK).enumerate() {
        let rows = chunk.iter().enumerate().map(|(k, id)| {
            let i = c * INSERT_CHUNK + k;
            let email = format!("{label}-{run}-{i}@bench.invalid");
            entity::app_user::ActiveModel {
                id: Set(*id),
                email: Set(email.clone()),
                email_normalized: Set(email),
                display_name: Set(format!("Einwohner:in {i}")),
                password_hash: Set(FIXED_HASH.to_owned()),
                home_district_id: Set(Some(district)),
                phone: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        });
        entity::app_user::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    for (c, chunk) in users.chunks(INSERT_CHUNK).enumerate() {
        let rows = chunk.iter().enumerate().map(|(k, user)| {
            let i = c * INSERT_CHUNK + k;
            entity::push_subscription::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(*user),
                endpoint: Set(format!("http://127.0.0.1:{port}/push/{i}")),
                p256dh: Set(p256dh.to_owned()),
                auth: Set(auth.to_owned()),
                user_agent: Set(Some(format!("{label} bench"))),
                created_at: Set(now),
                updated_at: Set(now),
            }
        });
        entity::push_subscription::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
