//! `/api/v1/me`: the signed-in person's own account.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json, types::MaybeUndefined};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    types::NoContent,
    types::{Timestamp, patch_field},
    users::{RoleAssignment, User},
};
use crate::{auth::Caller, error::ApiResult, state::AppState};
use domain::{
    accounts::{self, ProfilePatch},
    push_prefs, rides, shops, users,
};

/// Changes to the own profile; absent fields stay as they are.
#[derive(Object, Clone, Debug)]
pub struct UpdateMe {
    /// New display name, 1 to 100 characters.
    pub display_name: Option<String>,
    /// New home district; `null` removes it.
    #[oai(nullable)]
    pub home_district_id: MaybeUndefined<Uuid>,
    /// New phone number; `null` removes it.
    #[oai(nullable)]
    pub phone: MaybeUndefined<String>,
}

/// A password change.
#[derive(Object, Clone, Debug)]
pub struct ChangePassword {
    /// The password in use now.
    pub current_password: String,
    /// The new password, 10 to 128 characters.
    pub new_password: String,
}

/// Confirmation for deleting the account.
#[derive(Object, Clone, Debug)]
pub struct DeleteMe {
    /// The account's password.
    pub password: String,
}

/// A signed-in device.
#[derive(Object, Clone, Debug)]
pub struct ExportedSession {
    /// Session id.
    pub id: Uuid,
    /// The app or browser that signed in, as it named itself.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// Signed in at.
    pub created_at: Timestamp,
    /// Last token refresh.
    pub last_used_at: Timestamp,
    /// Ends at the latest.
    pub expires_at: Timestamp,
    /// Ended at (logout, password change), or null while active.
    #[oai(nullable)]
    pub revoked_at: Option<Timestamp>,
}

/// A recorded login attempt (kept for throttling).
#[derive(Object, Clone, Debug)]
pub struct ExportedLoginAttempt {
    /// When.
    pub at: Timestamp,
    /// Whether it succeeded.
    pub succeeded: bool,
    /// The client address it came from; null for failed attempts, which may have been made
    /// by someone else (GDPR Art. 15(4)).
    #[oai(nullable)]
    pub client_address: Option<String>,
}

/// Every personal datum held about the caller (GDPR Art. 15 and 20), machine-readable.
#[derive(Object, Clone, Debug)]
pub struct AccountExport {
    /// When this export was made.
    pub exported_at: Timestamp,
    /// The account, with its roles.
    pub user: User,
    /// Role assignments (also inside `user`).
    pub roles: Vec<RoleAssignment>,
    /// Signed-in devices, also ended ones.
    pub sessions: Vec<ExportedSession>,
    /// Recent login attempts under the account's email.
    pub login_attempts: Vec<ExportedLoginAttempt>,
    /// Photos uploaded, with the URLs of every size (those of a draft need the token).
    pub uploads: Vec<super::media::Media>,
    /// Devices registered for push notifications.
    pub push_subscriptions: Vec<super::push::PushSubscription>,
    /// Notification preferences (the defaults where none were chosen).
    pub notification_preferences: super::push::NotificationPreferences,
    /// The whole inbox, newest first.
    pub notifications: Vec<super::push::Notification>,
    /// Every ride as rider, booked by the caller, or driven by them, in full with its history,
    /// oldest first.
    pub rides: Vec<super::rides::Ride>,
    /// The shops the caller follows.
    pub followed_shops: Vec<FollowedShop>,
    /// Every Anliegen the caller wrote or filed for someone, in full with its history,
    /// oldest first.
    pub anliegen: Vec<super::anliegen::Anliegen>,
    /// The Anliegen the caller follows (as author, supporter, or through a merge).
    pub followed_anliegen: Vec<FollowedAnliegen>,
    /// The caller's own votes (nobody else's vote is ever shown).
    pub poll_votes: Vec<ExportedVote>,
    /// The events the caller follows ("interessiert").
    pub followed_events: Vec<FollowedEvent>,
    /// The shifts the caller signed up for as a helper, with the phone number given, and how
    /// many are behind them.
    pub shifts: super::event_shifts::OwnShiftList,
    /// The confirmed mobile number with its consent records, messages and replies; null when
    /// the person has none.
    #[oai(nullable)]
    pub sms: Option<super::sms::ExportedSms>,
}

/// An event the person follows.
#[derive(Object, Clone, Debug)]
pub struct FollowedEvent {
    /// The event.
    pub event_id: Uuid,
    /// Its title.
    pub title: String,
    /// The reminder chosen.
    pub remind: entity::vocab::EventReminder,
    /// Since when.
    pub since: Timestamp,
}

