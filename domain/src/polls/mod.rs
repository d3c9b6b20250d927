//! Polls (Umfragen) of a district: a leader asks a question with options, a period and who may
//! vote; one vote per person, changeable until the close; results after the close (or live);
//! and later "what came of it", told to everyone who voted.
//!
//! **Secret through the API**: a vote must be changeable, so the database knows who chose
//! what; no operation returns it to anyone but the voter (their own choice), administrators
//! included, and the outcome notice is sent by a rule (`Audience::PollVoters`), never from a
//! list a person could read. Counts come from one `GROUP BY`.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{
    app_user, district, poll, poll_option, poll_vote,
    vocab::{PollElectorate, PollResults, PollState},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    DomainError, DomainResult, Validator,
    auth::Actor,
    clock::SharedClock,
    db, idempotency, normalize_optional,
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
    text::{Text, field},
};

pub const QUESTION_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 4000;
pub const OPTION_MAX: usize = 100;
pub const OUTCOME_MAX: usize = 4000;
/// Options per poll.
pub const OPTIONS: (usize, usize) = (2, 10);
/// The longest a poll may run.
pub const LONGEST: Duration = Duration::days(366);

/// A poll to ask.
#[derive(Clone, Debug, Serialize)]
pub struct NewPoll {
    pub district_id: Uuid,
    pub question: String,
    pub description: Option<String>,
    pub options: Vec<String>,
    /// Default: now.
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: DateTime<Utc>,
    pub electorate: PollElectorate,
    pub results: PollResults,
}

/// A poll as the caller sees it.
#[derive(Clone, Debug)]
pub struct PollView {
    pub poll: poll::Model,
    pub options: Vec<poll_option::Model>,
    pub state: PollState,
    /// The caller's own choice, if they voted.
    pub my_option_id: Option<Uuid>,
    /// Whether the caller may vote now (signed in, eligible, open).
    pub can_vote: bool,
    /// Votes per option (in the options' order) and in all, once results show.
    pub results: Option<(Vec<(Uuid, u64)>, u64)>,
}

/// Which polls a list shows.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub district_id: Option<Uuid>,
    pub state: Option<PollState>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

fn not_found() -> DomainError {
    DomainError::NotFound(Text::new("Diese Umfrage gibt es nicht.", "No such poll."))
}

fn state_at(poll: &poll::Model, now: DateTime<Utc>) -> PollState {
    if now < poll.opens_at {
        PollState::Upcoming
    } else if now < poll.closes_at {
        PollState::Open
    } else {
        PollState::Closed
    }
}

fn may_run(actor: &Actor, district: Uuid) -> bool {
    actor.is_admin() || actor.leads(district)
}

/// A Web Push `Topic` per poll: an edited outcome replaces the undelivered first one.
fn topic(id: Uuid) -> String {
    format!("poll-{}", URL_SAFE_NO_PAD.encode(id.as_bytes()))
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<poll::Model> {
    poll::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)
}

#[derive(Debug, FromQueryResult)]
struct OptionCount {
    option_id: Uuid,
    votes: i64,
}

/// The caller's home district (`None` without one), read once per request.
async fn home_district(conn: &impl ConnectionTrait, actor: &Actor) -> Result<Option<Uuid>, DbErr> {
    Ok(app_user::Entity::find_by_id(actor.user_id)
        .one(conn)
        .await?
        .and_then(|user| user.home_district_id))
}

/// Whether a person with this home district may vote in this poll at all (not: now).
fn eligible(home: Option<Uuid>, poll: &poll::Model) -> bool {
    match poll.electorate {
        PollElectorate::Everyone => true,
        PollElectorate::DistrictResidents => home == Some(poll.district_id),
    }
}

