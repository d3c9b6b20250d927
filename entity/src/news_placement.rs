//! The feed's index: one row per district of a published news item (a null district for a
//! municipality-wide item), carrying the columns the feed filters and sorts on. Rebuilt from
//! the item whenever it is published or changed; never edited on its own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "news_placement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub news_id: Uuid,
    pub district_id: Option<Uuid>,
    pub category: crate::vocab::NewsCategory,
    pub pinned: bool,
    pub published_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::news_item::Entity",
        from = "Column::NewsId",
        to = "super::news_item::Column::Id",
        on_delete = "Cascade"
    )]
    NewsItem,
}

impl Related<super::news_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NewsItem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