/// One's own vote in a poll.
#[derive(Object, Clone, Debug)]
pub struct ExportedVote {
    /// The poll.
    pub poll_id: Uuid,
    /// Its question.
    pub question: String,
    /// The answer chosen.
    pub option: String,
    /// When (the last change).
    pub voted_at: Timestamp,
}

/// An Anliegen the person follows.
#[derive(Object, Clone, Debug)]
pub struct FollowedAnliegen {
    /// The Anliegen.
    pub anliegen_id: Uuid,
    /// Why: `author`, `supporter` ("Ich auch") or `merged` (followed one merged into it).
    pub relation: entity::vocab::AnliegenFollowerRelation,
    /// Whether its pushes are muted.
    pub muted: bool,
    /// Since when.
    pub since: Timestamp,
}

/// A shop the person follows.
#[derive(Object, Clone, Debug)]
pub struct FollowedShop {
    /// The shop.
    pub shop_id: Uuid,
    /// Its name.
    pub name: String,
    /// Since when it is followed.
    pub since: Timestamp,
}

/// The error answers each operation here can give, besides 412 (with `If-Match`), 413 and 415
/// (with a body), 500 and 503; the published document lists these and no others
/// ([`super::spec`]). Add a row with every new operation.
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("deleteMe", &[400, 401, 409, 422, 429]),
    ("getMe", &[401]),
    ("updateMe", &[400, 401, 422]),
    ("deleteMyAccount", &[400, 401, 409, 422, 429]),
    ("exportMe", &[401]),
    ("changePassword", &[400, 401, 422, 429]),
];

