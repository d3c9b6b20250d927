//! `/api/v1/polls`: polls (Umfragen) of a district, with secret votes.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    body::JsonBody,
    edge::no_store,
    pagination,
    types::{NoContent, Timestamp},
};
use crate::{
    auth::{Caller, OptionalCaller},
    error::ApiResult,
    state::AppState,
};
use domain::{
    idempotency::Claim,
    polls::{self, ListQuery, NewPoll, PollView},
};
use entity::vocab::{PollElectorate, PollResults, PollState};

/// One answer of a poll.
#[derive(Object, Clone, Debug)]
pub struct PollOption {
    /// Pass as `option_id` to vote for it.
    pub id: Uuid,
    /// E.g. „Dienstagabend“.
    pub label: String,
}

/// The votes of one answer.
#[derive(Object, Clone, Debug)]
pub struct PollOptionResult {
    /// The answer.
    pub option_id: Uuid,
    /// Its votes.
    pub votes: u64,
}

/// The counts, once they show.
#[derive(Object, Clone, Debug)]
pub struct PollResultCounts {
    /// All votes.
    pub total: u64,
    /// Per answer, in the answers' order.
    pub options: Vec<PollOptionResult>,
}

/// A poll (Umfrage) of a district.
///
/// **Votes are secret.** No answer names who voted what; the caller sees only their own
/// choice (`my_option_id`), administrators included.
#[derive(Object, Clone, Debug)]
pub struct Poll {
    /// Stable identifier (UUID v7).
    pub id: Uuid,
    /// The district that asks.
    pub district_id: Uuid,
    /// The question.
    pub question: String,
    /// More about it, or null.
    #[oai(nullable)]
    pub description: Option<String>,
    /// The answers, in order.
    pub options: Vec<PollOption>,
    /// Who may vote.
    pub electorate: PollElectorate,
    /// When the counts show: `after_close`, or `live` while it runs.
    pub show_results: PollResults,
    /// Votes are taken from here …
    pub opens_at: Timestamp,
    /// … until here (excluded).
    pub closes_at: Timestamp,
    /// Upcoming, open or closed, now.
    pub state: PollState,
    /// The caller's own choice, or null.
    #[oai(nullable)]
    pub my_option_id: Option<Uuid>,
    /// Whether the caller may vote now (signed in, eligible, open).
    pub can_vote: bool,
    /// The counts, or null while they do not show yet.
    #[oai(nullable)]
    pub results: Option<PollResultCounts>,
    /// What came of it, once the district says so; everyone who voted is told.
    #[oai(nullable)]
    pub outcome: Option<String>,
    /// When the outcome was given.
    #[oai(nullable)]
    pub outcome_at: Option<Timestamp>,
    /// When it was asked.
    pub created_at: Timestamp,
}

impl From<PollView> for Poll {
    fn from(v: PollView) -> Self {
        let p = v.poll;
        Self {
            id: p.id,
            district_id: p.district_id,
            question: p.question,
            description: p.description,
            options: v
                .options
                .into_iter()
                .map(|o| PollOption {
                    id: o.id,
                    label: o.label,
                })
                .collect(),
            electorate: p.electorate,
            show_results: p.results,
            opens_at: p.opens_at.into(),
            closes_at: p.closes_at.into(),
            state: v.state,
            my_option_id: v.my_option_id,
            can_vote: v.can_vote,
            results: v.results.map(|(per_option, total)| PollResultCounts {
                total,
                options: per_option
                    .into_iter()
                    .map(|(option_id, votes)| PollOptionResult { option_id, votes })
                    .collect(),
            }),
            outcome: p.outcome,
            outcome_at: p.outcome_at.map(Timestamp),
            created_at: p.created_at.into(),
        }
    }
}

super::pagination::page! {
    /// A page of polls, newest opening first.
    PollPage of Poll
}

