//! Anliegen, as the people involved notice them: a resident files a concern, the district
//! reviews and forwards it, the town's staff work on it and close it, every step answered; the
//! author and supporters are told whatever categories they chose; a published Anliegen shows
//! no author; who may do what (every role, every operation); races; hostile input; quotas.

use futures::future::join_all;
use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Cast, PASSWORD, PushService, Reply, Session, TestApp, assert_conflict, assert_invalid_field,
    get_anonymous, get_as, grant, id_of, inbox, post_json, put_json, register, send, send_empty,
    settle, spawn_cast, spawn_cast_with, unique_email,
};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The town's staff: town-wide, for the topic `strassen-wege`, and for another topic.
struct Town {
    staff: Session,
    roads: Session,
    lighting: Session,
    roads_topic: String,
}

async fn topic_id(app: &TestApp, slug: &str) -> String {
    let reply = get_anonymous(app, "/api/v1/anliegen-topics").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let topics = reply.json();
    topics
        .as_array()
        .and_then(|all| all.iter().find(|t| t["slug"] == slug))
        .map(id_of)
        .unwrap_or_else(|| panic!("topic {slug}: {topics}"))
}

async fn town_staff(app: &TestApp, admin: &Session, topic: Option<&str>) -> Session {
    let session = register(app, &unique_email("verwaltung"), PASSWORD).await;
    let reply = grant(
        app,
        admin,
        &session.user_id,
        json!({"role": "town_staff", "topic_id": topic}),
    )
    .await;
    assert_eq!(reply.status, 201, "grant town_staff: {}", reply.text);
    session
}

async fn town(app: &TestApp, crew: &Cast) -> Town {
    let roads_topic = topic_id(app, "strassen-wege").await;
    let lighting_topic = topic_id(app, "beleuchtung").await;
    Town {
        staff: town_staff(app, &crew.admin, None).await,
        roads: town_staff(app, &crew.admin, Some(&roads_topic)).await,
        lighting: town_staff(app, &crew.admin, Some(&lighting_topic)).await,
        roads_topic,
    }
}

fn concern(district: &str) -> Value {
    json!({
        "kind": "defect",
        "title": "Schlagloch in der Lindenstraße",
        "description": "Vor Hausnummer 12 ist ein tiefes Loch; mein Nachbar Herr Krause ist dort gestürzt.",
        "district_id": district,
        "place": "Lindenstraße 12",
        "location": {"lat": 51.718923, "lon": 11.232156},
    })
}

async fn file_reply(app: &TestApp, who: &Session, body: &Value) -> Reply {
    post_json(app, "/api/v1/anliegen", Some(&who.access), body.clone()).await
}

async fn file(app: &TestApp, who: &Session, district: &str) -> String {
    let reply = file_reply(app, who, &concern(district)).await;
    assert_eq!(reply.status, 201, "file: {}", reply.text);
    id_of(&reply.json())
}

fn path(id: &str) -> String {
    format!("/api/v1/anliegen/{id}")
}

async fn step_reply(app: &TestApp, who: &Session, id: &str, body: Value) -> Reply {
    post_json(
        app,
        &format!("{}/transitions", path(id)),
        Some(&who.access),
        body,
    )
    .await
}

async fn step(app: &TestApp, who: &Session, id: &str, to: &str, answer: &str) -> Value {
    let reply = step_reply(app, who, id, json!({"to": to, "answer": answer})).await;
    assert_eq!(reply.status, 200, "{to}: {}", reply.text);
    reply.json()
}

async fn forward(app: &TestApp, who: &Session, id: &str, topic: &str) -> Value {
    let reply = step_reply(
        app,
        who,
        id,
        json!({"to": "forwarded", "answer": "Das übernimmt der Bauhof der Stadt.", "topic_id": topic}),
    )
    .await;
    assert_eq!(reply.status, 200, "forward: {}", reply.text);
    reply.json()
}

async fn publish(app: &TestApp, who: &Session, id: &str) -> Value {
    let reply = post_json(
        app,
        &format!("{}/publish", path(id)),
        Some(&who.access),
        json!({
            "title": "Schlagloch in der Lindenstraße",
            "description": "Vor Hausnummer 12 ist ein tiefes Loch.",
            "place": "Lindenstraße 12",
            "show_location": true,
        }),
    )
    .await;
    assert_eq!(reply.status, 200, "publish: {}", reply.text);
    reply.json()
}

async fn get_reply(app: &TestApp, who: Option<&Session>, id: &str) -> Reply {
    send(
        app,
        Method::GET,
        &path(id),
        who.map(|s| s.access.as_str()),
        &[],
        None,
    )
    .await
}

async fn put(app: &TestApp, who: &Session, path: &str) -> Reply {
    send_empty(app, Method::PUT, path, Some(&who.access)).await
}

async fn delete(app: &TestApp, who: &Session, path: &str) -> Reply {
    send_empty(app, Method::DELETE, path, Some(&who.access)).await
}

