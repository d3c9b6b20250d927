//! A poll (Umfrage) of a district: a question, its period, who may vote, when the results
//! show, and, after the close, what came of it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "poll")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub district_id: Uuid,
    pub question: String,
    pub description: Option<String>,
    pub electorate: crate::vocab::PollElectorate,
    pub results: crate::vocab::PollResults,
    pub opens_at: DateTimeUtc,
    /// Votes are taken before this time, not at it.
    pub closes_at: DateTimeUtc,
    pub outcome: Option<String>,
    pub outcome_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
