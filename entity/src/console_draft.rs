//! A console form sent after its session had expired, kept for 24 hours so that it can be
//! restored (never submitted) once its author has signed in again.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_draft")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The console page the form belongs to (`/console/...`).
    pub path: String,
    /// The fields as a JSON array of `[name, value]` pairs, passwords and the CSRF token left out.
    pub fields: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
