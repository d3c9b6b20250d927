//! Something to tell people: written by a capability in its own transaction, expanded into
//! inbox entries and push deliveries by the push worker.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What it is about: `news`, `shop_notice`, `ride_update`, …
    pub kind: crate::vocab::NoticeKind,
    pub title: String,
    pub body: String,
    /// JSON `{type, id}` the app opens when tapped.
    pub data: String,
    /// The audience rule: `districts`, `shop_followers`, `district_drivers`, `user`.
    pub audience_kind: crate::vocab::AudienceKind,
    /// The district, shop or user the rule names.
    pub audience_ref: Option<Uuid>,
    /// For `districts`: JSON array of district ids, empty = the whole municipality.
    pub audience_districts: Option<String>,
    /// For `districts`: the news category (preferences filter on it).
    pub audience_category: Option<String>,
    /// `normal`, `high` (ride updates) or `warning` (high, and passes quiet hours).
    pub urgency: crate::vocab::Urgency,
    /// Web Push `Topic`: a newer notice with the same topic replaces an undelivered older one.
    pub topic: Option<String>,
    /// Not to be delivered before this time (scheduled news).
    pub not_before: DateTimeUtc,
    /// `pending` until the push worker has expanded it, then `expanded`; `withdrawn` when what
    /// it was about was deleted before it went out.
    pub status: crate::vocab::NoticeStatus,
    pub created_at: DateTimeUtc,
    /// What it is about (`news`, `ride`, …) and its id, from `data`: lets a capability ask for
    /// the delivery counts of its item or withdraw the notice.
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    /// The last recipient (user id) expanded so far: expansion resumes after it.
    pub expand_cursor: Option<Uuid>,
    /// The worker expanding it and until when its claim holds.
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub expanded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
