//! Warnings by text message (issue 21): a news item of the category `warning`, once it is live
//! and meant to notify, goes by SMS to every number that chose warnings for one of its
//! districts (all of them for a town-wide item). It sits above `news` and `sms`: the news item
//! queues a job in its own transaction, the job writes the messages into the outbox.

use chrono::{DateTime, Utc};
use entity::{
    district, news_item, sms_message, sms_recipient,
    vocab::{NewsCategory, NewsStatus, SmsKind, SmsStatus},
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    clock::SharedClock,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    news::plain_excerpt,
    sms::outbox::{self, NewSms},
};

/// The job that texts a warning to the numbers that chose warnings.
pub const JOB: &str = "sms.warn";
/// A warning may take two segments: the title and the first sentences.
const SEGMENTS: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Payload {
    news_id: Uuid,
}

/// Queues the warning's messages, in the transaction that puts the item live.
pub(crate) async fn queue(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    item: &news_item::Model,
) -> Result<(), DbErr> {
    if item.category != NewsCategory::Warning || !item.notify {
        return Ok(());
    }
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(JOB, serde_json::json!({ "news_id": item.id }), clock.now())
            .unique(format!("{JOB}:{}", item.id)),
    )
    .await
}

/// Takes a deleted warning's text messages back, in the transaction that deletes it: the job
/// not yet run, and every message still waiting. A message already handed to the provider
/// cannot be recalled. Returns the messages cancelled.
pub(crate) async fn withdraw(
    conn: &impl ConnectionTrait,
    news_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    jobs::cancel(conn, &format!("{JOB}:{news_id}")).await?;
    Ok(sms_message::Entity::update_many()
        .col_expr(
            sms_message::Column::Status,
            Expr::value(SmsStatus::Cancelled),
        )
        .col_expr(
            sms_message::Column::LastError,
            Expr::value(Some("the warning was deleted")),
        )
        .col_expr(sms_message::Column::UpdatedAt, Expr::value(now))
        .filter(sms_message::Column::NewsId.eq(news_id))
        .filter(sms_message::Column::Status.eq(SmsStatus::Pending))
        .exec(conn)
        .await?
        .rows_affected)
}

/// "WARNUNG Rieder: Sturm. Bitte Fenster schließen …", cut at a word to two segments.
pub fn text(district: &str, title: &str, body: &str) -> String {
    let excerpt = plain_excerpt(body);
    if excerpt.is_empty() {
        format!("WARNUNG {district}: {title}")
    } else {
        format!("WARNUNG {district}: {title}. {excerpt}")
    }
}

/// The job: one message per number that chose warnings for one of the item's districts.
pub async fn warn_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    if !ctx.sms.enabled {
        return Ok(JobOutcome::Done);
    }
    let payload: Payload = job.payload()?;
    let Some(item) = news_item::Entity::find_by_id(payload.news_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(JobOutcome::Done);
    };
    // Taken down, or still a draft, meanwhile: nothing to warn of.
    if item.status != NewsStatus::Published {
        return Ok(JobOutcome::Done);
    }
    let districts: Vec<Uuid> = serde_json::from_str(&item.district_ids).unwrap_or_default();
    let mut numbers = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::WarningsSince.is_not_null())
        .filter(sms_recipient::Column::OptedOutAt.is_null());
    if !districts.is_empty() {
        numbers = numbers.filter(sms_recipient::Column::DistrictId.is_in(districts));
    }
    let numbers = numbers.all(&ctx.db).await?;
    let names: std::collections::HashMap<Uuid, String> = district::Entity::find()
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let now = ctx.clock.now();
    let txn = crate::db::begin_write(&ctx.db).await?;
    for number in numbers {
        let place = number
            .district_id
            .and_then(|id| names.get(&id))
            .map_or("Gemeinde", String::as_str);
        outbox::enqueue(
            &txn,
            now,
            NewSms {
                recipient_id: number.id,
                kind: SmsKind::Warning,
                text: text(place, &item.title, &item.body),
                max_segments: SEGMENTS,
                dedupe_key: Some(format!("news:{}:{}", item.id, number.id)),
                ride_id: None,
                news_id: Some(item.id),
                asks_reply: false,
                same_day: true,
                due_at: now,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(JobOutcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_the_district_and_fits_two_segments() {
        let body = "Am Dienstag zieht ein schweres Unwetter über den Harz. ".repeat(10);
        let text = text("Rieder", "Sturmwarnung für Dienstag", &body);
        assert!(text.starts_with("WARNUNG Rieder: Sturmwarnung für Dienstag. Am Dienstag"));
        let fitted = ::sms::gsm::fit(&::sms::gsm::transliterate(&text), SEGMENTS);
        assert!(::sms::gsm::segments(&fitted) <= 2);
        assert!(fitted.len() > 200, "{fitted}");
    }
}
