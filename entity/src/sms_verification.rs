//! A code sent to a resident's number to prove it is theirs: kept as a keyed hash, with its
//! expiry and the wrong tries so far. One open code per person (a new request replaces it).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_verification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub e164: String,
    /// Hex HMAC-SHA-256 under the server key of the row id and the code: six digits hashed
    /// plainly would be found offline at once.
    pub code_hash: String,
    /// The purposes asked for, a JSON array of `SmsPurpose` values.
    pub purposes: String,
    pub district_id: Option<Uuid>,
    pub expires_at: DateTimeUtc,
    /// Wrong tries so far (at most 5).
    pub attempts: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
