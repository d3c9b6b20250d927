//! Expanding a notice: its audience rule becomes inbox entries and push deliveries, a batch of
//! recipients per transaction. The batch, the advanced cursor and the renewed claim commit
//! together, so a crash repeats at most the batch in flight (which rolled back) and a
//! warning to 10,000 people never holds a request open or all of them in memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    anliegen_follower, app_user, event_follower, event_signup, inbox_entry, notice,
    notification_district, notification_preference, poll_vote, push_delivery, push_subscription,
    role_assignment, shop_follower,
    vocab::{NewsCategory, Role},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement},
};
use uuid::Uuid;

use super::{Dispatcher, LEASE};
use domain::{
    db,
    notices::{Audience, DeliveryStatus, NoticeKind, NoticeStatus, Urgency},
    push_prefs::{QuietHours, stored_categories},
};

/// Recipients per transaction.
pub const BATCH: u64 = 500;
/// Recipients in a notice's first transaction: few, so that its first pushes leave within
/// milliseconds of the notice (a batch of [`BATCH`] takes 50–150 ms to write on PostgreSQL),
/// while the later, larger batches keep the expansion ahead of the senders.
pub const FIRST_BATCH: u64 = 50;
/// Rows per INSERT statement (well below both databases' parameter limits).
const INSERT_CHUNK: usize = 100;
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
    /// Followers of an Anliegen: whether they muted it (null for every other audience).
    muted: Option<bool>,
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
fn reach(kind: NoticeKind, audience: &Audience, recipient: &Recipient) -> Reach {
    match (kind, audience) {
        // A new event is announced like a news item of the category `event`.
        (NoticeKind::News | NoticeKind::EventNew, Audience::Districts { category, .. }) => {
            let follows = *category == NewsCategory::Warning
                || stored_categories(recipient.news_categories.as_deref())
                    .is_none_or(|chosen| chosen.iter().any(|c| c == category.as_str()));
            Reach {
                inbox: follows,
                push: follows,
            }
        }
        (NoticeKind::ShopNotice, _) => Reach {
            inbox: true,
            push: recipient.shop_updates.unwrap_or(true),
        },
        (NoticeKind::RideRequest | NoticeKind::RideUpdate, _) => Reach {
            inbox: true,
            push: recipient.ride_updates.unwrap_or(true),
        },
        // The answer to one's own Anliegen must not be missed (Decidim #15829: authors who
        // had turned notifications off never saw it): no category or toggle stops it, only
        // muting that one Anliegen, and even then the inbox keeps it.
        (NoticeKind::AnliegenUpdate, _) => Reach {
            inbox: true,
            push: !recipient.muted.unwrap_or(false),
        },
        _ => Reach {
            inbox: true,
            push: true,
        },
    }
}

