//! One use of a limited action by a key (e.g. a registration from a client address), counted
//! by `domain::quotas` and purged after a day.

use sea_orm::entity::prelude::*;

use crate::vocab::QuotaKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_use")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What was used.
    pub kind: QuotaKind,
    /// By whom, e.g. the client address.
    pub key: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
