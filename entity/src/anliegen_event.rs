//! The history of an Anliegen: one row per transition, answer, addition by the author, or
//! change of publication, with who made it (by role).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anliegen_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub anliegen_id: Uuid,
    pub kind: crate::vocab::AnliegenEventKind,
    /// For a transition: the status it left and the one it entered.
    pub from_status: Option<crate::vocab::AnliegenStatus>,
    pub to_status: Option<crate::vocab::AnliegenStatus>,
    /// The public answer, or the author's addition (for the handlers only).
    pub answer: Option<String>,
    pub actor_role: crate::vocab::AnliegenActorRole,
    pub actor_id: Option<Uuid>,
    /// The topic it was forwarded to.
    pub topic_id: Option<Uuid>,
    /// The Anliegen it was merged into.
    pub duplicate_of: Option<Uuid>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
