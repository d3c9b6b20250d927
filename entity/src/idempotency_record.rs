//! The first answer to a create with an `Idempotency-Key`, kept 24 hours for retries.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose key: `user:<id>`, or `register:<email>` for registration.
    pub scope: String,
    pub key: String,
    /// SHA-256 of the operation and its request body: the same key with another body is refused.
    pub request_hash: String,
    pub status_code: i32,
    pub response_body: String,
    pub resource_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