async fn views(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: Option<&Actor>,
    polls: Vec<poll::Model>,
) -> DomainResult<Vec<PollView>> {
    let ids: Vec<Uuid> = polls.iter().map(|p| p.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut options: HashMap<Uuid, Vec<poll_option::Model>> = HashMap::new();
    for option in poll_option::Entity::find()
        .filter(poll_option::Column::PollId.is_in(ids.clone()))
        .order_by_asc(poll_option::Column::Position)
        .all(conn)
        .await?
    {
        options.entry(option.poll_id).or_default().push(option);
    }
    let counts: HashMap<Uuid, u64> = poll_vote::Entity::find()
        .select_only()
        .column(poll_vote::Column::OptionId)
        .column_as(poll_vote::Column::Id.count(), "votes")
        .filter(poll_vote::Column::PollId.is_in(ids.clone()))
        .group_by(poll_vote::Column::OptionId)
        .into_model::<OptionCount>()
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.option_id, u64::try_from(row.votes).unwrap_or(0)))
        .collect();
    let mine: HashMap<Uuid, Uuid> = match actor {
        Some(actor) => poll_vote::Entity::find()
            .filter(poll_vote::Column::PollId.is_in(ids))
            .filter(poll_vote::Column::UserId.eq(actor.user_id))
            .all(conn)
            .await?
            .into_iter()
            .map(|vote| (vote.poll_id, vote.option_id))
            .collect(),
        None => HashMap::new(),
    };
    let home = match actor {
        Some(actor) => Some(home_district(conn, actor).await?),
        None => None,
    };
    let mut result = Vec::with_capacity(polls.len());
    for poll in polls {
        let state = state_at(&poll, now);
        let options = options.remove(&poll.id).unwrap_or_default();
        let show = state == PollState::Closed
            || (poll.results == PollResults::Live && state == PollState::Open);
        let results = show.then(|| {
            let per_option: Vec<(Uuid, u64)> = options
                .iter()
                .map(|o| (o.id, counts.get(&o.id).copied().unwrap_or(0)))
                .collect();
            let total = per_option.iter().map(|(_, n)| n).sum();
            (per_option, total)
        });
        let can_vote = state == PollState::Open && home.is_some_and(|home| eligible(home, &poll));
        result.push(PollView {
            my_option_id: mine.get(&poll.id).copied(),
            can_vote,
            results,
            state,
            options,
            poll,
        });
    }
    Ok(result)
}

