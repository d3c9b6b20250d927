//! The SMS outbox against the fake seven.io: sent once, retried as the provider asks, given up
//! visibly, never sent twice by two workers, never sent without consent, and within the
//! month's budget.

use chrono::{Duration, Utc};
use domain::sms::outbox::{self, NewSms};
use entity::{
    sms_message, sms_recipient, sms_usage,
    vocab::{SmsKind, SmsStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use domain::clock::Clock;

use crate::support::{seven::Answer, *};

const NUMBER: &str = "+491711234567";

async fn sms_app(fake: &SevenFake, budget: u32) -> TestApp {
    spawn_with_admin_and(|settings| {
        fake.configure(settings);
        settings.sms_monthly_budget = budget;
    })
    .await
}

/// A number with consent to ride messages (and warnings, when asked).
async fn recipient(app: &TestApp, e164: &str, warnings: bool) -> sms_recipient::Model {
    let now = app.clock.now();
    sms_recipient::Model {
        id: Uuid::now_v7(),
        e164: e164.into(),
        user_id: None,
        name: Some("Frau Schulze".into()),
        district_id: None,
        rides_since: Some(now),
        warnings_since: warnings.then_some(now),
        opted_out_at: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(&app.state.db)
    .await
    .expect("recipient")
}

fn message(recipient: Uuid, kind: SmsKind, text: &str, now: chrono::DateTime<Utc>) -> NewSms {
    NewSms {
        recipient_id: recipient,
        kind,
        text: text.into(),
        max_segments: 1,
        dedupe_key: None,
        ride_id: None,
        news_id: None,
        asks_reply: false,
        same_day: false,
        due_at: now,
    }
}

async fn queue(app: &TestApp, new: NewSms) {
    assert!(
        outbox::enqueue(&app.state.db, app.clock.now(), new)
            .await
            .expect("queued")
    );
}

async fn messages(app: &TestApp) -> Vec<sms_message::Model> {
    sms_message::Entity::find()
        .all(&app.state.db)
        .await
        .expect("messages")
}

async fn only_message(app: &TestApp) -> sms_message::Model {
    let mut all = messages(app).await;
    assert_eq!(all.len(), 1, "{all:?}");
    all.pop().unwrap()
}

#[tokio::test]
async fn a_queued_message_is_sent_once_in_gsm_7_and_its_cost_counted() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 500).await;
    let who = recipient(&app, NUMBER, false).await;
    let now = app.clock.now();
    queue(
        &app,
        message(
            who.id,
            SmsKind::RideConfirmed,
            "Fahrdienst: Ihre Fahrt am Do 04.06. um 09:30 ist zugesagt – „Thomas“ fährt.",
            now,
        ),
    )
    .await;
    assert_eq!(deliver_sms(&app).await, 1);
    assert_eq!(deliver_sms(&app).await, 0, "nothing is sent twice");
    let taken = fake.taken_for(NUMBER);
    assert_eq!(taken.len(), 1, "{:?}", fake.log());
    // German typography made plain: one 160-character segment instead of a 70-character one.
    assert_eq!(
        taken[0].text,
        "Fahrdienst: Ihre Fahrt am Do 04.06. um 09:30 ist zugesagt - \"Thomas\" fährt."
    );
    assert_eq!(taken[0].from, seven::OUR_NUMBER);
    let sent = only_message(&app).await;
    assert_eq!(taken[0].foreign_id, sent.id.to_string());
    assert_eq!(sent.status, SmsStatus::Sent);
    assert_eq!(sent.provider.as_deref(), Some("seven"));
    assert_eq!(sent.provider_message_id, taken[0].id);
    assert_eq!(sent.segments, 1);
    assert_eq!(sent.price_micros, Some(75_000));
    assert_eq!(sent.sent_at, Some(now));
    assert!(sent.locked_by.is_none());
    let usage = sms_usage::Entity::find()
        .all(&app.state.db)
        .await
        .expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (
            usage[0].month.as_str(),
            usage[0].kind,
            usage[0].messages,
            usage[0].segments
        ),
        ("2026-06", SmsKind::RideConfirmed, 1, 1)
    );
}