fn statuses(item: &Value) -> Vec<(String, String)> {
    item["history"]
        .as_array()
        .unwrap_or_else(|| panic!("history: {item}"))
        .iter()
        .filter(|e| e["kind"] == "transition")
        .map(|e| {
            (
                e["to_status"].as_str().unwrap_or_default().to_owned(),
                e["actor_role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {page}"))
        .iter()
        .map(id_of)
        .collect()
}

/// The Anliegen notifications in someone's inbox, oldest first: (title, body).
async fn anliegen_inbox(app: &TestApp, who: &Session) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = inbox(app, who)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "anliegen_update")
        .map(|e| {
            (
                e["title"].as_str().unwrap_or_default().to_owned(),
                e["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

async fn vapid_key(app: &TestApp) -> String {
    let reply = get_anonymous(app, "/api/v1/push/vapid-public-key").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["public_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn device(app: &TestApp, service: &PushService, who: &Session) -> crate::support::Device {
    let device = service.new_device();
    let reply = post_json(
        app,
        "/api/v1/push/subscriptions",
        Some(&who.access),
        device.subscription_json(),
    )
    .await;
    assert_eq!(reply.status, 201, "subscribe: {}", reply.text);
    device
}

// ---------------------------------------------------------------------------------------------
// The whole way, as the people involved see it.

#[tokio::test]
async fn a_concern_goes_from_the_resident_through_district_and_town_to_done_answered_at_each_step()
{
    let (app, crew) = spawn_cast().await;
    let town = town(&app, &crew).await;
    let created = file_reply(&app, &crew.resident, &concern(&crew.rieder)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created.json());
    assert_eq!(created.header("location"), Some(path(&id).as_str()));
    let filed = created.json();
    assert_eq!(filed["status"], "received");
    assert_eq!(filed["publication"], "private");
    assert_eq!(filed["full_view"], true);
    assert_eq!(filed["author"]["user_id"], crew.resident.user_id.as_str());
    assert_eq!(filed["author"]["source"], "app");
    assert_eq!(filed["following"], true);
    assert_eq!(filed["supported"], false);
    assert_eq!(filed["location"]["lat"], 51.718923);

    // The district's leader finds it in the queue; the leader of Badeborn does not.
    let queue = get_as(&app, "/api/v1/anliegen/queue", &crew.leader.access).await;
    assert_eq!(ids_of(&queue.json()), vec![id.clone()]);
    let far = get_as(&app, "/api/v1/anliegen/queue", &crew.far_leader.access).await;
    assert!(ids_of(&far.json()).is_empty());

    step(
        &app,
        &crew.leader,
        &id,
        "in_review",
        "Danke, wir schauen uns das an.",
    )
    .await;
    // Not the town's yet: its staff neither see it nor may move it.
    get_reply(&app, Some(&town.staff), &id)
        .await
        .assert_problem(404, "not_found");
    let forwarded = forward(&app, &crew.leader, &id, &town.roads_topic).await;
    assert_eq!(forwarded["status"], "forwarded");
    assert_eq!(forwarded["topic"]["slug"], "strassen-wege");
    // Forwarded: the district no longer starts or closes it, the town does.
    let late = step_reply(
        &app,
        &crew.leader,
        &id,
        json!({"to": "done", "answer": "Erledigt."}),
    )
    .await;
    assert_conflict(&late, "forwarded");
    let roads_queue = get_as(&app, "/api/v1/anliegen/queue", &town.roads.access).await;
    assert_eq!(ids_of(&roads_queue.json()), vec![id.clone()]);
    let lighting_queue = get_as(&app, "/api/v1/anliegen/queue", &town.lighting.access).await;
    assert!(ids_of(&lighting_queue.json()).is_empty());
    step(
        &app,
        &town.roads,
        &id,
        "in_progress",
        "Der Bauhof kommt am Donnerstag.",
    )
    .await;
    let done = step(&app, &town.staff, &id, "done", "Das Loch ist geflickt.").await;
    assert_eq!(done["status"], "done");
    assert!(done["closed_at"].is_string(), "{done}");
    assert_eq!(
        statuses(&done),
        [
            ("received", "author"),
            ("in_review", "district_leader"),
            ("forwarded", "district_leader"),
            ("in_progress", "town_staff"),
            ("done", "town_staff"),
        ]
        .map(|(s, r)| (s.to_owned(), r.to_owned()))
    );

    // The author was told of every step, with its answer, in order.
    settle(&app).await;
    let told = anliegen_inbox(&app, &crew.resident).await;
    let bodies: Vec<&str> = told.iter().map(|(_, body)| body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "Danke, wir schauen uns das an.",
            "Das übernimmt der Bauhof der Stadt.",
            "Der Bauhof kommt am Donnerstag.",
            "Das Loch ist geflickt.",
        ]
    );
    assert!(told[3].0.contains("erledigt"), "{told:?}");
    // The leader heard of the new Anliegen; the roads staff of the forwarding.
    let leader_inbox = inbox(&app, &crew.leader).await;
    assert!(
        leader_inbox.iter().any(|e| e["kind"] == "anliegen_queue"),
        "{leader_inbox:?}"
    );
    let roads_inbox = inbox(&app, &town.roads).await;
    assert!(
        roads_inbox.iter().any(|e| e["kind"] == "anliegen_queue"),
        "{roads_inbox:?}"
    );
    assert!(inbox(&app, &town.lighting).await.is_empty());
    // A closed Anliegen takes no further step; an answer still goes.
    let again = step_reply(
        &app,
        &crew.admin,
        &id,
        json!({"to": "declined", "answer": "Nein."}),
    )
    .await;
    assert_conflict(&again, "done");
    let answered = post_json(
        &app,
        &format!("{}/answers", path(&id)),
        Some(&town.staff.access),
        json!({"answer": "Nachtrag: Die ganze Straße wird im Frühjahr neu gemacht."}),
    )
    .await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    let mine = get_as(&app, "/api/v1/anliegen/mine", &crew.resident.access).await;
    assert_eq!(ids_of(&mine.json()), vec![id]);
}

#[tokio::test]
async fn the_author_gets_every_answer_pushed_whatever_they_chose_and_muting_keeps_the_inbox() {
    let (app, crew) = spawn_cast().await;
    let service = PushService::start().await;
    service.trust_vapid_key(&vapid_key(&app).await);
    let phone = device(&app, &service, &crew.resident).await;
    // Every category off, ride and shop updates off.
    let reply = put_json(
        &app,
        "/api/v1/me/notification-preferences",
        Some(&crew.resident.access),
        json!({
            "news_categories": [],
            "district_ids": [],
            "shop_updates": false,
            "ride_updates": false,
            "quiet_hours": null,
        }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let id = file(&app, &crew.resident, &crew.rieder).await;
    step(
        &app,
        &crew.leader,
        &id,
        "in_review",
        "Wir prüfen das bis Freitag.",
    )
    .await;
    settle(&app).await;
    let pushed = service.payloads(&phone);
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["kind"], "anliegen_update");
    assert_eq!(pushed[0]["body"], "Wir prüfen das bis Freitag.");
    assert_eq!(pushed[0]["data"]["type"], "anliegen");
    assert_eq!(pushed[0]["data"]["id"], id.as_str());

    // Muted: no more pushes about it, but the inbox keeps every answer.
    assert_eq!(
        put(&app, &crew.resident, &format!("{}/mute", path(&id)))
            .await
            .status,
        204
    );
    assert_eq!(
        get_reply(&app, Some(&crew.resident), &id).await.json()["muted"],
        true
    );
    step(
        &app,
        &crew.leader,
        &id,
        "in_progress",
        "Der Bauhof ist informiert.",
    )
    .await;
    settle(&app).await;
    assert_eq!(service.payloads(&phone).len(), 1, "no push while muted");
    let told = anliegen_inbox(&app, &crew.resident).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[1].1, "Der Bauhof ist informiert.");

    assert_eq!(
        delete(&app, &crew.resident, &format!("{}/mute", path(&id)))
            .await
            .status,
        204
    );
    step(&app, &crew.leader, &id, "done", "Erledigt, danke!").await;
    settle(&app).await;
    assert_eq!(
        service.payloads(&phone).len(),
        2,
        "pushed again once unmuted"
    );
    // Someone who does not follow it cannot mute it.
    put(&app, &crew.neighbour, &format!("{}/mute", path(&id)))
        .await
        .assert_problem(404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Public, and careful.

#[tokio::test]
async fn a_published_anliegen_shows_the_checked_text_and_never_its_author() {
    let (app, crew) = spawn_cast().await;
    let id = file(&app, &crew.resident, &crew.rieder).await;
    // Private: nobody else knows it exists.
    get_reply(&app, None, &id)
        .await
        .assert_problem(404, "not_found");
    get_reply(&app, Some(&crew.neighbour), &id)
        .await
        .assert_problem(404, "not_found");
    let list = get_anonymous(&app, "/api/v1/anliegen").await;
    assert!(ids_of(&list.json()).is_empty());

    let published = publish(&app, &crew.leader, &id).await;
    assert_eq!(published["publication"], "published");
    let public = get_reply(&app, None, &id).await;
    assert_eq!(public.status, 200, "{}", public.text);
    let public = public.json();
    assert_eq!(public["full_view"], false);
    assert_eq!(
        public["description"],
        "Vor Hausnummer 12 ist ein tiefes Loch."
    );
    assert!(public["author"].is_null(), "{public}");
    assert!(!public.to_string().contains("Krause"), "{public}");
    assert!(
        !public.to_string().contains(&crew.resident.user_id),
        "{public}"
    );
    assert_eq!(public["location"]["lon"], 11.232156);
    // The public history has the steps and answers, not the publication itself.
    assert_eq!(
        statuses(&public),
        [("received".to_owned(), "author".to_owned())]
    );
    assert_eq!(public["history"].as_array().map(Vec::len), Some(1));
    let listed = get_anonymous(
        &app,
        &format!("/api/v1/anliegen?district_id={}", crew.rieder),
    )
    .await;
    assert_eq!(ids_of(&listed.json()), vec![id.clone()]);
    let elsewhere = get_anonymous(
        &app,
        &format!("/api/v1/anliegen?district_id={}", crew.badeborn),
    )
    .await;
    assert!(ids_of(&elsewhere.json()).is_empty());
    // Published twice: the second is too late.
    let twice = post_json(
        &app,
        &format!("{}/publish", path(&id)),
        Some(&crew.leader.access),
        json!({"title": "x", "description": "y"}),
    )
    .await;
    assert_conflict(&twice, "published");

    // Taken down: gone for the public, and the author is told why.
    let hidden = post_json(
        &app,
        &format!("{}/hide", path(&id)),
        Some(&crew.leader.access),
        json!({"reason": "Enthält den Namen eines Nachbarn."}),
    )
    .await;
    assert_eq!(hidden.status, 200, "{}", hidden.text);
    get_reply(&app, None, &id)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        get_reply(&app, Some(&crew.resident), &id).await.json()["hidden_reason"],
        "Enthält den Namen eines Nachbarn."
    );
    settle(&app).await;
    let told = anliegen_inbox(&app, &crew.resident).await;
    assert!(
        told.iter()
            .any(|(_, body)| body.contains("Enthält den Namen")),
        "{told:?}"
    );
    let back = post_json(
        &app,
        &format!("{}/unhide", path(&id)),
        Some(&crew.leader.access),
        json!({}),
    )
    .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(get_reply(&app, None, &id).await.status, 200);
}

#[tokio::test]
async fn supporters_say_ich_auch_once_and_hear_every_later_step() {
    let (app, crew) = spawn_cast().await;
    let id = file(&app, &crew.resident, &crew.rieder).await;
    let support = format!("{}/support", path(&id));
    // Not public yet: there is nothing to support.
    put(&app, &crew.neighbour, &support)
        .await
        .assert_problem(404, "not_found");
    publish(&app, &crew.leader, &id).await;
    assert_eq!(put(&app, &crew.neighbour, &support).await.status, 204);
    assert_eq!(put(&app, &crew.neighbour, &support).await.status, 204);
    assert_eq!(put(&app, &crew.rider, &support).await.status, 204);
    let seen = get_reply(&app, Some(&crew.neighbour), &id).await.json();
    assert_eq!(seen["supporter_count"], 2, "{seen}");
    assert_eq!(seen["supported"], true);
    // The author's own: 409.
    assert_conflict(&put(&app, &crew.resident, &support).await, "eigene");

    step(&app, &crew.leader, &id, "in_progress", "Wird repariert.").await;
    settle(&app).await;
    assert_eq!(
        anliegen_inbox(&app, &crew.neighbour).await,
        vec![(
            "„Schlagloch in der Lindenstraße“: in Arbeit".to_owned(),
            "Wird repariert.".to_owned()
        )]
    );
    assert_eq!(delete(&app, &crew.rider, &support).await.status, 204);
    assert_eq!(delete(&app, &crew.rider, &support).await.status, 204);
    step(&app, &crew.leader, &id, "done", "Fertig.").await;
    settle(&app).await;
    assert_eq!(
        anliegen_inbox(&app, &crew.rider).await.len(),
        1,
        "withdrawn: only the first"
    );
    assert_eq!(anliegen_inbox(&app, &crew.neighbour).await.len(), 2);
    // Closed: no new support.
    assert_conflict(&put(&app, &crew.operator, &support).await, "offen");
    // The author's follow cannot be withdrawn as support.
    assert_eq!(delete(&app, &crew.resident, &support).await.status, 204);
    assert_eq!(
        get_reply(&app, Some(&crew.resident), &id).await.json()["following"],
        true
    );
}

#[tokio::test]
async fn a_duplicate_is_merged_and_its_followers_follow_the_survivor() {
    let (app, crew) = spawn_cast().await;
    let first = file(&app, &crew.resident, &crew.rieder).await;
    let second = file(&app, &crew.neighbour, &crew.rieder).await;
    let elsewhere = file(&app, &crew.rider, &crew.badeborn).await;
    for (target, why) in [
        (second.clone(), "itself"),
        (elsewhere.clone(), "another district"),
        (uuid::Uuid::now_v7().to_string(), "unknown"),
    ] {
        let reply = step_reply(
            &app,
            &crew.admin,
            &second,
            json!({"to": "duplicate", "answer": "Doppelt.", "duplicate_of": target}),
        )
        .await;
        assert_eq!(reply.status, 422, "{why}: {}", reply.text);
        assert_invalid_field(&reply, "duplicate_of");
    }
    assert_invalid_field(
        &step_reply(
            &app,
            &crew.leader,
            &second,
            json!({"to": "duplicate", "answer": "Doppelt."}),
        )
        .await,
        "duplicate_of",
    );
    let merged = step_reply(
        &app,
        &crew.leader,
        &second,
        json!({"to": "duplicate", "answer": "Das wurde schon gemeldet.", "duplicate_of": first}),
    )
    .await;
    assert_eq!(merged.status, 200, "{}", merged.text);
    assert_eq!(merged.json()["duplicate_of"], first.as_str());
    // The survivor cannot be merged into the merged one (no cycles).
    let back = step_reply(
        &app,
        &crew.leader,
        &first,
        json!({"to": "duplicate", "answer": "x", "duplicate_of": second}),
    )
    .await;
    assert_invalid_field(&back, "duplicate_of");
    step(&app, &crew.leader, &first, "done", "Repariert.").await;
    settle(&app).await;
    let told = anliegen_inbox(&app, &crew.neighbour).await;
    let bodies: Vec<&str> = told.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies, ["Das wurde schon gemeldet.", "Repariert."]);
}

#[tokio::test]
async fn of_two_handlers_closing_at_once_exactly_one_wins() {
    let (app, crew) = spawn_cast().await;
    for _ in 0..3 {
        let id = file(&app, &crew.resident, &crew.rieder).await;
        let replies = join_all([
            step_reply(
                &app,
                &crew.leader,
                &id,
                json!({"to": "done", "answer": "Erledigt."}),
            ),
            step_reply(
                &app,
                &crew.admin,
                &id,
                json!({"to": "declined", "answer": "Nicht zuständig."}),
            ),
        ])
        .await;
        let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(
            won.len(),
            1,
            "{:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        let lost = replies.iter().find(|r| r.status != 200).expect("a loser");
        let winner = won[0].json()["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_conflict(lost, &winner);
        let item = get_reply(&app, Some(&crew.resident), &id).await.json();
        assert_eq!(
            statuses(&item).len(),
            2,
            "one closing in the history: {item}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Filing on someone's behalf; retries; quotas; hostile input.

#[tokio::test]
async fn the_ride_desk_files_for_a_caller_without_an_account() {
    let (app, crew) = spawn_cast().await;
    let mut body = concern(&crew.rieder);
    body["author_name"] = json!("Erna Schulze");
    body["contact_phone"] = json!("039483 98765");
    let filed = file_reply(&app, &crew.dispatcher, &body).await;
    assert_eq!(filed.status, 201, "{}", filed.text);
    let filed = filed.json();
    assert_eq!(filed["author"]["name"], "Erna Schulze");
    assert_eq!(filed["author"]["user_id"], Value::Null);
    assert_eq!(filed["author"]["source"], "phone");
    assert_eq!(
        statuses(&filed),
        [("received".to_owned(), "dispatcher".to_owned())]
    );
    let id = id_of(&filed);
    let mine = get_as(&app, "/api/v1/anliegen/mine", &crew.dispatcher.access).await;
    assert_eq!(ids_of(&mine.json()), vec![id.clone()]);
    // A resident may not file for others.
    assert_eq!(file_reply(&app, &crew.resident, &body).await.status, 403);
    // Without a phone number the answer cannot reach her.
    let mut no_phone = body.clone();
    no_phone["contact_phone"] = Value::Null;
    assert_invalid_field(
        &file_reply(&app, &crew.dispatcher, &no_phone).await,
        "contact_phone",
    );
    // For a resident with an account: the resident is the author and follows it.
    let mut for_resident = concern(&crew.rieder);
    for_resident["author_user_id"] = json!(crew.neighbour.user_id);
    let theirs = file_reply(&app, &crew.dispatcher, &for_resident)
        .await
        .json();
    assert_eq!(theirs["author"]["user_id"], crew.neighbour.user_id.as_str());
    let their_view = get_reply(&app, Some(&crew.neighbour), &id_of(&theirs))
        .await
        .json();
    assert_eq!(their_view["following"], true);
}

#[tokio::test]
async fn a_retried_filing_files_once() {
    let (app, crew) = spawn_cast().await;
    let key = [("Idempotency-Key", "anliegen-retry-1")];
    let body = concern(&crew.rieder);
    let token = Some(crew.resident.access.as_str());
    let first = send(
        &app,
        Method::POST,
        "/api/v1/anliegen",
        token,
        &key,
        Some(&body),
    )
    .await;
    let second = send(
        &app,
        Method::POST,
        "/api/v1/anliegen",
        token,
        &key,
        Some(&body),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(id_of(&first.json()), id_of(&second.json()));
    let mine = get_as(&app, "/api/v1/anliegen/mine", &crew.resident.access).await;
    assert_eq!(ids_of(&mine.json()).len(), 1);
}

#[tokio::test]
async fn filing_and_supporting_have_a_ceiling_per_person() {
    let (app, crew) = spawn_cast_with(|s| {
        s.quota_anliegen_per_person_per_day = 2;
        s.quota_anliegen_supports_per_hour = 1;
    })
    .await;
    let a = file(&app, &crew.resident, &crew.rieder).await;
    let b = file(&app, &crew.resident, &crew.rieder).await;
    let third = file_reply(&app, &crew.resident, &concern(&crew.rieder)).await;
    third.assert_problem(429, "rate_limited");
    assert!(third.header("retry-after").is_some(), "{:?}", third.text);
    // The desk filing for callers is not held to one person's ceiling.
    let mut for_caller = concern(&crew.rieder);
    for_caller["author_name"] = json!("Erna Schulze");
    for_caller["contact_phone"] = json!("039483 98765");
    for _ in 0..3 {
        assert_eq!(
            file_reply(&app, &crew.dispatcher, &for_caller).await.status,
            201
        );
    }
    publish(&app, &crew.leader, &a).await;
    publish(&app, &crew.leader, &b).await;
    assert_eq!(
        put(&app, &crew.neighbour, &format!("{}/support", path(&a)))
            .await
            .status,
        204
    );
    put(&app, &crew.neighbour, &format!("{}/support", path(&b)))
        .await
        .assert_problem(429, "rate_limited");
    let b_view = get_reply(&app, None, &b).await.json();
    assert_eq!(
        b_view["supporter_count"], 0,
        "a refused support leaves nothing behind"
    );
}

#[tokio::test]
async fn hostile_input_gets_a_clear_answer_naming_the_field() {
    let (app, crew) = spawn_cast().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"location": {"lat": 91.0, "lon": 11.0}}),
            "location.lat",
        ),
        (
            json!({"location": {"lat": 51.0, "lon": -181.0}}),
            "location.lon",
        ),
        (json!({"title": "\u{200B}\u{202E} "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"description": "y".repeat(4001)}), "description"),
        (json!({"place": "z".repeat(301)}), "place"),
        (json!({"district_id": uuid::Uuid::now_v7()}), "district_id"),
        (json!({"contact_phone": "039483 1234"}), "contact_phone"),
        (
            json!({"images": [{"id": uuid::Uuid::now_v7(), "alt": "Foto"}]}),
            "images[0].id",
        ),
        (json!({"kind": "complaint"}), "kind"),
    ];
    for (change, field) in cases {
        let mut body = concern(&crew.rieder);
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        let reply = file_reply(&app, &crew.resident, &body).await;
        assert_invalid_field(&reply, field);
    }
    let id = file(&app, &crew.resident, &crew.rieder).await;
    for (body, field) in [
        (json!({"to": "in_review", "answer": ""}), "answer"),
        (
            json!({"to": "in_review", "answer": "a".repeat(4001)}),
            "answer",
        ),
        (json!({"to": "forwarded", "answer": "Weiter."}), "topic_id"),
        (
            json!({"to": "forwarded", "answer": "Weiter.", "topic_id": uuid::Uuid::now_v7()}),
            "topic_id",
        ),
        (
            json!({"to": "in_review", "answer": "Ok.", "topic_id": uuid::Uuid::now_v7()}),
            "topic_id",
        ),
        (json!({"to": "erledigt", "answer": "Ok."}), "to"),
    ] {
        assert_invalid_field(&step_reply(&app, &crew.leader, &id, body).await, field);
    }
    let received = step_reply(
        &app,
        &crew.leader,
        &id,
        json!({"to": "received", "answer": "Zurück."}),
    )
    .await;
    received.assert_problem(403, "forbidden");
    let bad_cursor = get_anonymous(&app, "/api/v1/anliegen?cursor=kaputt").await;
    bad_cursor.assert_problem(400, "bad_request");
    let garbage = send(
        &app,
        Method::GET,
        "/api/v1/anliegen/not-a-uuid",
        None,
        &[],
        None,
    )
    .await;
    garbage.assert_problem(400, "bad_request");
}

// ---------------------------------------------------------------------------------------------
// Who may do what: every operation against every role.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Anonymous,
    Resident,
    /// Said "Ich auch" to the published one.
    Supporter,
    Author,
    Leader,
    FarLeader,
    TownStaff,
    OtherTopicStaff,
    Dispatcher,
    Admin,
}

const ROLES: [Role; 10] = [
    Role::Anonymous,
    Role::Resident,
    Role::Supporter,
    Role::Author,
    Role::Leader,
    Role::FarLeader,
    Role::TownStaff,
    Role::OtherTopicStaff,
    Role::Dispatcher,
    Role::Admin,
];

fn session<'a>(crew: &'a Cast, town: &'a Town, role: Role) -> Option<&'a Session> {
    match role {
        Role::Anonymous => None,
        Role::Resident => Some(&crew.neighbour),
        Role::Supporter => Some(&crew.rider),
        Role::Author => Some(&crew.resident),
        Role::Leader => Some(&crew.leader),
        Role::FarLeader => Some(&crew.far_leader),
        Role::TownStaff => Some(&town.staff),
        Role::OtherTopicStaff => Some(&town.lighting),
        Role::Dispatcher => Some(&crew.dispatcher),
        Role::Admin => Some(&crew.admin),
    }
}

async fn as_role(
    app: &TestApp,
    who: Option<&Session>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    send(
        app,
        method,
        path,
        who.map(|s| s.access.as_str()),
        &[],
        body.as_ref(),
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn every_anliegen_operation_answers_each_role_as_the_rules_say() {
    // One author files an Anliegen per role and step here: more than a day's quota.
    let (app, crew) = spawn_cast_with(|s| s.quota_anliegen_per_person_per_day = 1_000).await;
    let town = town(&app, &crew).await;
    use Role::*;
    // Reading a private, then a forwarded, then a published Anliegen.
    let private = file(&app, &crew.resident, &crew.rieder).await;
    let forwarded = file(&app, &crew.resident, &crew.rieder).await;
    forward(&app, &crew.leader, &forwarded, &town.roads_topic).await;
    let public = file(&app, &crew.resident, &crew.rieder).await;
    publish(&app, &crew.leader, &public).await;
    assert_eq!(
        put(&app, &crew.rider, &format!("{}/support", path(&public)))
            .await
            .status,
        204
    );
    let figures = format!("/api/v1/districts/{}/anliegen-figures", crew.rieder);
    for role in ROLES {
        let who = session(&crew, &town, role);
        let private_status = as_role(&app, who, Method::GET, &path(&private), None).await;
        let expected = match role {
            Author | Leader | Admin => 200,
            _ => 404,
        };
        assert_eq!(private_status, expected, "get private as {role:?}");
        let forwarded_status = as_role(&app, who, Method::GET, &path(&forwarded), None).await;
        let expected = match role {
            Author | Leader | Admin | TownStaff => 200,
            _ => 404,
        };
        assert_eq!(forwarded_status, expected, "get forwarded as {role:?}");
        assert_eq!(
            as_role(&app, who, Method::GET, &path(&public), None).await,
            200,
            "get published as {role:?}"
        );
        let queue = as_role(&app, who, Method::GET, "/api/v1/anliegen/queue", None).await;
        let expected = match role {
            Anonymous => 401,
            Leader | FarLeader | TownStaff | OtherTopicStaff | Admin => 200,
            _ => 403,
        };
        assert_eq!(queue, expected, "queue as {role:?}");
        let mine = as_role(&app, who, Method::GET, "/api/v1/anliegen/mine", None).await;
        assert_eq!(
            mine,
            if role == Anonymous { 401 } else { 200 },
            "mine as {role:?}"
        );
        for public_path in ["/api/v1/anliegen", "/api/v1/anliegen/map", figures.as_str()] {
            assert_eq!(
                as_role(&app, who, Method::GET, public_path, None).await,
                200,
                "{public_path} as {role:?}"
            );
        }
        let filed = as_role(
            &app,
            who,
            Method::POST,
            "/api/v1/anliegen",
            Some(concern(&crew.rieder)),
        )
        .await;
        assert_eq!(
            filed,
            if role == Anonymous { 401 } else { 201 },
            "file as {role:?}"
        );
    }

    // Each step on a fresh Anliegen per role, so one role's success does not change the next.
    let review = json!({"to": "in_review", "answer": "Wir prüfen."});
    for role in ROLES {
        let who = session(&crew, &town, role);
        let id = file(&app, &crew.resident, &crew.rieder).await;
        let status = as_role(
            &app,
            who,
            Method::POST,
            &format!("{}/transitions", path(&id)),
            Some(review.clone()),
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            Leader | Admin => 200,
            Author => 403,
            _ => 404,
        };
        assert_eq!(status, expected, "in_review as {role:?}");
        // Answers and publication: handlers only; the author sees it but may not.
        for (op, body) in [
            ("answers", json!({"answer": "Antwort."})),
            ("publish", json!({"title": "T", "description": "D"})),
        ] {
            let status = as_role(
                &app,
                who,
                Method::POST,
                &format!("{}/{op}", path(&id)),
                Some(body),
            )
            .await;
            let expected = match role {
                Anonymous => 401,
                Leader | Admin => 200,
                Author => 403,
                _ => 404,
            };
            assert_eq!(status, expected, "{op} as {role:?}");
        }
        // Published (by the leader where this role could not): moderation is the handlers';
        // everyone else, who sees it now, gets 403.
        if !matches!(role, Leader | Admin) {
            publish(&app, &crew.leader, &id).await;
        }
        let status = as_role(
            &app,
            who,
            Method::POST,
            &format!("{}/hide", path(&id)),
            Some(json!({"reason": "Grund."})),
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            Leader | Admin => 200,
            _ => 403,
        };
        assert_eq!(status, expected, "hide as {role:?}");
        // Put back up: the same people (after a leader took it down where this role could not).
        if !matches!(role, Leader | Admin) {
            let hidden = post_json(
                &app,
                &format!("{}/hide", path(&id)),
                Some(&crew.leader.access),
                json!({"reason": "Grund."}),
            )
            .await;
            assert_eq!(hidden.status, 200, "{}", hidden.text);
        }
        let status = as_role(
            &app,
            who,
            Method::POST,
            &format!("{}/unhide", path(&id)),
            None,
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            Leader | Admin => 200,
            Author => 403,
            // Hidden: gone for everyone but the author and the handlers.
            _ => 404,
        };
        assert_eq!(status, expected, "unhide as {role:?}");
        if !matches!(role, Leader | Admin) {
            let back = post_json(
                &app,
                &format!("{}/unhide", path(&id)),
                Some(&crew.leader.access),
                json!({}),
            )
            .await;
            assert_eq!(back.status, 200, "{}", back.text);
        }
        // An addition: the author only.
        let status = as_role(
            &app,
            who,
            Method::POST,
            &format!("{}/updates", path(&id)),
            Some(json!({"text": "Es ist schlimmer geworden."})),
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            Author => 200,
            _ => 403,
        };
        assert_eq!(status, expected, "add update as {role:?}");
    }

    // Forwarded: the town staff of its topic take over from the district.
    let start = json!({"to": "in_progress", "answer": "Wir fangen an."});
    for role in ROLES {
        let who = session(&crew, &town, role);
        let id = file(&app, &crew.resident, &crew.rieder).await;
        forward(&app, &crew.leader, &id, &town.roads_topic).await;
        let status = as_role(
            &app,
            who,
            Method::POST,
            &format!("{}/transitions", path(&id)),
            Some(start.clone()),
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            TownStaff | Admin => 200,
            Leader => 409,
            Author => 403,
            _ => 404,
        };
        assert_eq!(status, expected, "start forwarded as {role:?}");
    }

    // Support and mute, on a published Anliegen.
    for role in ROLES {
        let who = session(&crew, &town, role);
        let support = as_role(
            &app,
            who,
            Method::PUT,
            &format!("{}/support", path(&public)),
            None,
        )
        .await;
        let expected = match role {
            Anonymous => 401,
            Author => 409,
            _ => 204,
        };
        assert_eq!(support, expected, "support as {role:?}");
        // Every follower (and anyone signed in who does not) may mute, unmute and withdraw.
        for (method, op) in [
            (Method::PUT, "mute"),
            (Method::DELETE, "mute"),
            (Method::DELETE, "support"),
        ] {
            let status = as_role(
                &app,
                who,
                method.clone(),
                &format!("{}/{op}", path(&public)),
                None,
            )
            .await;
            let expected = if role == Anonymous { 401 } else { 204 };
            assert_eq!(status, expected, "{method} {op} as {role:?}");
        }
    }
    assert_eq!(
        as_role(&app, None, Method::GET, "/api/v1/anliegen-topics", None).await,
        200
    );
}

#[tokio::test]
async fn town_staff_are_granted_for_the_whole_town_or_one_topic() {
    let (app, crew) = spawn_cast().await;
    let roads = topic_id(&app, "strassen-wege").await;
    let person = register(&app, &unique_email("amt"), PASSWORD).await;
    let grant_reply = |body: Value| grant(&app, &crew.admin, &person.user_id, body);
    let granted = grant_reply(json!({"role": "town_staff", "topic_id": roads})).await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(granted.json()["topic_id"], roads.as_str());
    // The same topic twice: 409; the whole town beside it: fine.
    assert_eq!(
        grant_reply(json!({"role": "town_staff", "topic_id": roads}))
            .await
            .status,
        409
    );
    assert_eq!(grant_reply(json!({"role": "town_staff"})).await.status, 201);
    assert_eq!(grant_reply(json!({"role": "town_staff"})).await.status, 409);
    // A topic only fits town staff; an unknown topic is 404.
    assert_invalid_field(
        &grant_reply(json!({"role": "dispatcher", "topic_id": roads})).await,
        "topic_id",
    );
    grant_reply(json!({"role": "town_staff", "topic_id": uuid::Uuid::now_v7()}))
        .await
        .assert_problem(404, "not_found");
    assert_invalid_field(
        &grant_reply(json!({"role": "town_staff", "district_id": crew.rieder})).await,
        "district_id",
    );
}

// ---------------------------------------------------------------------------------------------
// Export and erasure (GDPR Art. 15, 17).

#[tokio::test]
async fn the_export_holds_ones_anliegen_and_follows_and_erasure_keeps_only_the_checked_text() {
    let (app, crew) = spawn_cast().await;
    let private = file(&app, &crew.resident, &crew.rieder).await;
    let public = file(&app, &crew.resident, &crew.rieder).await;
    publish(&app, &crew.leader, &public).await;
    let supported = file(&app, &crew.neighbour, &crew.rieder).await;
    publish(&app, &crew.leader, &supported).await;
    assert_eq!(
        put(
            &app,
            &crew.resident,
            &format!("{}/support", path(&supported))
        )
        .await
        .status,
        204
    );
    let added = post_json(
        &app,
        &format!("{}/updates", path(&public)),
        Some(&crew.resident.access),
        json!({"text": "Herr Krause hat sich dabei das Knie verletzt."}),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    step(
        &app,
        &crew.leader,
        &public,
        "in_progress",
        "Wird repariert.",
    )
    .await;

    let export = get_as(&app, "/api/v1/me/export", &crew.resident.access).await;
    assert_eq!(export.status, 200, "{}", export.text);
    let export = export.json();
    let exported: Vec<String> = export["anliegen"]
        .as_array()
        .expect("anliegen")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(exported, vec![private.clone(), public.clone()]);
    assert!(
        export["anliegen"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Krause")
    );
    let follows: Vec<(String, String)> = export["followed_anliegen"]
        .as_array()
        .expect("followed_anliegen")
        .iter()
        .map(|f| {
            (
                f["anliegen_id"].as_str().unwrap_or_default().to_owned(),
                f["relation"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        follows,
        vec![
            (private.clone(), "author".to_owned()),
            (public.clone(), "author".to_owned()),
            (supported.clone(), "supporter".to_owned()),
        ]
    );

    let reply = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&crew.resident.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    settle(&app).await;
    // The published one stays public, with the text the district checked, and the handlers
    // now see that text in place of the original; the addition is gone.
    let seen = get_reply(&app, Some(&crew.leader), &public).await.json();
    assert_eq!(
        seen["description"],
        "Vor Hausnummer 12 ist ein tiefes Loch."
    );
    assert_eq!(seen["author"]["user_id"], Value::Null);
    assert!(!seen.to_string().contains("Krause"), "{seen}");
    assert_eq!(seen["status"], "in_progress");
    assert_eq!(get_reply(&app, None, &public).await.status, 200);
    // The private one keeps what the figures count and nothing the person wrote.
    let blank = get_reply(&app, Some(&crew.leader), &private).await.json();
    assert_eq!(blank["status"], "received");
    assert_eq!(blank["district_id"], crew.rieder.as_str());
    assert!(!blank.to_string().contains("Krause"), "{blank}");
    assert!(!blank.to_string().contains("Lindenstraße"), "{blank}");
    assert!(blank["location"].is_null(), "{blank}");
    // Their support went with them; the leader's inbox no longer carries the text.
    let still = get_reply(&app, None, &supported).await.json();
    assert_eq!(still["supporter_count"], 0);
    let leader_inbox = inbox(&app, &crew.leader).await;
    assert!(
        !leader_inbox
            .iter()
            .any(|e| e.to_string().contains("Krause")),
        "{leader_inbox:?}"
    );
}

#[tokio::test]
async fn lists_page_without_skipping_or_repeating() {
    let (app, crew) = spawn_cast().await;
    let mut filed = Vec::new();
    for minutes in 0..5 {
        // Two at the same instant, then the clock moves: ties are broken by id.
        if minutes % 2 == 0 {
            app.clock.advance(chrono::Duration::minutes(1));
        }
        let id = file(&app, &crew.resident, &crew.rieder).await;
        publish(&app, &crew.leader, &id).await;
        filed.push(id);
    }
    let walk = |first: String, token: Option<String>| {
        let app = &app;
        async move {
            let mut seen = Vec::new();
            let mut next = Some(first);
            while let Some(path) = next {
                let reply = send(app, Method::GET, &path, token.as_deref(), &[], None).await;
                assert_eq!(reply.status, 200, "{path}: {}", reply.text);
                let page = reply.json();
                assert!(page["items"].as_array().map_or(0, Vec::len) <= 2, "{page}");
                seen.extend(ids_of(&page));
                next = page["next_cursor"].as_str().map(|c| {
                    format!(
                        "{}&cursor={c}",
                        path.split("&cursor").next().unwrap_or_default()
                    )
                });
            }
            seen
        }
    };
    let mut newest_first = filed.clone();
    newest_first.reverse();
    assert_eq!(
        walk("/api/v1/anliegen?limit=2".into(), None).await,
        newest_first
    );
    assert_eq!(
        walk(
            "/api/v1/anliegen/queue?limit=2".into(),
            Some(crew.leader.access.clone())
        )
        .await,
        filed
    );
    assert_eq!(
        walk(
            "/api/v1/anliegen/mine?limit=2".into(),
            Some(crew.resident.access.clone())
        )
        .await,
        newest_first
    );
}

// ---------------------------------------------------------------------------------------------
// The map and the figures.

#[tokio::test]
async fn the_map_shows_the_published_points_the_district_chose_and_no_person() {
    let (app, crew) = spawn_cast().await;
    let shown = file(&app, &crew.resident, &crew.rieder).await;
    publish(&app, &crew.leader, &shown).await;
    let unshown = file(&app, &crew.resident, &crew.rieder).await;
    let reply = post_json(
        &app,
        &format!("{}/publish", path(&unshown)),
        Some(&crew.leader.access),
        json!({"title": "Ohne Punkt", "description": "Nur als Text.", "show_location": false}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let _private = file(&app, &crew.resident, &crew.rieder).await;
    let map = get_anonymous(&app, "/api/v1/anliegen/map").await;
    assert_eq!(map.status, 200, "{}", map.text);
    let map = map.json();
    assert_eq!(map["type"], "FeatureCollection");
    let features = map["features"].as_array().expect("features");
    assert_eq!(features.len(), 1, "{map}");
    let pin = &features[0];
    assert_eq!(pin["type"], "Feature");
    assert_eq!(pin["id"], shown.as_str());
    assert_eq!(pin["geometry"]["type"], "Point");
    assert_eq!(
        pin["geometry"]["coordinates"],
        json!([11.232156, 51.718923])
    );
    assert_eq!(pin["properties"]["title"], "Schlagloch in der Lindenstraße");
    assert_eq!(pin["properties"]["url"], path(&shown).as_str());
    assert!(!map.to_string().contains(&crew.resident.user_id), "{map}");
    assert!(!map.to_string().contains("Krause"), "{map}");
    let elsewhere = get_anonymous(
        &app,
        &format!("/api/v1/anliegen/map?district_id={}", crew.badeborn),
    )
    .await;
    assert_eq!(elsewhere.json()["features"], json!([]));
    // Done long ago: off the default map, still there when asked for `done`.
    step(&app, &crew.leader, &shown, "done", "Repariert.").await;
    app.clock.advance(chrono::Duration::days(91));
    let later = get_anonymous(&app, "/api/v1/anliegen/map").await.json();
    assert_eq!(later["features"], json!([]), "{later}");
    let done = get_anonymous(&app, "/api/v1/anliegen/map?status=done")
        .await
        .json();
    assert_eq!(done["features"].as_array().map(Vec::len), Some(1), "{done}");
}

#[tokio::test]
async fn a_districts_figures_show_what_came_in_what_was_settled_and_how_fast() {
    let (app, mut crew) = spawn_cast().await;
    let figures_path = format!("/api/v1/districts/{}/anliegen-figures", crew.rieder);
    let empty = get_anonymous(&app, &figures_path).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    let empty = empty.json();
    assert_eq!(empty["received"], 0);
    assert!(empty["median_days_to_done"].is_null(), "{empty}");

    // Day 0: three filed. A is answered on day 2 and done on day 4; B answered and declined
    // on day 1; C waits. In Badeborn one more, which Rieder's figures do not count.
    let a = file(&app, &crew.resident, &crew.rieder).await;
    let b = file(&app, &crew.resident, &crew.rieder).await;
    let c = file(&app, &crew.neighbour, &crew.rieder).await;
    file(&app, &crew.rider, &crew.badeborn).await;
    let day = chrono::Duration::days(1);
    app.clock.advance(day);
    crew.renew(&app).await;
    step(
        &app,
        &crew.leader,
        &b,
        "declined",
        "Dafür ist der Landkreis zuständig.",
    )
    .await;
    app.clock.advance(day);
    crew.renew(&app).await;
    step(&app, &crew.leader, &a, "in_progress", "Der Bauhof kommt.").await;
    app.clock.advance(day * 2);
    crew.renew(&app).await;
    step(&app, &crew.leader, &a, "done", "Erledigt.").await;
    app.clock.advance(day * 6);

    let figures = get_anonymous(&app, &figures_path).await.json();
    assert_eq!(figures["received"], 3, "{figures}");
    assert_eq!(figures["done"], 1);
    assert_eq!(figures["declined"], 1);
    assert_eq!(figures["duplicate"], 0);
    assert_eq!(figures["open_now"], 1);
    assert_eq!(figures["unanswered"], 1);
    // First answers after 2 and 1 days; done after 4.
    assert_eq!(figures["median_days_to_first_answer"], 1.5);
    assert_eq!(figures["median_days_to_done"], 4.0);
    assert_eq!(figures["oldest_open_days"], 10.0);
    let text = figures.to_string();
    for person in [&crew.resident.user_id, &crew.neighbour.user_id, &c] {
        assert!(!text.contains(person.as_str()), "{text}");
    }
    // A period that ends before anything was filed counts nothing filed or settled.
    let before = get_anonymous(
        &app,
        &format!("{figures_path}?from=2020-01-01T00:00:00Z&to=2020-12-31T00:00:00Z"),
    )
    .await
    .json();
    assert_eq!(before["received"], 0, "{before}");
    assert_eq!(before["open_now"], 1, "open now is now");
    assert_invalid_field(
        &get_anonymous(
            &app,
            &format!("{figures_path}?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z"),
        )
        .await,
        "to",
    );
    assert_invalid_field(
        &get_anonymous(
            &app,
            &format!("{figures_path}?from=2010-01-01T00:00:00Z&to=2026-05-01T00:00:00Z"),
        )
        .await,
        "from",
    );
    get_anonymous(
        &app,
        &format!(
            "/api/v1/districts/{}/anliegen-figures",
            uuid::Uuid::now_v7()
        ),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_figures_read_while_the_district_closes_anliegen_are_always_one_snapshot() {
    let (app, crew) = spawn_cast_with(|s| s.quota_anliegen_per_person_per_day = 100).await;
    let mut filed = Vec::new();
    for _ in 0..12 {
        filed.push(file(&app, &crew.resident, &crew.rieder).await);
    }
    let figures_path = format!("/api/v1/districts/{}/anliegen-figures", crew.rieder);
    let closing = filed.iter().enumerate().map(|(i, id)| {
        let to = if i % 2 == 0 { "done" } else { "declined" };
        step_reply(
            &app,
            &crew.leader,
            id,
            json!({"to": to, "answer": "Erledigt."}),
        )
    });
    let reading = (0..12).map(|_| get_anonymous(&app, &figures_path));
    let (closed, reads) = futures::join!(join_all(closing), join_all(reading));
    assert!(closed.iter().all(|r| r.status == 200));
    for read in reads {
        let f = read.json();
        assert_eq!(f["received"], 12, "{f}");
        let settled = f["open_now"].as_u64().unwrap_or(99)
            + f["done"].as_u64().unwrap_or(99)
            + f["declined"].as_u64().unwrap_or(99);
        assert_eq!(settled, 12, "every one counted once: {f}");
    }
    let last = get_anonymous(&app, &figures_path).await.json();
    assert_eq!(
        (last["done"].as_u64(), last["declined"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(last["open_now"], 0);
    assert_eq!(last["median_days_to_done"], 0.0);
}
