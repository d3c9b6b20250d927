//! An Anliegen: a defect, an idea or a question a resident brings to their district, which
//! handles it or forwards it to a topic of the town. The author's own text stays private; once
//! published, the public shows the `public_*` text the district wrote, never the author's name.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anliegen")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: crate::vocab::AnliegenKind,
    pub status: crate::vocab::AnliegenStatus,
    pub publication: crate::vocab::AnliegenPublication,
    pub source: crate::vocab::AnliegenSource,
    pub district_id: Uuid,
    /// The topic of the town it was forwarded to.
    pub topic_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub place: Option<String>,
    /// Latitude in microdegrees (WGS 84); set together with `lon_e6`.
    pub lat_e6: Option<i32>,
    /// Longitude in microdegrees (WGS 84); set together with `lat_e6`.
    pub lon_e6: Option<i32>,
    /// The author's account, or null for a person without one (then `author_name`) and once
    /// the account is erased.
    pub author_user_id: Option<Uuid>,
    /// Who filed it: the author, or the ride desk or an administrator on their behalf.
    pub filed_by: Option<Uuid>,
    pub author_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// The public text, written by the district when publishing.
    pub public_title: Option<String>,
    pub public_description: Option<String>,
    pub public_place: Option<String>,
    /// Whether the public sees the place and coordinates.
    pub show_location: bool,
    pub published_at: Option<DateTimeUtc>,
    pub hidden_at: Option<DateTimeUtc>,
    /// Why it was taken down; the author is told.
    pub hidden_reason: Option<String>,
    /// The Anliegen it was merged into (status `duplicate`).
    pub duplicate_of: Option<Uuid>,
    pub forwarded_at: Option<DateTimeUtc>,
    pub first_answer_at: Option<DateTimeUtc>,
    pub last_answer_at: Option<DateTimeUtc>,
    /// When it reached `done`, `declined` or `duplicate`.
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The integrator's key that filed it through Open311, if any.
    pub api_client_id: Option<Uuid>,
    /// A photo address an Open311 client sent: shown to the handlers, never fetched.
    pub external_media_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
