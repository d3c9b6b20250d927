//! Expanding a notice: its audience rule becomes inbox entries and push deliveries, a batch of
//! recipients per transaction. The batch, the advanced cursor and the renewed claim commit
//! together, so a crash repeats at most the batch in flight (which rolled back) and a
//! warning to 10,000 people never holds a request open or all of them in memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{inbox_entry, notice, push_delivery, push_subscription};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Statement, Value, sea_query::Expr,
};
use uuid::Uuid;

use super::{Dispatcher, LEASE, STATUS_PENDING, STATUS_SUPERSEDED};
use domain::{
    db,
    notices::{STATUS_EXPANDED, Urgency},
    push_prefs::{QuietHours, TEST_KIND, stored_categories},
};

/// Recipients per transaction.
pub const BATCH: u64 = 500;
/// Rows per INSERT statement (well below both databases' parameter limits).
const INSERT_CHUNK: usize = 500;
/// Notices one worker claims at a time: one, expanded to the end before the next is claimed,
/// so that no claimed notice waits (and its claim runs out) behind a large one.
const CLAIM: u64 = 1;

/// A recipient with the preferences that decide what they get (all `None` = defaults).
#[derive(Debug, FromQueryResult)]
struct Recipient {
    user_id: Uuid,
    news_categories: Option<String>,
    shop_updates: Option<bool>,
    ride_updates: Option<bool>,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
}

/// What one recipient gets of a notice.
struct Reach {
    /// In the audience at all (an inbox entry).
    inbox: bool,
    /// Also a push to their devices.
    push: bool,
}

/// The one place where kinds of notices meet preferences. News reaches those who follow its
/// category, except that a warning always reaches the followed districts (nobody should miss
/// a storm warning because they turned off "news"); shop and ride updates always land in the
/// inbox and are pushed unless the person turned that off.
fn reach(notice: &notice::Model, recipient: &Recipient) -> Reach {
    match notice.kind.as_str() {
        "news" => {
            let category = notice.audience_category.as_deref().unwrap_or_default();
            let follows = category == "warning"
                || stored_categories(recipient.news_categories.as_deref())
                    .is_none_or(|chosen| chosen.iter().any(|c| c == category));
            Reach {
                inbox: follows,
                push: follows,
            }
        }
        "shop_notice" => Reach {
            inbox: true,
            push: recipient.shop_updates.unwrap_or(true),
        },
        "ride_request" | "ride_update" => Reach {
            inbox: true,
            push: recipient.ride_updates.unwrap_or(true),
        },
        _ => Reach {
            inbox: true,
            push: true,
        },
    }
}

/// A statement with placeholders numbered for PostgreSQL or plain for SQLite, in order.
struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    fn bind_list(&mut self, ids: &[Uuid]) -> &mut Self {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self
    }

    fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

const PREFERENCE_COLUMNS: &str = "p.news_categories, p.shop_updates, p.ride_updates, \
     p.quiet_start, p.quiet_end";

