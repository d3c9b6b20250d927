//! A district news item (Ortsteil-Nachricht): written by a district leader, an admin, or an
//! organisation's editor under its name.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "news_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    /// Markdown, stored as given; never rendered by the server.
    pub body: String,
    pub category: crate::vocab::NewsCategory,
    /// `draft`, `scheduled` or `published` (`expired` is computed when read).
    pub status: crate::vocab::NewsStatus,
    /// JSON array of district ids; empty = the whole municipality.
    pub district_ids: String,
    /// The requested publication time (null: at once).
    pub publish_at: Option<DateTimeUtc>,
    /// When it actually went live: the feed's sort key.
    pub published_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub pinned: bool,
    /// Whether residents are told by push when it goes live.
    pub notify: bool,
    pub event_starts_at: Option<DateTimeUtc>,
    pub event_ends_at: Option<DateTimeUtc>,
    pub event_location: Option<String>,
    pub author_id: Option<Uuid>,
    /// The organisation it is published under (its editors may change it), or null.
    pub organisation_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::news_placement::Entity")]
    Placements,
}

impl Related<super::news_placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placements.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