/// The limits of this module's request fields, as the spec publishes them (`super::spec`):
/// the rules' own constants, so the two cannot drift.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::{accounts, auth::passwords};
    &[
        (
            "ChangePassword",
            "new_password",
            &[Length(passwords::MIN_LENGTH, passwords::MAX_LENGTH)],
        ),
        (
            "UpdateMe",
            "display_name",
            &[Text(accounts::DISPLAY_NAME_MAX)],
        ),
        ("UpdateMe", "phone", super::spec::PHONE),
    ]
};

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Me")]
impl MeApi {
    /// Get my account
    ///
    /// The signed-in person's account with their roles.
    #[oai(
        transform = "no_store",
        path = "/me",
        method = "get",
        operation_id = "getMe"
    )]
    async fn get(&self, state: Data<&AppState>, actor: Caller) -> ApiResult<Json<User>> {
        Ok(Json(users::profile(&state.db, actor.user_id).await?.into()))
    }

    /// Update my account
    ///
    /// Changes display name, home district or phone. Fields left out stay unchanged; `null`
    /// removes an optional one.
    #[oai(
        transform = "no_store",
        path = "/me",
        method = "patch",
        operation_id = "updateMe"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<UpdateMe>,
    ) -> ApiResult<Json<User>> {
        let UpdateMe {
            display_name,
            home_district_id,
            phone,
        } = body.0;
        let patch = ProfilePatch {
            display_name,
            home_district_id: patch_field(home_district_id),
            phone: patch_field(phone),
        };
        Ok(Json(
            accounts::update_profile(&state.db, &state.clock, &actor, patch)
                .await?
                .into(),
        ))
    }

    /// Change my password
    ///
    /// Needs the current password (422 naming `current_password` when it is wrong). Ends every
    /// other session of the account; this one stays signed in.
    #[oai(
        transform = "no_store",
        path = "/me/password",
        method = "put",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<ChangePassword>,
    ) -> ApiResult<NoContent> {
        accounts::change_password(
            &state.db,
            &state.clock,
            &actor,
            &body.0.current_password,
            &body.0.new_password,
            state.settings.login_limits(),
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Export my data
    ///
    /// Every personal datum held about the caller, as JSON (GDPR Art. 15 and 20). What is kept
    /// and for how long: `docs/privacy.md`.
    #[oai(
        transform = "no_store",
        path = "/me/export",
        method = "get",
        operation_id = "exportMe"
    )]
    async fn export(
        &self,
        state: Data<&AppState>,
        actor: Caller,
    ) -> ApiResult<Json<AccountExport>> {
        let data = accounts::export(&state.db, &state.clock, &actor).await?;
        let push_subscriptions = push_prefs::subscriptions(&state.db, actor.user_id).await?;
        let notification_preferences = push_prefs::preferences(&state.db, actor.user_id).await?;
        let mut notifications = Vec::new();
        let mut before = None;
        loop {
            let (page, more) =
                push_prefs::inbox(&state.db, actor.user_id, before, 100, false).await?;
            before = page.last().map(|entry| entry.id);
            notifications.extend(page.into_iter().map(Into::into));
            if !more {
                break;
            }
        }
        let (anliegen, followed_anliegen) = domain::anliegen::of_person(&state.db, &actor).await?;
        let user: User = data.profile.into();
        Ok(Json(AccountExport {
            exported_at: data.exported_at.into(),
            roles: user.roles.clone(),
            user,
            sessions: data
                .sessions
                .into_iter()
                .map(|s| ExportedSession {
                    id: s.id,
                    user_agent: s.user_agent,
                    created_at: s.created_at.into(),
                    last_used_at: s.last_used_at.into(),
                    expires_at: s.expires_at.into(),
                    revoked_at: s.revoked_at.map(Into::into),
                })
                .collect(),
            login_attempts: data
                .login_attempts
                .into_iter()
                .map(|a| ExportedLoginAttempt {
                    at: a.at.into(),
                    succeeded: a.succeeded,
                    client_address: a.succeeded.then_some(a.client_address),
                })
                .collect(),
            uploads: data.uploads.into_iter().map(Into::into).collect(),
            push_subscriptions: push_subscriptions.into_iter().map(Into::into).collect(),
            notification_preferences: notification_preferences.into(),
            notifications,
            rides: rides::of_person(&state.db, actor.user_id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
            followed_shops: shops::followed_by(&state.db, actor.user_id)
                .await?
                .into_iter()
                .map(|(shop, since)| FollowedShop {
                    shop_id: shop.id,
                    name: shop.name,
                    since: since.into(),
                })
                .collect(),
            anliegen: anliegen.into_iter().map(Into::into).collect(),
            poll_votes: domain::polls::votes_of(&state.db, actor.user_id)
                .await?
                .into_iter()
                .map(|(poll, option, voted_at)| ExportedVote {
                    poll_id: poll.id,
                    question: poll.question,
                    option: option.label,
                    voted_at: voted_at.into(),
                })
                .collect(),
            followed_events: domain::events::followed_by(&state.db, actor.user_id)
                .await?
                .into_iter()
                .map(|(f, title)| FollowedEvent {
                    event_id: f.event_id,
                    title,
                    remind: f.remind,
                    since: f.created_at.into(),
                })
                .collect(),
            shifts: {
                let (items, helped_count) =
                    domain::events::shifts::of_person(&state.db, actor.user_id, state.clock.now())
                        .await?;
                super::event_shifts::OwnShiftList {
                    helped_count,
                    items: items.into_iter().map(Into::into).collect(),
                }
            },
            followed_anliegen: followed_anliegen
                .into_iter()
                .map(|f| FollowedAnliegen {
                    anliegen_id: f.anliegen_id,
                    relation: f.relation,
                    muted: f.muted,
                    since: f.created_at.into(),
                })
                .collect(),
            sms: domain::sms::consent::export(&state.db, actor.user_id)
                .await?
                .map(Into::into),
        }))
    }

    /// Delete my account
    ///
    /// Needs the password (422 naming `password` when it is wrong). Erases the account and its
    /// personal data at once (`docs/privacy.md`): open rides are cancelled, rides the person
    /// drives go back to the district; content others rely on stays without the person.
    /// Refused with 409 for the installation's only administrator.
    ///
    /// A `POST`, because it carries the password: many HTTP stacks drop the body of a
    /// `DELETE`, and OpenAPI says consumers shall ignore it.
    #[oai(
        transform = "no_store",
        path = "/me/delete",
        method = "post",
        operation_id = "deleteMyAccount"
    )]
    async fn delete_account(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<DeleteMe>,
    ) -> ApiResult<NoContent> {
        erase(&state, &actor, &body.0.password).await
    }

    /// Delete my account (old form)
    ///
    /// Deprecated: use `POST /api/v1/me/delete`, which does the same. This form sends the
    /// password in the body of a `DELETE`, which many HTTP stacks drop; it keeps working for
    /// this release.
    #[oai(
        transform = "no_store",
        path = "/me",
        method = "delete",
        operation_id = "deleteMe",
        deprecated
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        body: JsonBody<DeleteMe>,
    ) -> ApiResult<NoContent> {
        erase(&state, &actor, &body.0.password).await
    }
}

/// Erases the caller's account (both forms of the operation).
async fn erase(
    state: &AppState,
    actor: &domain::auth::Actor,
    password: &str,
) -> ApiResult<NoContent> {
    accounts::delete_account(
        &state.db,
        &state.clock,
        actor,
        password,
        state.settings.login_limits(),
        state.ride_settings(),
    )
    .await?;
    Ok(NoContent::Done)
}
