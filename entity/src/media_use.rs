//! Where an upload is shown: one of the thing columns is set; `position` orders the photos of
//! one thing; `alt` is the text read out in place of the photo there.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_use")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub media_id: Uuid,
    pub news_id: Option<Uuid>,
    pub shop_id: Option<Uuid>,
    pub shop_notice_id: Option<Uuid>,
    pub anliegen_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub position: i16,
    pub alt: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
