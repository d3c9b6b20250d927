//! What the provider's webhooks change once their signature checked out (the check itself is
//! `sms::seven::verify_webhook`): the nonce that tells a resend from a replay, and delivery
//! reports.

use chrono::{DateTime, Utc};
use entity::{sms_message, sms_webhook_nonce, vocab::SmsStatus};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

/// How long a nonce is remembered: far beyond the 30 s a signature is valid.
pub const NONCE_KEPT: chrono::Duration = chrono::Duration::minutes(10);

/// What a webhook's nonce says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceCheck {
    /// Never seen: act on it.
    New,
    /// Seen with the same body: the provider sent it again (our answer was lost). Answer as
    /// before, act no more.
    Resend,
    /// Seen with another body: someone reuses a signature. Refuse.
    Replay,
}

/// Records the nonce of a verified webhook and says whether it is new.
pub async fn check_nonce(
    conn: &impl ConnectionTrait,
    nonce: &str,
    body_md5: &str,
    now: DateTime<Utc>,
) -> Result<NonceCheck, DbErr> {
    let inserted = sms_webhook_nonce::Entity::insert(sms_webhook_nonce::ActiveModel {
        nonce: Set(nonce.to_owned()),
        body_md5: Set(body_md5.to_owned()),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sms_webhook_nonce::Column::Nonce)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 1 {
        return Ok(NonceCheck::New);
    }
    let seen = sms_webhook_nonce::Entity::find_by_id(nonce.to_owned())
        .one(conn)
        .await?;
    Ok(match seen {
        Some(seen) if seen.body_md5 == body_md5 => NonceCheck::Resend,
        _ => NonceCheck::Replay,
    })
}

/// What a delivery report's status word means for the message.
pub fn status_of_report(status: &str) -> Option<SmsStatus> {
    match status.trim().to_ascii_uppercase().as_str() {
        "DELIVERED" => Some(SmsStatus::Delivered),
        "NOTDELIVERED" | "REJECTED" | "EXPIRED" | "FAILED" => Some(SmsStatus::Undelivered),
        // BUFFERED, TRANSMITTED, ACCEPTED …: on the way; kept as the provider's word only.
        _ => None,
    }
}

/// Applies a delivery report to the message the provider knows as `provider_id`. Reports only
/// move a message forward: a final status (delivered, undelivered) is never overwritten.
/// Returns the message, if it is one of ours, and whether this report delivered it.
pub async fn apply_report(
    conn: &impl ConnectionTrait,
    provider: &str,
    provider_id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<Option<Reported>, DbErr> {
    let Some(message) = sms_message::Entity::find()
        .filter(sms_message::Column::Provider.eq(provider))
        .filter(sms_message::Column::ProviderMessageId.eq(provider_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let word: String = status.chars().take(32).collect();
    let mut update = sms_message::Entity::update_many()
        .col_expr(sms_message::Column::ProviderStatus, Expr::value(Some(word)))
        .col_expr(sms_message::Column::UpdatedAt, Expr::value(now))
        .filter(sms_message::Column::Id.eq(message.id))
        .filter(sms_message::Column::Status.eq(SmsStatus::Sent));
    if let Some(next) = status_of_report(status) {
        update = update.col_expr(sms_message::Column::Status, Expr::value(next));
        if next == SmsStatus::Delivered {
            update = update.col_expr(sms_message::Column::DeliveredAt, Expr::value(Some(now)));
        }
    }
    let moved = update.exec(conn).await?.rows_affected == 1;
    Ok(Some(Reported {
        delivered: moved && status_of_report(status) == Some(SmsStatus::Delivered),
        message,
    }))
}

/// A delivery report that found its message.
#[derive(Debug)]
pub struct Reported {
    /// The message as it was before the report.
    pub message: sms_message::Model,
    /// This report (not an earlier one, nor a repeat) moved it to `delivered`.
    pub delivered: bool,
}

/// Forgets nonces older than [`NONCE_KEPT`] (the hourly purge).
pub async fn purge_nonces(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(sms_webhook_nonce::Entity::delete_many()
        .filter(sms_webhook_nonce::Column::ReceivedAt.lt(now - NONCE_KEPT))
        .exec(conn)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_move_to_delivered_or_undelivered_and_keep_the_rest_raw() {
        assert_eq!(status_of_report("DELIVERED"), Some(SmsStatus::Delivered));
        assert_eq!(status_of_report("delivered "), Some(SmsStatus::Delivered));
        for failed in ["NOTDELIVERED", "REJECTED", "EXPIRED", "FAILED"] {
            assert_eq!(status_of_report(failed), Some(SmsStatus::Undelivered));
        }
        for on_the_way in ["BUFFERED", "TRANSMITTED", "ACCEPTED", "SOMETHING_NEW"] {
            assert_eq!(status_of_report(on_the_way), None);
        }
    }
}
