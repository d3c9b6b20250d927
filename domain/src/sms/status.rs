//! Where the text messages stand, for administrators: the month's budget and what it was spent
//! on, what waits, and what was given up (dead letters) with its reason.

use chrono::{DateTime, Utc};
use entity::{
    sms_message, sms_recipient, sms_usage,
    vocab::{SmsKind, SmsStatus},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{SmsConfig, outbox};
use crate::{DomainResult, auth::Actor};

/// Dead letters shown.
pub const DEAD_SHOWN: u64 = 20;

/// A message given up, with a masked number (an administrator needs to see that it failed and
/// why, not whom it was for).
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub id: Uuid,
    pub kind: SmsKind,
    pub masked_number: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The month in figures.
#[derive(Clone, Debug)]
pub struct SmsStatusView {
    pub enabled: bool,
    /// `2026-12`, local.
    pub month: String,
    pub budget_segments: u32,
    pub used_segments: u64,
    /// Per kind: messages and segments sent this month.
    pub by_kind: Vec<(SmsKind, i32, i32)>,
    pub pending: u64,
    pub over_budget: u64,
    pub dead: Vec<DeadLetter>,
}

/// `+49171••••567`: the country and network, and the last three digits.
pub fn mask(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() <= 8 {
        return "•".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}••••{tail}")
}

pub async fn status(
    db: &DatabaseConnection,
    config: &SmsConfig,
    actor: &Actor,
    now: DateTime<Utc>,
) -> DomainResult<SmsStatusView> {
    actor.require_admin()?;
    let month = config.month(now);
    let by_kind = sms_usage::Entity::find()
        .filter(sms_usage::Column::Month.eq(&month))
        .order_by_asc(sms_usage::Column::Kind)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.kind, u.messages, u.segments))
        .collect();
    let pending = sms_message::Entity::find()
        .filter(sms_message::Column::Status.eq(SmsStatus::Pending))
        .count(db)
        .await?;
    let over_budget = sms_message::Entity::find()
        .filter(sms_message::Column::Status.eq(SmsStatus::OverBudget))
        .count(db)
        .await?;
    let dead_messages = sms_message::Entity::find()
        .filter(sms_message::Column::Status.eq(SmsStatus::Dead))
        .order_by_desc(sms_message::Column::UpdatedAt)
        .limit(DEAD_SHOWN)
        .all(db)
        .await?;
    let numbers: std::collections::HashMap<Uuid, String> = sms_recipient::Entity::find()
        .filter(sms_recipient::Column::Id.is_in(dead_messages.iter().map(|m| m.recipient_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.e164))
        .collect();
    let dead = dead_messages
        .into_iter()
        .map(|m| DeadLetter {
            id: m.id,
            kind: m.kind,
            masked_number: numbers
                .get(&m.recipient_id)
                .map(|n| mask(n))
                .unwrap_or_default(),
            attempts: m.attempts,
            last_error: m.last_error,
            updated_at: m.updated_at,
        })
        .collect();
    Ok(SmsStatusView {
        enabled: config.enabled,
        month,
        budget_segments: config.monthly_budget,
        used_segments: outbox::used_segments(db, config, now).await?,
        by_kind,
        pending,
        over_budget,
        dead,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_number_keeps_the_network_and_the_last_digits() {
        assert_eq!(mask("+491711234567"), "+49171••••567");
        assert_eq!(mask("+4917"), "•••••");
    }
}