/// A poll to ask.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct CreatePoll {
    /// The district that asks (you must lead it, or be an admin).
    pub district_id: Uuid,
    /// 1 to 300 characters.
    pub question: String,
    /// At most 4000 characters.
    #[oai(nullable)]
    pub description: Option<String>,
    /// 2 to 10 answers, each 1 to 100 characters, all different.
    pub options: Vec<String>,
    /// When voting starts (default: now).
    #[oai(nullable)]
    pub opens_at: Option<Timestamp>,
    /// When voting ends: after `opens_at`, at most a year later.
    pub closes_at: Timestamp,
    /// Who may vote (default `district_residents`: people whose home district it is).
    #[oai(nullable)]
    pub electorate: Option<PollElectorate>,
    /// When the counts show (default `after_close`).
    #[oai(nullable)]
    pub show_results: Option<PollResults>,
}

impl poem_openapi::types::Example for CreatePoll {
    fn example() -> Self {
        Self {
            district_id: Uuid::nil(),
            question: "Wann soll der Dorfladen donnerstags öffnen?".into(),
            description: Some("Wir möchten die Öffnungszeiten an Ihre Wünsche anpassen.".into()),
            options: vec!["8–12 Uhr".into(), "14–18 Uhr".into()],
            opens_at: None,
            closes_at: Timestamp::example("2026-06-30T22:00:00Z"),
            electorate: Some(PollElectorate::DistrictResidents),
            show_results: Some(PollResults::AfterClose),
        }
    }
}

/// A vote.
#[derive(Object, Clone, Debug)]
pub struct CastVote {
    /// One of the poll's answers.
    pub option_id: Uuid,
}

/// What came of a poll.
#[derive(Object, Clone, Debug)]
pub struct PollOutcome {
    /// 1 to 4000 characters; everyone who voted is told.
    pub outcome: String,
}