/// Asks a poll: the district's leaders and admins. A retry with the same key asks nothing new.
pub async fn create(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    input: NewPoll,
    claim: Option<&idempotency::Claim>,
) -> DomainResult<PollView> {
    if !may_run(actor, input.district_id) {
        return Err(DomainError::Forbidden);
    }
    let txn = db::begin_write(db).await?;
    if let Some(claim) = claim
        && let Some(answer) = idempotency::claim(&txn, clock, claim).await?
    {
        let poll = load(&txn, answer.resource_id.ok_or_else(not_found)?).await?;
        let mut view = views(&txn, clock.now(), Some(actor), vec![poll]).await?;
        txn.commit().await?;
        return view.pop().ok_or_else(not_found);
    }
    let now = clock.now();
    let mut v = Validator::new();
    let exists = district::Entity::find_by_id(input.district_id)
        .one(&txn)
        .await?
        .is_some();
    v.check(
        exists,
        "district_id",
        "Diesen Ortsteil gibt es nicht.",
        "No such district.",
    );
    v.text("question", &input.question, QUESTION_MAX);
    v.optional_text("description", input.description.as_deref(), DESCRIPTION_MAX);
    let labels: Vec<String> = input.options.iter().map(|o| o.trim().to_owned()).collect();
    v.check(
        (OPTIONS.0..=OPTIONS.1).contains(&labels.len()),
        "options",
        "Bitte 2 bis 10 Antworten angeben.",
        "Please give 2 to 10 options.",
    );
    // Each checked only when the count fits: a body of a million options costs no more.
    let checked: &[String] = if labels.len() <= OPTIONS.1 {
        &labels
    } else {
        &[]
    };
    for (i, label) in checked.iter().enumerate() {
        v.text(&format!("options[{i}]"), label, OPTION_MAX);
        if checked[..i]
            .iter()
            .any(|other| other.to_lowercase() == label.to_lowercase())
        {
            v.push(field(
                format!("options[{i}]"),
                "Diese Antwort gibt es schon.",
                "This option is already there.",
            ));
        }
    }
    let opens_at = input.opens_at.unwrap_or(now);
    v.check(
        opens_at >= now - Duration::minutes(5),
        "opens_at",
        "Eine Umfrage kann nicht in der Vergangenheit beginnen.",
        "A poll cannot open in the past.",
    );
    v.check(
        input.closes_at > opens_at,
        "closes_at",
        "Das Ende muss nach dem Beginn liegen.",
        "The close must be after the opening.",
    );
    v.check(
        input.closes_at - opens_at <= LONGEST,
        "closes_at",
        "Eine Umfrage läuft höchstens ein Jahr.",
        "A poll runs at most a year.",
    );
    v.finish()?;
    let id = Uuid::now_v7();
    let poll = poll::ActiveModel {
        id: Set(id),
        district_id: Set(input.district_id),
        question: Set(input.question.trim().to_owned()),
        description: Set(normalize_optional(input.description.clone())),
        electorate: Set(input.electorate),
        results: Set(input.results),
        opens_at: Set(opens_at),
        closes_at: Set(input.closes_at),
        outcome: Set(None),
        outcome_at: Set(None),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for (position, label) in labels.into_iter().enumerate() {
        poll_option::ActiveModel {
            id: Set(Uuid::now_v7()),
            poll_id: Set(id),
            position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
            label: Set(label),
        }
        .insert(&txn)
        .await?;
    }
    if let Some(claim) = claim {
        let answer = idempotency::StoredAnswer {
            status: 201,
            body: String::new(),
            resource_id: Some(id),
        };
        idempotency::complete(&txn, claim, &answer).await?;
    }
    let mut view = views(&txn, now, Some(actor), vec![poll]).await?;
    txn.commit().await?;
    view.pop().ok_or_else(not_found)
}

pub async fn get(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    id: Uuid,
) -> DomainResult<PollView> {
    let poll = load(conn, id).await?;
    views(conn, clock.now(), actor, vec![poll])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Polls, newest opening first.
pub async fn list(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    actor: Option<&Actor>,
    query: &ListQuery,
) -> DomainResult<(Vec<PollView>, bool)> {
    use poll::Column as C;
    let now = clock.now();
    let mut select = poll::Entity::find();
    if let Some(district) = query.district_id {
        select = select.filter(C::DistrictId.eq(district));
    }
    select = match query.state {
        None => select,
        Some(PollState::Upcoming) => select.filter(C::OpensAt.gt(now)),
        Some(PollState::Open) => select
            .filter(C::OpensAt.lte(now))
            .filter(C::ClosesAt.gt(now)),
        Some(PollState::Closed) => select.filter(C::ClosesAt.lte(now)),
    };
    if let Some((at, id)) = query.after {
        select = select.filter(
            Condition::any()
                .add(C::OpensAt.lt(at))
                .add(Condition::all().add(C::OpensAt.eq(at)).add(C::Id.lt(id))),
        );
    }
    let mut polls = select
        .order_by_desc(C::OpensAt)
        .order_by_desc(C::Id)
        .limit(query.limit + 1)
        .all(conn)
        .await?;
    let more = polls.len() as u64 > query.limit;
    polls.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
    Ok((views(conn, now, actor, polls).await?, more))
}

/// Votes, or changes one's vote, while the poll is open. One vote per person: a second vote
/// replaces the first (the unique key decides, also when two arrive at once).
pub async fn vote(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    option_id: Uuid,
) -> DomainResult<PollView> {
    let txn = db::begin_write(db).await?;
    let poll = load(&txn, id).await?;
    let now = clock.now();
    let option = poll_option::Entity::find_by_id(option_id).one(&txn).await?;
    if option.is_none_or(|o| o.poll_id != id) {
        return Err(DomainError::Validation(vec![field(
            "option_id",
            "Diese Antwort gehört nicht zu dieser Umfrage.",
            "This option is not one of this poll's.",
        )]));
    }
    check_open(&poll, now)?;
    if !eligible(home_district(&txn, actor).await?, &poll) {
        return Err(DomainError::ForbiddenBecause(Text::new(
            "Abstimmen dürfen hier nur Einwohnerinnen und Einwohner des Ortsteils (Wohnort im Profil).",
            "Only residents of the district may vote here (home district in the profile).",
        )));
    }
    let row = poll_vote::ActiveModel {
        id: Set(Uuid::now_v7()),
        poll_id: Set(id),
        option_id: Set(option_id),
        user_id: Set(Some(actor.user_id)),
        voted_at: Set(now),
    };
    poll_vote::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([poll_vote::Column::PollId, poll_vote::Column::UserId])
                .update_columns([poll_vote::Column::OptionId, poll_vote::Column::VotedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let mut view = views(&txn, now, Some(actor), vec![poll]).await?;
    txn.commit().await?;
    view.pop().ok_or_else(not_found)
}

fn check_open(poll: &poll::Model, now: DateTime<Utc>) -> DomainResult<()> {
    match state_at(poll, now) {
        PollState::Open => Ok(()),
        PollState::Upcoming => Err(DomainError::Conflict(Text::new(
            "Die Umfrage hat noch nicht begonnen.",
            "The poll has not opened yet.",
        ))),
        PollState::Closed => Err(DomainError::Conflict(Text::new(
            "Die Umfrage ist beendet.",
            "The poll has closed.",
        ))),
    }
}

/// Takes one's vote back while the poll is open; twice is fine.
pub async fn withdraw_vote(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let poll = load(db, id).await?;
    check_open(&poll, clock.now())?;
    poll_vote::Entity::delete_many()
        .filter(poll_vote::Column::PollId.eq(id))
        .filter(poll_vote::Column::UserId.eq(actor.user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// "What came of it", after the close: the district's leaders and admins. Everyone who voted
/// is told; a corrected outcome tells them again.
pub async fn set_outcome(
    db: &DatabaseConnection,
    clock: &SharedClock,
    actor: &Actor,
    id: Uuid,
    outcome: &str,
) -> DomainResult<PollView> {
    let txn = db::begin_write(db).await?;
    let poll = db::locked(poll::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if !may_run(actor, poll.district_id) {
        return Err(DomainError::Forbidden);
    }
    let mut v = Validator::new();
    v.text("outcome", outcome, OUTCOME_MAX);
    v.finish()?;
    let now = clock.now();
    if state_at(&poll, now) != PollState::Closed {
        return Err(DomainError::Conflict(Text::new(
            "Was daraus wurde, lässt sich erst nach dem Ende der Umfrage sagen.",
            "The outcome can be given only after the poll has closed.",
        )));
    }
    let outcome = outcome.trim().to_owned();
    let mut row: poll::ActiveModel = poll.clone().into();
    row.outcome = Set(Some(outcome.clone()));
    row.outcome_at = Set(Some(now));
    row.updated_at = Set(now);
    let poll = row.update(&txn).await?;
    notices::enqueue(
        &txn,
        clock,
        Notice {
            kind: NoticeKind::PollOutcome,
            title: format!("Umfrage: {}", poll.question),
            body: outcome,
            target: Target::Poll { id },
            audience: Audience::PollVoters(id),
            urgency: Urgency::Normal,
            topic: Some(topic(id)),
            not_before: None,
        },
    )
    .await?;
    let mut view = views(&txn, now, Some(actor), vec![poll]).await?;
    txn.commit().await?;
    view.pop().ok_or_else(not_found)
}

/// One's own votes, for the export: (poll, the option chosen, when).
pub async fn votes_of(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> DomainResult<Vec<(poll::Model, poll_option::Model, DateTime<Utc>)>> {
    let votes = poll_vote::Entity::find()
        .filter(poll_vote::Column::UserId.eq(user_id))
        .order_by_asc(poll_vote::Column::VotedAt)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(votes.len());
    for vote in votes {
        let poll = load(conn, vote.poll_id).await?;
        let Some(option) = poll_option::Entity::find_by_id(vote.option_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        out.push((poll, option, vote.voted_at));
    }
    Ok(out)
}
