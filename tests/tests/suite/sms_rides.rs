//! A rider booked by phone, told by text message (issue 21): her confirmation, the reminder, a
//! new time, her "2" by reply, the provider's signed webhooks with their hostile cases, and a
//! warning for the numbers of a district.
//! Against the fake seven.io on loopback, on the database under test.

use entity::{
    app_user, ride_callback, sms_message,
    vocab::{SmsKind, SmsStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    seven::{self, SignedWebhook, post_webhook, reply_from, signed_now},
    *,
};

const ERNA: &str = "+491711234567";

async fn sms_cast(fake: &SevenFake) -> (TestApp, Cast) {
    spawn_cast_with(|settings| fake.configure(settings)).await
}

/// The desk records Erna's consent on the phone.
async fn record_erna(app: &TestApp, crew: &Cast) -> Value {
    let reply = post_json(
        app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({
            "phone": "0171 / 123 45 67",
            "name": "Erna Schulze",
            "purposes": ["rides"],
            "method": "desk_phone",
            "note": "Einwilligungstext vorgelesen, zugestimmt.",
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()
}

/// A ride the desk books for Erna, who has no account, `minutes` after the test epoch.
fn by_phone(crew: &Cast, minutes: i64) -> Value {
    with(
        &with(
            &ride(&crew.rieder, minutes),
            "rider_name",
            json!("Erna Schulze"),
        ),
        "contact_phone",
        json!("0171 1234567"),
    )
}

async fn name_driver(app: &TestApp, session: &Session, name: &str) {
    let id: Uuid = session.user_id.parse().unwrap();
    let mut user = app_user::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    user.display_name = Set(name.into());
    user.update(&app.state.db).await.unwrap();
}

/// Runs the jobs (which queue the messages) and the SMS worker; returns the new texts to Erna.
async fn texts_after(app: &TestApp, fake: &SevenFake, before: usize) -> Vec<String> {
    run_jobs(app).await;
    deliver_sms(app).await;
    fake.texts_to(ERNA)[before..].to_vec()
}

#[tokio::test]
async fn a_rider_booked_by_phone_is_told_by_sms_and_cancels_by_replying_2() {
    let fake = SevenFake::start().await;
    let (app, mut crew) = sms_cast(&fake).await;
    name_driver(&app, &crew.driver, "Thomas Berger").await;
    let recorded = record_erna(&app, &crew).await;
    assert_eq!(recorded["phone"], ERNA);
    assert_eq!(recorded["purposes"], json!(["rides"]));
    assert_eq!(recorded["consents"][0]["method"], "desk_phone");
    assert_eq!(
        recorded["consents"][0]["recorded_by"],
        crew.dispatcher.user_id
    );
    let welcome = texts_after(&app, &fake, 0).await;
    assert_eq!(welcome.len(), 1, "{welcome:?}");
    assert!(welcome[0].contains("STOP"), "{welcome:?}");

    // Booked by the desk for 13:00 local (three hours after the epoch), accepted by Thomas.
    let ride = book(&app, &crew.dispatcher, &by_phone(&crew, 180)).await;
    let id = id_of(&ride);
    step_ok(&app, &crew.driver, &id, "accept").await;
    let confirmed = texts_after(&app, &fake, 1).await;
    assert_eq!(
        confirmed,
        [
            "Fahrdienst: Ihre Fahrt am Di 02.06. um 13:00 ist zugesagt, es fährt Sie Thomas. Antwort 1 = alles klar, 2 = absagen."
        ],
    );
    for private in ["Lindenstraße", "Hausarzt", "Krause", "Berger"] {
        assert!(
            !confirmed[0].contains(private),
            "{private} in {confirmed:?}"
        );
    }

    // The reminder, an hour before.
    app.clock.set(at(120));
    crew.renew(&app).await;
    let reminded = texts_after(&app, &fake, 2).await;
    assert_eq!(
        reminded,
        ["Fahrdienst: Heute um 13:00 holt Sie Thomas ab. Antwort 2 = absagen."]
    );

    // The desk moves the pickup by twenty minutes.
    let moved = step(
        &app,
        &crew.dispatcher,
        &id,
        "reschedule",
        json!({"pickup_at": rfc3339(at(200))}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let changed = texts_after(&app, &fake, 3).await;
    assert_eq!(
        changed,
        [
            "Fahrdienst: Neue Abholzeit für Ihre Fahrt: Di 02.06. 13:20 statt 13:00. Antwort 1 = passt, 2 = absagen."
        ]
    );

    // Delivery reports tick the messages off.
    let confirmation = fake.taken_for(ERNA)[1].clone();
    let report = signed_now(
        &app,
        "dlr",
        SignedWebhook::dlr_body(confirmation.id.as_deref().unwrap(), "DELIVERED"),
    );
    let reply = post_webhook(&app, "dlr", &report).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["outcome"], "processed");
    let stored = sms_message::Entity::find_by_id(confirmation.foreign_id.parse::<Uuid>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, SmsStatus::Delivered);
    assert_eq!(stored.provider_status.as_deref(), Some("DELIVERED"));
    // It reached her phone: the desk need not call her about the driver; the new time, not
    // reported delivered yet, still waits on the call-back list.
    let reply = get_as(&app, "/api/v1/rides/callbacks", &crew.dispatcher.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let due: Vec<_> = reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(due, ["rescheduled"]);
    let ticked = ride_callback::Entity::find()
        .filter(ride_callback::Column::Reason.eq(entity::vocab::RideCallbackReason::DriverFound))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(ticked.done_at.is_some(), "{ticked:?}");
    assert_eq!(ticked.done_by, None, "nobody of the desk called");

    // She replies "2": the ride is off, Thomas is told, and so is she.
    let driver_updates = updates_for(&app, &crew.driver).await.len();
    assert_eq!(reply_from(&app, ERNA, " 2 ").await["outcome"], "processed");
    let cancelled = ride_as(&app, &crew.dispatcher, &id).await;
    assert_eq!(cancelled["status"], "cancelled");
    let last = history(&cancelled).pop().unwrap();
    assert_eq!(last.0, "cancelled");
    let told = updates_for(&app, &crew.driver).await;
    assert_eq!(told.len(), driver_updates + 1, "the driver hears of it");
    assert!(told.last().unwrap().body.contains("entfällt"));
    let answer = texts_after(&app, &fake, 4).await;
    assert_eq!(
        answer,
        ["Fahrdienst: Ihre Fahrt am Di 02.06. um 13:20 ist abgesagt."]
    );
    // The same reply again (seven.io retried it) acts once.
    let again = SignedWebhook::inbound_body("same-id", ERNA, "2");
    let first = post_webhook(&app, "inbound", &signed_now(&app, "inbound", again.clone())).await;
    let second = post_webhook(&app, "inbound", &signed_now(&app, "inbound", again)).await;
    assert_eq!(first.json()["outcome"], "processed");
    assert_eq!(second.json()["outcome"], "resend");
}

#[tokio::test]
async fn a_reply_acts_only_on_exactly_one_open_question_and_stop_ends_everything() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    record_erna(&app, &crew).await;
    let first = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 300)).await);
    let second = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 600)).await);
    step_ok(&app, &crew.driver, &first, "accept").await;
    texts_after(&app, &fake, 0).await;
    let before = fake.texts_to(ERNA).len();

    // One question open: "1" is written to the history, nothing else changes.
    reply_from(&app, ERNA, "1").await;
    let ride = ride_as(&app, &crew.dispatcher, &first).await;
    assert_eq!(ride["status"], "accepted");
    assert!(
        ride["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["reason"] == "Per SMS bestätigt"),
        "{ride}"
    );
    let thanks = texts_after(&app, &fake, before).await;
    assert!(thanks[0].contains("ist bestätigt"), "{thanks:?}");

    // Two open questions: "2" cancels neither, she gets the help text, the desk a call-back.
    step_ok(&app, &crew.second_driver, &second, "accept").await;
    texts_after(&app, &fake, 0).await;
    let count = fake.texts_to(ERNA).len();
    reply_from(&app, ERNA, "2").await;
    for id in [&first, &second] {
        assert_eq!(
            ride_as(&app, &crew.dispatcher, id).await["status"],
            "accepted"
        );
    }
    let help = texts_after(&app, &fake, count).await;
    assert_eq!(help.len(), 1, "{help:?}");
    assert!(help[0].starts_with("Dorf-App: Antwort 1 ="), "{help:?}");
    let callbacks = ride_callback::Entity::find()
        .filter(ride_callback::Column::Reason.eq(entity::vocab::RideCallbackReason::SmsReply))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(callbacks.len(), 1);

    // STOP: what waits is cancelled, one confirmation, and later changes send nothing.
    step_ok(&app, &crew.second_driver, &second, "release").await;
    run_jobs(&app).await; // queues the release message, not yet sent
    let count = fake.texts_to(ERNA).len();
    reply_from(&app, ERNA, "Stopp").await;
    reply_from(&app, ERNA, "STOP").await;
    deliver_sms(&app).await;
    let after_stop = fake.texts_to(ERNA)[count..].to_vec();
    assert_eq!(after_stop.len(), 1, "{after_stop:?}");
    assert!(after_stop[0].contains("keine SMS mehr"), "{after_stop:?}");
    let released = sms_message::Entity::find()
        .filter(sms_message::Column::Kind.eq(SmsKind::RideReleased))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(released.status, SmsStatus::Cancelled);
    step(
        &app,
        &crew.dispatcher,
        &first,
        "cancel",
        json!({"reason": "Arzt abgesagt"}),
    )
    .await;
    assert!(texts_after(&app, &fake, count + 1).await.is_empty());
    let number = get_as(
        &app,
        &format!("/api/v1/sms/recipients?phone={}", encode(ERNA)),
        &crew.dispatcher.access,
    )
    .await
    .json();
    assert!(number["opted_out_at"].is_string());
    assert_eq!(number["purposes"], json!([]));
    let methods: Vec<&str> = number["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["desk_phone", "sms_stop"]);
}

#[tokio::test]
async fn strangers_and_chatter_cost_nothing() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    record_erna(&app, &crew).await;
    deliver_sms(&app).await;
    // An unknown sender gets no answer, and nothing is kept for their number.
    reply_from(&app, "+491719999999", "1").await;
    deliver_sms(&app).await;
    assert!(fake.texts_to("+491719999999").is_empty());
    let stranger = get_as(
        &app,
        "/api/v1/sms/recipients?phone=01719999999",
        &crew.dispatcher.access,
    )
    .await;
    stranger.assert_problem(404, "not_found");
    // Six texts of chatter in a day get five answers.
    for n in 0..6 {
        reply_from(&app, ERNA, &format!("Hallo {n}")).await;
    }
    deliver_sms(&app).await;
    let answers = fake.texts_to(ERNA).len() - 1;
    assert_eq!(answers, 5);
}