/// The next batch of the audience after `cursor`, ordered by user id.
fn recipients_query(
    backend: DatabaseBackend,
    notice: &notice::Model,
    cursor: Uuid,
) -> Option<Statement> {
    let mut sql = Sql::new(backend);
    match notice.audience_kind.as_str() {
        "districts" => {
            let districts: Vec<Uuid> = notice
                .audience_districts
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default();
            sql.push(&format!(
                "SELECT u.id AS user_id, {PREFERENCE_COLUMNS} FROM app_user u \
                 LEFT JOIN notification_preference p ON p.user_id = u.id WHERE u.id > "
            ))
            .bind(cursor);
            // No districts: the whole municipality.
            if !districts.is_empty() {
                sql.push(" AND (((p.user_id IS NULL OR p.custom_districts = ")
                    .bind(false)
                    .push(") AND u.home_district_id IN (")
                    .bind_list(&districts)
                    .push(")) OR (p.custom_districts = ")
                    .bind(true)
                    .push(
                        " AND EXISTS (SELECT 1 FROM notification_district nd \
                         WHERE nd.user_id = u.id AND nd.district_id IN (",
                    )
                    .bind_list(&districts)
                    .push("))))");
            }
            sql.push(" ORDER BY u.id");
        }
        "shop_followers" => {
            sql.push(&format!(
                "SELECT f.user_id AS user_id, {PREFERENCE_COLUMNS} FROM shop_follower f \
                 LEFT JOIN notification_preference p ON p.user_id = f.user_id WHERE f.shop_id = "
            ))
            .bind(notice.audience_ref?)
            .push(" AND f.user_id > ")
            .bind(cursor)
            .push(" ORDER BY f.user_id");
        }
        "district_drivers" => {
            sql.push(&format!(
                "SELECT DISTINCT r.user_id AS user_id, {PREFERENCE_COLUMNS} FROM role_assignment r \
                 LEFT JOIN notification_preference p ON p.user_id = r.user_id \
                 WHERE r.role = 'driver' AND r.district_id = "
            ))
            .bind(notice.audience_ref?)
            .push(" AND r.user_id > ")
            .bind(cursor)
            .push(" ORDER BY r.user_id");
        }
        "user" => {
            sql.push(&format!(
                "SELECT u.id AS user_id, {PREFERENCE_COLUMNS} FROM app_user u \
                 LEFT JOIN notification_preference p ON p.user_id = u.id WHERE u.id = "
            ))
            .bind(notice.audience_ref?)
            .push(" AND u.id > ")
            .bind(cursor);
        }
        _ => return None,
    }
    sql.push(" LIMIT ")
        .bind(i64::try_from(BATCH).unwrap_or(500));
    Some(sql.build())
}

#[derive(Debug, FromQueryResult)]
struct ClaimedNotice {
    id: Uuid,
}