#[tokio::test]
async fn a_provider_fault_is_retried_later_and_retry_after_is_honoured() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 500).await;
    let who = recipient(&app, NUMBER, false).await;
    fake.answer(
        NUMBER,
        [
            Answer::Status(500),
            Answer::TooManyRequests {
                retry_after_secs: 600,
            },
        ],
    );
    queue(
        &app,
        message(
            who.id,
            SmsKind::RideReleased,
            "Fahrt frei.",
            app.clock.now(),
        ),
    )
    .await;
    deliver_sms(&app).await;
    let waiting = only_message(&app).await;
    assert_eq!(waiting.status, SmsStatus::Pending);
    assert!(waiting.due_at > app.clock.now(), "backoff: {waiting:?}");
    assert!(waiting.last_error.unwrap().contains("500"));
    // Not before it is due.
    assert_eq!(deliver_sms(&app).await, 0);
    app.clock.set(waiting.due_at + Duration::seconds(1));
    deliver_sms(&app).await;
    let asked = only_message(&app).await;
    assert_eq!(asked.status, SmsStatus::Pending);
    assert!(
        asked.due_at >= app.clock.now() + Duration::seconds(600),
        "the provider asked for ten minutes: {asked:?}"
    );
    app.clock.set(asked.due_at + Duration::seconds(1));
    deliver_sms(&app).await;
    assert_eq!(only_message(&app).await.status, SmsStatus::Sent);
    assert_eq!(fake.log().len(), 3);
    assert_eq!(fake.taken_for(NUMBER).len(), 1);
}

#[tokio::test]
async fn a_refused_message_fails_at_once_and_one_out_of_attempts_is_dead() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 500).await;
    let refused = recipient(&app, NUMBER, false).await;
    let failing = recipient(&app, "+491719876543", false).await;
    fake.answer(NUMBER, [Answer::Code("202")]);
    fake.answer(
        "+491719876543",
        std::iter::repeat_n(Answer::Status(503), outbox::MAX_ATTEMPTS as usize),
    );
    let now = app.clock.now();
    queue(
        &app,
        message(refused.id, SmsKind::RideCancelled, "Abgesagt.", now),
    )
    .await;
    queue(
        &app,
        message(failing.id, SmsKind::RideCancelled, "Abgesagt.", now),
    )
    .await;
    for _ in 0..outbox::MAX_ATTEMPTS {
        deliver_sms(&app).await;
        app.clock.advance(Duration::hours(24));
    }
    let by_recipient = |id: Uuid| {
        let app = &app;
        async move {
            sms_message::Entity::find()
                .filter(sms_message::Column::RecipientId.eq(id))
                .one(&app.state.db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let failed = by_recipient(refused.id).await;
    assert_eq!(failed.status, SmsStatus::Failed);
    assert_eq!(failed.attempts, 1, "a refusal is final");
    let dead = by_recipient(failing.id).await;
    assert_eq!(dead.status, SmsStatus::Dead, "{dead:?}");
    assert_eq!(dead.attempts, outbox::MAX_ATTEMPTS);
    assert!(dead.last_error.unwrap().contains("503"));
    assert_eq!(
        deliver_sms(&app).await,
        0,
        "a dead message is not tried again"
    );
    // Administrators see it, with the number masked.
    let admin = admin(&app).await;
    let status = get_as(&app, "/api/v1/sms/status", &admin.access).await;
    assert_eq!(status.status, 200, "{}", status.text);
    let status = status.json();
    assert_eq!(status["dead"][0]["number"], "+49171••••543");
    assert!(
        status["dead"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    assert_eq!(status["pending"], 0);
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 10_000).await;
    let now = app.clock.now();
    for n in 0..40 {
        let who = recipient(&app, &format!("+4917112345{n:02}"), false).await;
        queue(
            &app,
            message(
                who.id,
                SmsKind::RideReminder,
                &format!("Erinnerung {n}"),
                now,
            ),
        )
        .await;
    }
    let first = app.state.sms_worker().unwrap();
    let second = app.state.sms_worker().unwrap();
    let (a, b) = tokio::join!(first.run_due(), second.run_due());
    assert_eq!(a.unwrap() + b.unwrap(), 40);
    let log = fake.log();
    assert_eq!(log.len(), 40, "each message sent once");
    let mut references: Vec<_> = log.iter().map(|s| s.foreign_id.clone()).collect();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 40);
    assert!(
        messages(&app)
            .await
            .iter()
            .all(|m| m.status == SmsStatus::Sent)
    );
}

#[tokio::test]
async fn a_consent_withdrawn_after_queueing_cancels_and_a_cause_queues_once() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 500).await;
    let who = recipient(&app, NUMBER, false).await;
    let now = app.clock.now();
    let keyed = |text: &str| NewSms {
        dedupe_key: Some("ride_event:0190a0a0-0000-7000-8000-000000000001".into()),
        ..message(who.id, SmsKind::RideConfirmed, text, now)
    };
    queue(&app, keyed("Zugesagt.")).await;
    assert!(
        !outbox::enqueue(&app.state.db, now, keyed("Zugesagt, zweimal."))
            .await
            .unwrap(),
        "the same cause queues one message"
    );
    // A warning without consent to warnings is not sent either.
    queue(&app, message(who.id, SmsKind::Warning, "WARNUNG", now)).await;
    let mut withdrawn = who.into_active_model();
    withdrawn.rides_since = sea_orm::Set(None);
    withdrawn.update(&app.state.db).await.unwrap();
    deliver_sms(&app).await;
    assert!(fake.log().is_empty(), "{:?}", fake.log());
    let all = messages(&app).await;
    assert_eq!(all.len(), 2);
    assert!(
        all.iter().all(|m| m.status == SmsStatus::Cancelled),
        "{all:?}"
    );
}