#[tokio::test]
async fn forged_stale_and_replayed_webhooks_are_refused_and_change_nothing() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    record_erna(&app, &crew).await;
    let ride = id_of(&book(&app, &crew.dispatcher, &by_phone(&crew, 300)).await);
    step_ok(&app, &crew.driver, &ride, "accept").await;
    run_jobs(&app).await;
    deliver_sms(&app).await;
    let url = seven::webhook_url(&app, "inbound");
    let now = {
        use domain::clock::Clock;
        app.clock.now().timestamp()
    };
    let body = SignedWebhook::inbound_body("m-1", ERNA, "2");
    let refused = |webhook: SignedWebhook| {
        let app = &app;
        async move {
            let reply = post_webhook(app, "inbound", &webhook).await;
            reply.assert_problem(403, "forbidden");
        }
    };
    // Signed with another key, for another URL or hook, too old, too new.
    refused(SignedWebhook::sign(
        "wrong-key",
        &url,
        now,
        "n1",
        body.clone(),
    ))
    .await;
    refused(SignedWebhook::sign(
        seven::SIGNING_KEY,
        &seven::webhook_url(&app, "dlr"),
        now,
        "n2",
        body.clone(),
    ))
    .await;
    refused(SignedWebhook::sign(
        seven::SIGNING_KEY,
        &url,
        now - 31,
        "n3",
        body.clone(),
    ))
    .await;
    refused(SignedWebhook::sign(
        seven::SIGNING_KEY,
        &url,
        now + 31,
        "n4",
        body.clone(),
    ))
    .await;
    // A changed body under the old signature.
    let mut changed = SignedWebhook::sign(seven::SIGNING_KEY, &url, now, "n5", body.clone());
    changed.body = SignedWebhook::inbound_body("m-1", ERNA, "1");
    refused(changed).await;
    // Not hex, or a header missing.
    let mut garbled = SignedWebhook::sign(seven::SIGNING_KEY, &url, now, "n6", body.clone());
    garbled.signature = "zz".repeat(32);
    refused(garbled).await;
    let response = app
        .client
        .post("/api/v1/sms/webhooks/seven/inbound")
        .content_type("application/json")
        .body(body.clone())
        .send()
        .await;
    Reply::checked(
        &poem::http::Method::POST,
        "/api/v1/sms/webhooks/seven/inbound",
        response,
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(
        ride_as(&app, &crew.dispatcher, &ride).await["status"],
        "accepted"
    );

    // 29 s old passes; upper-case hex too.
    let mut upper = SignedWebhook::sign(
        seven::SIGNING_KEY,
        &url,
        now - 29,
        "n7",
        SignedWebhook::inbound_body("m-2", ERNA, "Hilfe"),
    );
    upper.signature = upper.signature.to_uppercase();
    assert_eq!(post_webhook(&app, "inbound", &upper).await.status, 200);
    // The same nonce with the same body is a resend (200); with another body a replay (403).
    assert_eq!(post_webhook(&app, "inbound", &upper).await.status, 200);
    let replay = SignedWebhook::sign(seven::SIGNING_KEY, &url, now, "n7", body.clone());
    refused(replay).await;
    // Good signature, bad JSON: 400.
    let broken = SignedWebhook::sign(
        seven::SIGNING_KEY,
        &url,
        now,
        "n8",
        "{\"webhook_event\":".into(),
    );
    post_webhook(&app, "inbound", &broken)
        .await
        .assert_problem(400, "bad_request");
    // A report for a message that is not ours: 200, ignored.
    let unknown = signed_now(&app, "dlr", SignedWebhook::dlr_body("999", "DELIVERED"));
    assert_eq!(
        post_webhook(&app, "dlr", &unknown).await.json()["outcome"],
        "ignored"
    );
    assert_eq!(
        ride_as(&app, &crew.dispatcher, &ride).await["status"],
        "accepted"
    );
}

