//! A registered person (every user is a resident; further roles are assignments).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// As the person typed it.
    pub email: String,
    /// Lower-cased, for case-insensitive uniqueness and lookup.
    #[sea_orm(unique)]
    pub email_normalized: String,
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub home_district_id: Option<Uuid>,
    pub phone: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
