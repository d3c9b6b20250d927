//! One consent given or withdrawn for a number, never changed: the record a data protection
//! officer asks for (who, when, how, with which wording).

use sea_orm::entity::prelude::*;

use crate::vocab::{ConsentAction, ConsentMethod, SmsPurpose};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_consent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub recipient_id: Uuid,
    pub purpose: SmsPurpose,
    pub action: ConsentAction,
    pub method: ConsentMethod,
    /// The desk person or administrator who recorded it; null when the person acted
    /// themselves (or once that account is erased).
    pub recorded_by: Option<Uuid>,
    pub at: DateTimeUtc,
    /// The version of the consent text that was read out or shown.
    pub text_version: String,
    /// What the desk noted ("Tochter am Telefon, mit Einverständnis").
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
