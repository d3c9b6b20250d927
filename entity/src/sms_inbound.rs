//! A message to our number (a reply "1", "2", STOP …), once per provider id, with what it was
//! taken to mean.

use sea_orm::entity::prelude::*;

use crate::vocab::SmsReplyMeaning;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_inbound")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider: String,
    pub provider_message_id: String,
    pub from_e164: String,
    /// The known number it came from, if any.
    pub recipient_id: Option<Uuid>,
    pub text: String,
    pub meaning: SmsReplyMeaning,
    /// The ride it acted on.
    pub ride_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