#[tokio::test]
async fn over_the_budget_only_warnings_and_same_day_changes_go() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 3).await;
    let who = recipient(&app, NUMBER, true).await;
    let now = app.clock.now();
    for n in 0..3 {
        queue(
            &app,
            message(
                who.id,
                SmsKind::RideConfirmed,
                &format!("Zugesagt {n}"),
                now,
            ),
        )
        .await;
    }
    deliver_sms(&app).await;
    assert_eq!(fake.taken_for(NUMBER).len(), 3);
    queue(
        &app,
        message(who.id, SmsKind::RideConfirmed, "Zugesagt 4", now),
    )
    .await;
    queue(
        &app,
        NewSms {
            same_day: true,
            ..message(who.id, SmsKind::RideCancelled, "Heute abgesagt", now)
        },
    )
    .await;
    queue(
        &app,
        message(who.id, SmsKind::Warning, "WARNUNG Sturm", now),
    )
    .await;
    deliver_sms(&app).await;
    // Sent concurrently: in either order.
    let mut urgent = fake.texts_to(NUMBER)[3..].to_vec();
    urgent.sort();
    assert_eq!(urgent, ["Heute abgesagt", "WARNUNG Sturm"]);
    let over: Vec<_> = messages(&app)
        .await
        .into_iter()
        .filter(|m| m.status == SmsStatus::OverBudget)
        .collect();
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].body, "Zugesagt 4");
}

/// The admins' notices about the SMS budget in `who`'s inbox, oldest first.
async fn budget_notices(app: &TestApp, who: &Session) -> Vec<serde_json::Value> {
    let mut told: Vec<_> = inbox(app, who)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == "sms_budget")
        .collect();
    told.reverse();
    told
}

/// Sends what waits, runs the jobs (the budget's notice is one) and expands the notices.
async fn send_and_tell(app: &TestApp) {
    deliver_sms(app).await;
    run_jobs(app).await;
    deliver(app).await;
}

#[tokio::test]
async fn the_admins_are_told_once_at_80_percent_and_once_when_the_budget_is_used_up() {
    let fake = SevenFake::start().await;
    let app = sms_app(&fake, 5).await;
    let admin = admin(&app).await;
    let resident = register(&app, &unique_email("budget"), PASSWORD).await;
    let who = recipient(&app, NUMBER, true).await;
    let now = app.clock.now();
    for n in 0..3 {
        let text = format!("Zugesagt {n}");
        queue(&app, message(who.id, SmsKind::RideConfirmed, &text, now)).await;
    }
    send_and_tell(&app).await;
    assert!(budget_notices(&app, &admin).await.is_empty(), "3 of 5");

    queue(
        &app,
        message(who.id, SmsKind::RideConfirmed, "Zugesagt 3", now),
    )
    .await;
    send_and_tell(&app).await;
    let told = budget_notices(&app, &admin).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["title"], "SMS-Budget zu 80 % verbraucht");
    let body = told[0]["body"].as_str().unwrap();
    assert!(body.contains("4 von 5 SMS-Teilen"), "{body}");
    assert_eq!(told[0]["data"]["type"], "sms_status");

    // Two warnings go over the budget; the notice that it is used up comes once.
    for text in ["WARNUNG Sturm", "WARNUNG Hochwasser"] {
        queue(&app, message(who.id, SmsKind::Warning, text, now)).await;
    }
    send_and_tell(&app).await;
    send_and_tell(&app).await;
    assert_eq!(fake.texts_to(NUMBER).len(), 6);
    let told = budget_notices(&app, &admin).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[1]["title"], "SMS-Budget aufgebraucht");
    let body = told[1]["body"].as_str().unwrap();
    assert!(body.contains("5 von 5 SMS-Teilen"), "{body}");
    assert!(body.contains("nur noch Warnungen"), "{body}");

    // Residents hear nothing of it.
    assert!(budget_notices(&app, &resident).await.is_empty());
}
