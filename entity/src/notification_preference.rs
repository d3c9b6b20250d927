//! What a resident wants to be told about, and when not. No row = the defaults.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preference")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `false`: news of the home district (following it when it changes); `true`: of the
    /// districts in `notification_district`.
    pub custom_districts: bool,
    /// JSON array of news categories; `None` = all.
    pub news_categories: Option<String>,
    pub shop_updates: bool,
    pub ride_updates: bool,
    /// Quiet hours, local `HH:MM` in the municipality's time zone; both or neither.
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
