//! A person following an Anliegen (its author, a supporter, or a follower of one merged into
//! it): they get its pushes unless they muted it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anliegen_follower")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub anliegen_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub relation: crate::vocab::AnliegenFollowerRelation,
    /// No pushes for this Anliegen; the inbox still gets them.
    pub muted: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
