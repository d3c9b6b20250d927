//! One uploaded photo; its renditions are in the media store under this id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who uploaded it; null after their erasure when a public thing still shows it.
    pub owner_id: Option<Uuid>,
    /// What the upload was, for the export.
    pub source_type: crate::vocab::MediaSourceType,
    /// Upright size of the original.
    pub width: i32,
    pub height: i32,
    /// JSON array of `[width, height]` per rendered size, smallest first.
    pub renditions: String,
    /// `#rrggbb`, shown while the image loads.
    pub dominant_color: String,
    /// Size of the uploaded file.
    pub upload_bytes: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
