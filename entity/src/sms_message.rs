//! One text message to one number: the SMS outbox, claimed by workers with a lease like
//! `push_delivery`.

use sea_orm::entity::prelude::*;

use crate::vocab::{SmsKind, SmsStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_message")]
pub struct Model {
    /// Also the `foreign_id` the provider returns in its reports.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub recipient_id: Uuid,
    pub kind: SmsKind,
    /// The text as sent (GSM-7 where it could be).
    pub body: String,
    /// Billed parts.
    pub segments: i32,
    /// What queued it (`ride_event:<id>`, `news:<id>:<recipient>` …): queued once per cause.
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub ride_id: Option<Uuid>,
    pub news_id: Option<Uuid>,
    /// Whether it asks for "1" or "2" (an open question for a reply).
    pub asks_reply: bool,
    /// A ride change for a pickup today: sent even over the budget.
    pub same_day: bool,
    pub status: SmsStatus,
    pub due_at: DateTimeUtc,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// Who sent it (`seven`) and their id for it.
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    /// The provider's last status word, as it came.
    pub provider_status: Option<String>,
    pub price_micros: Option<i64>,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