#[derive(ApiResponse)]
pub enum PollCreated {
    /// Asked.
    #[oai(status = 201)]
    Created(
        Json<Poll>,
        /// Where it can be read: `/api/v1/polls/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

/// The error answers each operation here can give, besides 412, 413, 415, 500 and 503
/// ([`super::spec`]).
pub(crate) const ERRORS: super::spec::OperationErrors = &[
    ("createPoll", &[400, 401, 403, 422]),
    ("listPolls", &[400, 401, 422]),
    ("getPoll", &[400, 401, 404]),
    ("votePoll", &[400, 401, 403, 404, 409, 422]),
    ("withdrawPollVote", &[400, 401, 404, 409]),
    ("setPollOutcome", &[400, 401, 403, 404, 409, 422]),
];

/// The limits of this module's request fields, as the spec publishes them.
pub(crate) const CONSTRAINTS: super::spec::SchemaConstraints = {
    use super::spec::Constraint::*;
    use domain::polls as p;
    &[
        ("CreatePoll", "question", &[Text(p::QUESTION_MAX)]),
        (
            "CreatePoll",
            "description",
            &[MaxLength(p::DESCRIPTION_MAX)],
        ),
        ("PollOutcome", "outcome", &[Text(p::OUTCOME_MAX)]),
    ]
};

pub struct PollsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Polls")]
impl PollsApi {
    /// Ask a poll
    ///
    /// The district's leaders and admins. A retry with the same `Idempotency-Key` asks nothing
    /// new.
    #[oai(
        transform = "no_store",
        path = "/polls",
        method = "post",
        operation_id = "createPoll"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// Any unique string (a UUID): a retry with the same key within 24 h asks nothing new.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<CreatePoll>,
    ) -> ApiResult<PollCreated> {
        let b = body.0;
        let input = NewPoll {
            district_id: b.district_id,
            question: b.question,
            description: b.description,
            options: b.options,
            opens_at: b.opens_at.map(|t| t.0),
            closes_at: b.closes_at.0,
            electorate: b.electorate.unwrap_or(PollElectorate::DistrictResidents),
            results: b.show_results.unwrap_or(PollResults::AfterClose),
        };
        let claim = idempotency_key
            .0
            .as_deref()
            .map(|key| Claim::new(format!("user:{}", actor.user_id), key, "createPoll", &input))
            .transpose()?;
        let view = polls::create(&state.db, &state.clock, &actor, input, claim.as_ref()).await?;
        let poll = Poll::from(view);
        let location = format!("/api/v1/polls/{}", poll.id);
        Ok(PollCreated::Created(Json(poll), location))
    }

    /// List polls
    ///
    /// Public: polls of a district (or all), upcoming, open or closed, newest opening first.
    /// With a token, each carries the caller's own choice and whether they may vote.
    #[oai(
        transform = "no_store",
        path = "/polls",
        method = "get",
        operation_id = "listPolls"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// Only this district's.
        district_id: Query<Option<Uuid>>,
        /// Only upcoming, open or closed ones.
        #[oai(name = "state")]
        state_filter: Query<Option<PollState>>,
        /// Page size, 1–100 (default 20).
        limit: Query<Option<u64>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PollPage>> {
        let actor = caller.actor()?;
        let query = ListQuery {
            district_id: district_id.0,
            state: state_filter.0,
            after: pagination::decode_at(cursor.0.as_deref())?,
            limit: pagination::limit(limit.0)?,
        };
        let (views, more) = polls::list(&state.db, &state.clock, actor, &query).await?;
        let next_cursor = views
            .last()
            .filter(|_| more)
            .map(|v| pagination::encode_at(v.poll.opens_at, v.poll.id));
        Ok(Json(PollPage {
            items: views.into_iter().map(Poll::from).collect(),
            next_cursor,
        }))
    }

    /// Get a poll
    ///
    /// Public. The counts show after the close (or while it runs, if the district chose
    /// `live`); with a token, the caller's own choice.
    #[oai(
        transform = "no_store",
        path = "/polls/:id",
        method = "get",
        operation_id = "getPoll"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: OptionalCaller,
        /// The poll's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<Poll>> {
        let actor = caller.actor()?;
        Ok(Json(
            polls::get(&state.db, &state.clock, actor, id.0)
                .await?
                .into(),
        ))
    }

    /// Vote
    ///
    /// While the poll is open (409 before and after), for whom it asks (403 with the reason:
    /// for `district_residents`, the home district in the profile must be the poll's). One
    /// vote per person: voting again changes it.
    #[oai(
        transform = "no_store",
        path = "/polls/:id/vote",
        method = "put",
        operation_id = "votePoll"
    )]
    async fn vote(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The poll's id.
        id: Path<Uuid>,
        body: JsonBody<CastVote>,
    ) -> ApiResult<Json<Poll>> {
        let view = polls::vote(&state.db, &state.clock, &actor, id.0, body.0.option_id).await?;
        Ok(Json(view.into()))
    }

    /// Take one's vote back
    ///
    /// While the poll is open (409 after the close); twice is fine.
    #[oai(
        transform = "no_store",
        path = "/polls/:id/vote",
        method = "delete",
        operation_id = "withdrawPollVote"
    )]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The poll's id.
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        polls::withdraw_vote(&state.db, &state.clock, &actor, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Say what came of a poll
    ///
    /// The district's leaders and admins, after the close (409 before): everyone who voted is
    /// told (inbox and push); a corrected outcome tells them again.
    #[oai(
        transform = "no_store",
        path = "/polls/:id/outcome",
        method = "put",
        operation_id = "setPollOutcome"
    )]
    async fn outcome(
        &self,
        state: Data<&AppState>,
        actor: Caller,
        /// The poll's id.
        id: Path<Uuid>,
        body: JsonBody<PollOutcome>,
    ) -> ApiResult<Json<Poll>> {
        let view =
            polls::set_outcome(&state.db, &state.clock, &actor, id.0, &body.0.outcome).await?;
        Ok(Json(view.into()))
    }
}