#[tokio::test]
async fn without_a_provider_the_webhooks_do_not_exist() {
    let app = TestApp::spawn().await;
    let webhook = SignedWebhook::sign(
        seven::SIGNING_KEY,
        "http://127.0.0.1:8080/api/v1/sms/webhooks/seven/inbound",
        0,
        "n",
        SignedWebhook::inbound_body("x", ERNA, "2"),
    );
    post_webhook(&app, "inbound", &webhook)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_warning_reaches_the_numbers_of_its_district_at_once_even_at_night() {
    let fake = SevenFake::start().await;
    let (app, mut crew) = sms_cast(&fake).await;
    for (phone, district) in [
        ("0171 1234567", &crew.rieder),
        ("0171 7654321", &crew.badeborn),
    ] {
        let reply = post_json(
            &app,
            "/api/v1/sms/recipients",
            Some(&crew.dispatcher.access),
            json!({"phone": phone, "district_id": district, "purposes": ["warnings"], "method": "desk_phone"}),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    deliver_sms(&app).await;
    // 23:30 local: inside the quiet hours, which a warning does not wait for.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-06-02T21:30:00Z")
            .unwrap()
            .to_utc(),
    );
    crew.renew(&app).await;
    let mut warning = item("Sturmwarnung für Rieder", &[&crew.rieder]);
    warning["category"] = json!("warning");
    warning["notify"] = json!(true);
    warning["body"] =
        json!("Bitte **Fenster schließen** und nicht in den Wald gehen.\n\nMehr im Amtsblatt.");
    publish(&app, &crew.leader, warning).await;
    run_jobs(&app).await;
    run_jobs(&app).await;
    deliver_sms(&app).await;
    assert_eq!(
        fake.texts_to(ERNA)[1..],
        ["WARNUNG Rieder: Sturmwarnung für Rieder. Bitte Fenster schließen und nicht in den Wald gehen.".to_owned()]
    );
    assert_eq!(
        fake.texts_to("+491717654321").len(),
        1,
        "only the welcome in Badeborn"
    );
    // Published again (a repeat of the job) sends nothing twice.
    run_jobs(&app).await;
    deliver_sms(&app).await;
    assert_eq!(fake.texts_to(ERNA).len(), 2);
}

#[tokio::test]
async fn a_warning_deleted_before_its_messages_went_out_sends_nothing() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let reply = post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": ERNA, "district_id": &crew.rieder, "purposes": ["warnings"], "method": "desk_phone"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    deliver_sms(&app).await;
    let mut warning = item("Sturmwarnung (Irrtum)", &[&crew.rieder]);
    warning["category"] = json!("warning");
    warning["notify"] = json!(true);
    let published = publish(&app, &crew.leader, warning).await;
    // The messages are queued, not yet sent, when the mayor takes the item down.
    run_jobs(&app).await;
    let queued = sms_message::Entity::find()
        .filter(sms_message::Column::Kind.eq(SmsKind::Warning))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let path = path_of(published["id"].as_str().unwrap());
    let deleted = delete_json(&app, &path, Some(&crew.leader.access), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    deliver_sms(&app).await;
    assert_eq!(fake.texts_to(ERNA).len(), 1, "only the welcome");
    let cancelled = sms_message::Entity::find_by_id(queued[0].id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cancelled.status, SmsStatus::Cancelled);
    assert_eq!(cancelled.news_id, None, "the item is gone");
}
