//! A mobile number that may be sent text messages, and for what. Either a resident's own
//! verified number (`user_id`) or one the ride desk recorded with a name (no account).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_recipient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The number in E.164 (`+491711234567`), one row per number.
    #[sea_orm(unique)]
    pub e164: String,
    /// The resident whose verified number this is (deleted with the account).
    #[sea_orm(unique)]
    pub user_id: Option<Uuid>,
    /// The name the desk wrote down, for a number without an account.
    pub name: Option<String>,
    /// Whose warnings it gets (required while `warnings_since` is set).
    pub district_id: Option<Uuid>,
    /// Consent to messages about rides, since (null: none, or withdrawn).
    pub rides_since: Option<DateTimeUtc>,
    /// Consent to warnings, since.
    pub warnings_since: Option<DateTimeUtc>,
    /// A STOP: nothing is sent until a new consent is recorded.
    pub opted_out_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
