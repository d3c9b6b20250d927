//! Messages and billed segments per local month (`2026-12`) and kind: the budget's count. It
//! names nobody, so erasing a person does not lower it.

use sea_orm::entity::prelude::*;

use crate::vocab::SmsKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: SmsKind,
    pub messages: i32,
    pub segments: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
