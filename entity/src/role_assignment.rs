//! A role held by a user, with its scope (a district, a shop or an Anliegen topic, or none for
//! global roles).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: crate::vocab::Role,
    pub district_id: Option<Uuid>,
    pub shop_id: Option<Uuid>,
    /// For `town_staff`: the topic they handle, or null for the whole town.
    pub topic_id: Option<Uuid>,
    /// For `organisation_editor`: the organisation.
    pub organisation_id: Option<Uuid>,
    /// `user|role|district|shop` (and `|t:topic` when a topic is set), unique: no assignment
    /// twice.
    #[sea_orm(unique)]
    pub scope_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