/// The next batch of the audience after `cursor`, ordered by user id, with each recipient's
/// preferences (a left join: no row means the defaults).
fn recipients_query(audience: &Audience, cursor: Uuid, limit: u64) -> SelectStatement {
    use notification_preference as pref;
    let mut query = Query::select();
    // The table and column that name the recipient in this audience's source.
    let recipient = match audience {
        Audience::Districts { .. } | Audience::User(_) => {
            query.from(app_user::Entity);
            Expr::col((app_user::Entity, app_user::Column::Id))
        }
        Audience::ShopFollowers(_) => {
            query.from(shop_follower::Entity);
            Expr::col((shop_follower::Entity, shop_follower::Column::UserId))
        }
        Audience::DistrictDrivers(_)
        | Audience::DistrictLeaders(_)
        | Audience::TownStaff(_)
        | Audience::Admins => {
            // Someone driving in a district holds one assignment there; DISTINCT all the same
            // (town-wide and topic staff may be the same person twice).
            query.from(role_assignment::Entity).distinct();
            Expr::col((role_assignment::Entity, role_assignment::Column::UserId))
        }
        Audience::AnliegenFollowers(_) => {
            query.from(anliegen_follower::Entity);
            Expr::col((anliegen_follower::Entity, anliegen_follower::Column::UserId))
        }
        Audience::PollVoters(_) => {
            query.from(poll_vote::Entity);
            Expr::col((poll_vote::Entity, poll_vote::Column::UserId))
        }
        Audience::EventFollowers(_) | Audience::EventReminded { .. } => {
            query.from(event_follower::Entity);
            Expr::col((event_follower::Entity, event_follower::Column::UserId))
        }
        Audience::ShiftHelpers(_) => {
            query.from(event_signup::Entity);
            Expr::col((event_signup::Entity, event_signup::Column::UserId))
        }
    };
    if let Audience::AnliegenFollowers(_) = audience {
        query.expr_as(
            Expr::col((anliegen_follower::Entity, anliegen_follower::Column::Muted)),
            "muted",
        );
    } else {
        query.expr_as(Expr::val(Option::<bool>::None), "muted");
    }
    query
        .expr_as(recipient.clone(), "user_id")
        .columns([
            (pref::Entity, pref::Column::NewsCategories),
            (pref::Entity, pref::Column::ShopUpdates),
            (pref::Entity, pref::Column::RideUpdates),
            (pref::Entity, pref::Column::QuietStart),
            (pref::Entity, pref::Column::QuietEnd),
        ])
        .left_join(
            pref::Entity,
            Expr::col((pref::Entity, pref::Column::UserId)).eq(recipient.clone()),
        )
        .and_where(recipient.clone().gt(cursor))
        .order_by_expr(recipient.clone(), Order::Asc)
        .limit(limit);
    match audience {
        // No districts: the whole municipality.
        Audience::Districts { districts, .. } if districts.is_empty() => {}
        Audience::Districts { districts, .. } => {
            let by_home_district = Cond::all()
                .add(
                    Cond::any()
                        .add(Expr::col((pref::Entity, pref::Column::UserId)).is_null())
                        .add(Expr::col((pref::Entity, pref::Column::CustomDistricts)).eq(false)),
                )
                .add(
                    Expr::col((app_user::Entity, app_user::Column::HomeDistrictId))
                        .is_in(districts.iter().copied()),
                );
            let chosen = Query::select()
                .expr(Expr::val(1))
                .from(notification_district::Entity)
                .and_where(
                    Expr::col((
                        notification_district::Entity,
                        notification_district::Column::UserId,
                    ))
                    .eq(recipient),
                )
                .and_where(
                    Expr::col((
                        notification_district::Entity,
                        notification_district::Column::DistrictId,
                    ))
                    .is_in(districts.iter().copied()),
                )
                .to_owned();
            let by_chosen_districts = Cond::all()
                .add(Expr::col((pref::Entity, pref::Column::CustomDistricts)).eq(true))
                .add(Expr::exists(chosen));
            query.cond_where(Cond::any().add(by_home_district).add(by_chosen_districts));
        }
        Audience::ShopFollowers(shop) => {
            query.and_where(
                Expr::col((shop_follower::Entity, shop_follower::Column::ShopId)).eq(*shop),
            );
        }
        Audience::DistrictDrivers(district) => {
            query
                .and_where(
                    Expr::col((role_assignment::Entity, role_assignment::Column::Role))
                        .eq(Role::Driver.as_str()),
                )
                .and_where(
                    Expr::col((role_assignment::Entity, role_assignment::Column::DistrictId))
                        .eq(*district),
                );
        }
        Audience::User(user) => {
            query.and_where(recipient.eq(*user));
        }
        Audience::AnliegenFollowers(id) => {
            query.and_where(
                Expr::col((
                    anliegen_follower::Entity,
                    anliegen_follower::Column::AnliegenId,
                ))
                .eq(*id),
            );
        }
        Audience::DistrictLeaders(district) => {
            query
                .and_where(
                    Expr::col((role_assignment::Entity, role_assignment::Column::Role))
                        .eq(Role::DistrictLeader.as_str()),
                )
                .and_where(
                    Expr::col((role_assignment::Entity, role_assignment::Column::DistrictId))
                        .eq(*district),
                );
        }
        Audience::PollVoters(poll) => {
            // One vote per person and poll (unique), so no DISTINCT; erased voters are null
            // and never greater than the cursor.
            query.and_where(Expr::col((poll_vote::Entity, poll_vote::Column::PollId)).eq(*poll));
        }
        // One row per person and event (primary key), so no DISTINCT.
        Audience::EventFollowers(event) => {
            query.and_where(
                Expr::col((event_follower::Entity, event_follower::Column::EventId)).eq(*event),
            );
        }
        Audience::EventReminded { event, lead } => {
            query
                .and_where(
                    Expr::col((event_follower::Entity, event_follower::Column::EventId)).eq(*event),
                )
                .and_where(
                    Expr::col((event_follower::Entity, event_follower::Column::Remind))
                        .eq(lead.as_str()),
                );
        }
        // One sign-up per person and shift (unique), so no DISTINCT.
        Audience::ShiftHelpers(shift) => {
            query.and_where(
                Expr::col((event_signup::Entity, event_signup::Column::ShiftId)).eq(*shift),
            );
        }
        Audience::Admins => {
            query.and_where(
                Expr::col((role_assignment::Entity, role_assignment::Column::Role))
                    .eq(Role::Admin.as_str()),
            );
        }
        Audience::TownStaff(topic) => {
            let topic_column =
                Expr::col((role_assignment::Entity, role_assignment::Column::TopicId));
            let mut scope = Cond::any().add(topic_column.clone().is_null());
            if let Some(topic) = topic {
                scope = scope.add(topic_column.eq(*topic));
            }
            query
                .and_where(
                    Expr::col((role_assignment::Entity, role_assignment::Column::Role))
                        .eq(Role::TownStaff.as_str()),
                )
                .cond_where(scope);
        }
    }
    query
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
            due: &format!(
                "status = '{}' AND not_before <= $3",
                NoticeStatus::Pending.as_str()
            ),
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
        let turn = self.write_turn().await;
        let claimed = ClaimedNotice::find_by_statement(statement)
            .all(&self.db)
            .await?;
        drop(turn);
        let mut batches = 0;
        for notice in claimed {
            while let Some(more) = self.expand_batch(notice.id).await? {
                batches += 1;
                // Both senders, whichever is waiting (and the next to wait, if none is).
                self.wake_sender.notify_waiters();
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
        let _turn = self.write_turn().await;
        let txn = db::begin_write(&self.db).await?;
        let mut find = notice::Entity::find_by_id(id);
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            find = find.lock_exclusive();
        }
        let Some(notice) = find.one(&txn).await? else {
            return Ok(None);
        };
        if notice.status != NoticeStatus::Pending
            || notice.locked_by.as_deref() != Some(&self.worker_id)
        {
            return Ok(None);
        }
        let limit = if notice.expand_cursor.is_none() {
            FIRST_BATCH
        } else {
            BATCH
        };
        let cursor = notice.expand_cursor.unwrap_or(Uuid::nil());
        let audience = Audience::stored(&notice)?;
        let statement = txn
            .get_database_backend()
            .build(&recipients_query(&audience, cursor, limit));
        let recipients = Recipient::find_by_statement(statement).all(&txn).await?;
        let more = recipients.len() as u64 == limit;
        let last = recipients.last().map(|r| r.user_id);

        // Warnings, and a test the person asked for just now, pass quiet hours.
        let passes_quiet_hours =
            notice.urgency == Urgency::Warning || notice.kind == NoticeKind::Test;
        let mut entries = Vec::new();
        // Recipient → (their inbox entry, when their pushes are due).
        let mut push_to: HashMap<Uuid, (Uuid, DateTime<Utc>)> = HashMap::new();
        for recipient in &recipients {
            let reach = reach(notice.kind, &audience, recipient);
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
                        Expr::value(DeliveryStatus::Superseded),
                    )
                    .col_expr(push_delivery::Column::UpdatedAt, Expr::value(now))
                    .filter(push_delivery::Column::Status.eq(DeliveryStatus::Pending))
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
                    status: Set(DeliveryStatus::Pending),
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
                .col_expr(notice::Column::Status, Expr::value(NoticeStatus::Expanded))
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

/// How many people a notice would reach, and on how many devices (the web console's
/// "erreicht etwa …" before a news item is sent). Walks the audience as the expansion does, in
/// batches of [`BATCH`], with the same [`reach`] rule; quiet hours only delay a push, so they
/// do not count here. An estimate: people may follow or unfollow before it is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// People who get it in their inbox.
    pub people: u64,
    /// Of those, the devices a push goes to.
    pub devices: u64,
}

pub async fn estimate(
    conn: &impl ConnectionTrait,
    kind: NoticeKind,
    audience: &Audience,
) -> Result<Estimate, DbErr> {
    let mut total = Estimate::default();
    let mut cursor = Uuid::nil();
    loop {
        let statement = conn
            .get_database_backend()
            .build(&recipients_query(audience, cursor, BATCH));
        let recipients = Recipient::find_by_statement(statement).all(conn).await?;
        let mut pushed = Vec::new();
        for recipient in &recipients {
            let reach = reach(kind, audience, recipient);
            if reach.inbox {
                total.people += 1;
                if reach.push {
                    pushed.push(recipient.user_id);
                }
            }
        }
        if !pushed.is_empty() {
            total.devices += push_subscription::Entity::find()
                .filter(push_subscription::Column::UserId.is_in(pushed))
                .count(conn)
                .await?;
        }
        match recipients.last() {
            Some(last) if recipients.len() as u64 == BATCH => cursor = last.user_id,
            _ => return Ok(total),
        }
    }
}