impl Dispatcher {
    /// Claims due notices and expands each completely, batch by batch; returns the number of
    /// batches written.
    pub(super) async fn expand_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let statement = db::Claim {
            table: "notice",
            also_set: "",
            due: &format!("status = '{STATUS_PENDING}' AND not_before <= $3"),
            order_by: "not_before",
            returning: "id",
        }
        .statement(
            self.db.get_database_backend(),
            &self.worker_id,
            now + LEASE,
            now,
            CLAIM,
        );
        let claimed = ClaimedNotice::find_by_statement(statement)
            .all(&self.db)
            .await?;
        let mut batches = 0;
        for notice in claimed {
            while let Some(more) = self.expand_batch(notice.id).await? {
                batches += 1;
                self.wake_sender.notify_one();
                if !more {
                    break;
                }
            }
        }
        Ok(batches)
    }

    /// Expands the next batch of one claimed notice. `Some(true)`: more recipients follow;
    /// `Some(false)`: done; `None`: the claim was lost (another worker took over) or the
    /// notice is gone.
    async fn expand_batch(&self, id: Uuid) -> Result<Option<bool>, DbErr> {
        let now = self.clock.now();
        let txn = db::begin_write(&self.db).await?;
        let mut find = notice::Entity::find_by_id(id);
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            find = find.lock_exclusive();
        }
        let Some(notice) = find.one(&txn).await? else {
            return Ok(None);
        };
        if notice.status != STATUS_PENDING || notice.locked_by.as_deref() != Some(&self.worker_id) {
            return Ok(None);
        }
        let cursor = notice.expand_cursor.unwrap_or(Uuid::nil());
        let recipients = match recipients_query(txn.get_database_backend(), &notice, cursor) {
            Some(statement) => Recipient::find_by_statement(statement).all(&txn).await?,
            None => {
                tracing::warn!(notice = %id, audience = %notice.audience_kind, "unknown audience; nobody told");
                Vec::new()
            }
        };
        let more = recipients.len() as u64 == BATCH;
        let last = recipients.last().map(|r| r.user_id);

        let urgency = Urgency::parse(&notice.urgency);
        // Warnings, and a test the person asked for just now, pass quiet hours.
        let passes_quiet_hours = urgency == Urgency::Warning || notice.kind == TEST_KIND;
        let mut entries = Vec::new();
        // Recipient → (their inbox entry, when their pushes are due).
        let mut push_to: HashMap<Uuid, (Uuid, DateTime<Utc>)> = HashMap::new();
        for recipient in &recipients {
            let reach = reach(&notice, recipient);
            if !reach.inbox {
                continue;
            }
            let entry_id = Uuid::now_v7();
            entries.push(inbox_entry::ActiveModel {
                id: Set(entry_id),
                user_id: Set(recipient.user_id),
                notice_id: Set(notice.id),
                created_at: Set(now),
                read_at: Set(None),
            });
            if reach.push {
                let due = if passes_quiet_hours {
                    None
                } else {
                    QuietHours::from_stored(
                        recipient.quiet_start.as_deref(),
                        recipient.quiet_end.as_deref(),
                    )
                    .and_then(|quiet| quiet.deferred_until(now, self.time_zone))
                };
                push_to.insert(recipient.user_id, (entry_id, due.unwrap_or(now)));
            }
        }
        let entry_count = entries.len();
        for chunk in entries.chunks(INSERT_CHUNK) {
            inbox_entry::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }

        let devices = if push_to.is_empty() {
            Vec::new()
        } else {
            push_subscription::Entity::find()
                .select_only()
                .column(push_subscription::Column::Id)
                .column(push_subscription::Column::UserId)
                .filter(push_subscription::Column::UserId.is_in(push_to.keys().copied()))
                .into_tuple::<(Uuid, Uuid)>()
                .all(&txn)
                .await?
        };
        if let Some(topic) = &notice.topic
            && !devices.is_empty()
        {
            // RFC 8030 section 5.4: a newer message of a topic replaces an older undelivered
            // one; the push service does that for what it holds, this does it for our queue.
            for chunk in devices.chunks(INSERT_CHUNK) {
                push_delivery::Entity::update_many()
                    .col_expr(
                        push_delivery::Column::Status,
                        Expr::value(STATUS_SUPERSEDED),
                    )
                    .col_expr(push_delivery::Column::UpdatedAt, Expr::value(now))
                    .filter(push_delivery::Column::Status.eq(STATUS_PENDING))
                    .filter(push_delivery::Column::Topic.eq(topic.as_str()))
                    .filter(
                        push_delivery::Column::SubscriptionId
                            .is_in(chunk.iter().map(|(device, _)| *device)),
                    )
                    .exec(&txn)
                    .await?;
            }
        }
        let deliveries: Vec<push_delivery::ActiveModel> = devices
            .iter()
            .filter_map(|(device, user)| {
                let (entry, due) = push_to.get(user)?;
                Some(push_delivery::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    notice_id: Set(notice.id),
                    inbox_entry_id: Set(*entry),
                    subscription_id: Set(Some(*device)),
                    user_id: Set(*user),
                    topic: Set(notice.topic.clone()),
                    status: Set(STATUS_PENDING.to_owned()),
                    attempts: Set(0),
                    due_at: Set(*due),
                    locked_by: Set(None),
                    locked_until: Set(None),
                    last_error: Set(None),
                    sent_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
            })
            .collect();
        let delivery_count = deliveries.len();
        for chunk in deliveries.chunks(INSERT_CHUNK / 2) {
            push_delivery::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }

        // Advance the cursor, renew the claim, or finish — only while the claim is still ours.
        let mut update = notice::Entity::update_many().col_expr(
            notice::Column::ExpandCursor,
            Expr::value(last.or(notice.expand_cursor)),
        );
        update = if more {
            update.col_expr(notice::Column::LockedUntil, Expr::value(Some(now + LEASE)))
        } else {
            update
                .col_expr(notice::Column::Status, Expr::value(STATUS_EXPANDED))
                .col_expr(notice::Column::ExpandedAt, Expr::value(Some(now)))
                .col_expr(
                    notice::Column::LockedBy,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    notice::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
        };
        let claimed = update
            .filter(notice::Column::Id.eq(id))
            .filter(notice::Column::LockedBy.eq(self.worker_id.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed == 0 {
            return Ok(None); // dropping the transaction rolls the batch back
        }
        txn.commit().await?;
        metrics::counter!("push_inbox_entries_total").increment(entry_count as u64);
        metrics::counter!("push_deliveries_queued_total").increment(delivery_count as u64);
        tracing::debug!(notice = %id, entries = entry_count, deliveries = delivery_count, more, "expanded a batch");
        Ok(Some(more))
    }
}
