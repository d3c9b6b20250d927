//! One push of one notice to one device: the durable delivery queue, claimed by workers with a
//! lease like `job`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub notice_id: Uuid,
    /// The recipient's inbox entry: its id is the payload's `notification_id`.
    pub inbox_entry_id: Uuid,
    /// `None` once the device was removed.
    pub subscription_id: Option<Uuid>,
    pub user_id: Uuid,
    /// The notice's Web Push topic: a newer pending push with the same topic supersedes this.
    pub topic: Option<String>,
    /// `pending`, `sent`, `failed` (given up), `gone` (device unsubscribed), `superseded`.
    pub status: crate::vocab::DeliveryStatus,
    pub attempts: i32,
    pub due_at: DateTimeUtc,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
