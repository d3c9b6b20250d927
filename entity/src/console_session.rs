//! A browser signed in to the web console: a cookie on top of a `session` row, which carries
//! the user, the absolute end and the revocation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    /// Hex SHA-256 of the cookie value; the cookie itself is never stored.
    pub cookie_hash: String,
    /// Without a request before this, the session ends (it slides forward with use).
    pub idle_expires_at: DateTimeUtc,
    /// When the idle deadline was last moved (written at most every few minutes).
    pub seen_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
