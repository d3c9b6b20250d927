//! Polls (Umfragen), as a district and its residents notice them: a leader asks, residents
//! vote once and may change their minds until the close, the counts show when the district
//! said they would, nobody (admins included) reads who voted what, and everyone who voted
//! hears what came of it. Who may do what, races, hostile input, export and erasure.

use futures::future::join_all;
use poem::http::Method;
use serde_json::{Value, json};

use domain::clock::Clock;

use crate::support::{
    Cast, PASSWORD, Reply, Session, TestApp, assert_invalid_field, get_anonymous, get_as, id_of,
    inbox, post_json, put_json, register_reply, send, send_empty, settle, spawn_cast, unique_email,
};

async fn resident_of(app: &TestApp, district: Option<&str>) -> Session {
    let reply = register_reply(
        app,
        json!({
            "email": unique_email("waehlerin"),
            "password": PASSWORD,
            "display_name": "Wählerin",
            "home_district_id": district,
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    Session::from_reply(&reply)
}

fn poll_body(crew: &Cast, app: &TestApp, extra: Value) -> Value {
    let closes = app.clock.now() + chrono::Duration::days(7);
    let mut body = json!({
        "district_id": crew.rieder,
        "question": "Wann soll der Dorfladen donnerstags öffnen?",
        "options": ["Vormittags", "Nachmittags", "Abends"],
        "closes_at": closes.to_rfc3339(),
    });
    for (key, value) in extra.as_object().expect("object") {
        body[key] = value.clone();
    }
    body
}

async fn create_reply(app: &TestApp, who: Option<&Session>, body: &Value) -> Reply {
    send(
        app,
        Method::POST,
        "/api/v1/polls",
        who.map(|s| s.access.as_str()),
        &[],
        Some(body),
    )
    .await
}

async fn create(app: &TestApp, crew: &Cast, extra: Value) -> Value {
    let reply = create_reply(app, Some(&crew.leader), &poll_body(crew, app, extra)).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()
}

fn option(poll: &Value, i: usize) -> String {
    poll["options"][i]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("option {i}: {poll}"))
        .to_owned()
}

async fn vote_reply(app: &TestApp, who: &Session, poll: &str, option: &str) -> Reply {
    put_json(
        app,
        &format!("/api/v1/polls/{poll}/vote"),
        Some(&who.access),
        json!({"option_id": option}),
    )
    .await
}

fn counts(poll: &Value) -> Vec<u64> {
    poll["results"]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("results: {poll}"))
        .iter()
        .map(|o| o["votes"].as_u64().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn residents_vote_once_change_their_minds_and_hear_what_came_of_it() {
    let (app, mut crew) = spawn_cast().await;
    let poll = create(&app, &crew, json!({})).await;
    let id = id_of(&poll);
    assert_eq!(poll["state"], "open");
    assert_eq!(poll["electorate"], "district_residents");
    assert_eq!(poll["show_results"], "after_close");
    assert!(poll["results"].is_null(), "{poll}");
    let anna = resident_of(&app, Some(&crew.rieder)).await;
    let bernd = resident_of(&app, Some(&crew.rieder)).await;
    let elsewhere = resident_of(&app, Some(&crew.badeborn)).await;

    let voted = vote_reply(&app, &anna, &id, &option(&poll, 0)).await;
    assert_eq!(voted.status, 200, "{}", voted.text);
    assert_eq!(voted.json()["my_option_id"], option(&poll, 0).as_str());
    // Changed her mind: still one vote.
    let changed = vote_reply(&app, &anna, &id, &option(&poll, 2)).await.json();
    assert_eq!(changed["my_option_id"], option(&poll, 2).as_str());
    assert_eq!(
        vote_reply(&app, &bernd, &id, &option(&poll, 2))
            .await
            .status,
        200
    );
    // Not her district: 403 with the reason.
    let refused = vote_reply(&app, &elsewhere, &id, &option(&poll, 0)).await;
    let problem = refused.assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Ortsteil"),
        "{problem}"
    );
    let seen = get_as(&app, &format!("/api/v1/polls/{id}"), &elsewhere.access)
        .await
        .json();
    assert_eq!(seen["can_vote"], false);
    // Nobody sees counts before the close, nor anyone else's vote: not even an admin.
    let admin_view = get_as(&app, &format!("/api/v1/polls/{id}"), &crew.admin.access)
        .await
        .json();
    assert!(admin_view["results"].is_null(), "{admin_view}");
    assert!(admin_view["my_option_id"].is_null(), "{admin_view}");
    assert!(
        !admin_view.to_string().contains(&anna.user_id),
        "{admin_view}"
    );
    let outcome_too_early = put_json(
        &app,
        &format!("/api/v1/polls/{id}/outcome"),
        Some(&crew.leader.access),
        json!({"outcome": "Zu früh."}),
    )
    .await;
    outcome_too_early.assert_problem(409, "conflict");

    app.clock.advance(chrono::Duration::days(8));
    crew.renew(&app).await;
    let closed = get_anonymous(&app, &format!("/api/v1/polls/{id}"))
        .await
        .json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["results"]["total"], 2);
    assert_eq!(counts(&closed), vec![0, 0, 2]);
    let mut bernd = bernd;
    crate::support::renew(&app, &mut bernd).await;
    vote_reply(&app, &bernd, &id, &option(&poll, 0))
        .await
        .assert_problem(409, "conflict");

    let outcome = put_json(
        &app,
        &format!("/api/v1/polls/{id}/outcome"),
        Some(&crew.leader.access),
        json!({"outcome": "Ab März öffnet der Laden donnerstags bis 19 Uhr."}),
    )
    .await;
    assert_eq!(outcome.status, 200, "{}", outcome.text);
    settle(&app).await;
    for voter in [&anna, &bernd] {
        let mut voter = (*voter).clone();
        crate::support::renew(&app, &mut voter).await;
        let told: Vec<Value> = inbox(&app, &voter)
            .await
            .into_iter()
            .filter(|e| e["kind"] == "poll_outcome")
            .collect();
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(
            told[0]["body"],
            "Ab März öffnet der Laden donnerstags bis 19 Uhr."
        );
        assert_eq!(told[0]["data"]["type"], "poll");
    }
    let mut elsewhere = elsewhere;
    crate::support::renew(&app, &mut elsewhere).await;
    assert!(
        inbox(&app, &elsewhere).await.is_empty(),
        "did not vote, not told"
    );
}

#[tokio::test]
async fn live_results_show_while_it_runs_and_everyone_may_vote_when_the_district_says_so() {
    let (app, crew) = spawn_cast().await;
    let poll = create(
        &app,
        &crew,
        json!({"electorate": "everyone", "show_results": "live"}),
    )
    .await;
    let id = id_of(&poll);
    assert_eq!(
        vote_reply(&app, &crew.resident, &id, &option(&poll, 1))
            .await
            .status,
        200
    );
    let live = get_anonymous(&app, &format!("/api/v1/polls/{id}"))
        .await
        .json();
    assert_eq!(counts(&live), vec![0, 1, 0]);
    // Withdrawn: gone from the count.
    let withdrawn = send_empty(
        &app,
        Method::DELETE,
        &format!("/api/v1/polls/{id}/vote"),
        Some(&crew.resident.access),
    )
    .await;
    assert_eq!(withdrawn.status, 204, "{}", withdrawn.text);
    let after = get_anonymous(&app, &format!("/api/v1/polls/{id}"))
        .await
        .json();
    assert_eq!(after["results"]["total"], 0);
    let listed = get_anonymous(
        &app,
        &format!("/api/v1/polls?district_id={}&state=open", crew.rieder),
    )
    .await
    .json();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let upcoming = get_anonymous(&app, "/api/v1/polls?state=upcoming")
        .await
        .json();
    assert_eq!(upcoming["items"], json!([]));
}

#[tokio::test]
async fn many_voters_changing_their_minds_at_once_leave_one_vote_each() {
    let (app, crew) = spawn_cast().await;
    let poll = create(
        &app,
        &crew,
        json!({"electorate": "everyone", "show_results": "live"}),
    )
    .await;
    let id = id_of(&poll);
    let mut voters = Vec::new();
    for _ in 0..12 {
        voters.push(resident_of(&app, None).await);
    }
    // Each votes for A and for B at the same time, then settles on C (even) or A (odd).
    let (a, b) = (option(&poll, 0), option(&poll, 1));
    let first = join_all(voters.iter().flat_map(|voter| {
        [
            vote_reply(&app, voter, &id, &a),
            vote_reply(&app, voter, &id, &b),
        ]
    }))
    .await;
    assert!(
        first.iter().all(|r| r.status == 200),
        "{:?}",
        first.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let last = join_all(voters.iter().enumerate().map(|(i, voter)| {
        let choice = if i % 2 == 0 {
            option(&poll, 2)
        } else {
            option(&poll, 0)
        };
        let app = &app;
        let id = id.clone();
        async move { vote_reply(app, voter, &id, &choice).await }
    }))
    .await;
    assert!(last.iter().all(|r| r.status == 200));
    let result = get_anonymous(&app, &format!("/api/v1/polls/{id}"))
        .await
        .json();
    assert_eq!(result["results"]["total"], 12, "{result}");
    assert_eq!(counts(&result), vec![6, 0, 6]);
}

#[tokio::test]
async fn only_the_districts_leaders_and_admins_ask_and_say_what_came_of_it() {
    let (app, mut crew) = spawn_cast().await;
    let body = poll_body(&crew, &app, json!({}));
    for (who, expected) in [
        (None, 401),
        (Some(&crew.resident), 403),
        (Some(&crew.dispatcher), 403),
        (Some(&crew.driver), 403),
        (Some(&crew.operator), 403),
        (Some(&crew.far_leader), 403),
        (Some(&crew.leader), 201),
        (Some(&crew.admin), 201),
    ] {
        let reply = create_reply(&app, who, &body).await;
        assert_eq!(reply.status, expected, "{}", reply.text);
    }
    let poll = create(&app, &crew, json!({"electorate": "everyone"})).await;
    let id = id_of(&poll);
    for who in [None, Some(&crew.resident), Some(&crew.admin)] {
        let reply = send(
            &app,
            Method::GET,
            &format!("/api/v1/polls/{id}"),
            who.map(|s| s.access.as_str()),
            &[],
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    // Anyone signed in may vote in an `everyone` poll; anonymous may not.
    let anonymous = send(
        &app,
        Method::PUT,
        &format!("/api/v1/polls/{id}/vote"),
        None,
        &[],
        Some(&json!({"option_id": option(&poll, 0)})),
    )
    .await;
    anonymous.assert_problem(401, "unauthorized");
    for who in [
        &crew.dispatcher,
        &crew.far_leader,
        &crew.admin,
        &crew.driver,
    ] {
        assert_eq!(
            vote_reply(&app, who, &id, &option(&poll, 0)).await.status,
            200
        );
    }
    // Listing is public; taking one's vote back is for anyone signed in (twice is fine).
    let vote_path = format!("/api/v1/polls/{id}/vote");
    for who in [
        None,
        Some(&crew.resident),
        Some(&crew.driver),
        Some(&crew.admin),
    ] {
        let token = who.map(|s| s.access.as_str());
        let listed = send(&app, Method::GET, "/api/v1/polls", token, &[], None).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let withdrawn = send_empty(&app, Method::DELETE, &vote_path, token).await;
        let expected = if who.is_some() { 204 } else { 401 };
        assert_eq!(withdrawn.status, expected, "{}", withdrawn.text);
    }
    assert_eq!(
        vote_reply(&app, &crew.driver, &id, &option(&poll, 0))
            .await
            .status,
        200
    );
    app.clock.advance(chrono::Duration::days(8));
    crew.renew(&app).await;
    for (who, expected) in [
        (&crew.resident, 403),
        (&crew.dispatcher, 403),
        (&crew.far_leader, 403),
        (&crew.leader, 200),
        (&crew.admin, 200),
    ] {
        let reply = put_json(
            &app,
            &format!("/api/v1/polls/{id}/outcome"),
            Some(&who.access),
            json!({"outcome": "Danke fürs Mitmachen."}),
        )
        .await;
        assert_eq!(reply.status, expected, "{}", reply.text);
    }
}

#[tokio::test]
async fn hostile_polls_and_votes_get_a_clear_answer() {
    let (app, crew) = spawn_cast().await;
    let now = app.clock.now();
    for (extra, field) in [
        (json!({"options": ["Nur eine"]}), "options"),
        (
            json!({"options": (0..11).map(|i| format!("Antwort {i}")).collect::<Vec<_>>()}),
            "options",
        ),
        (json!({"options": ["Ja", "ja "]}), "options[1]"),
        (json!({"options": ["Ja", ""]}), "options[1]"),
        (json!({"options": ["Ja", "x".repeat(101)]}), "options[1]"),
        (json!({"question": ""}), "question"),
        (
            json!({"closes_at": (now - chrono::Duration::days(1)).to_rfc3339()}),
            "closes_at",
        ),
        (
            json!({"closes_at": (now + chrono::Duration::days(400)).to_rfc3339()}),
            "closes_at",
        ),
        (
            json!({"opens_at": (now - chrono::Duration::days(3)).to_rfc3339()}),
            "opens_at",
        ),
        (json!({"district_id": uuid::Uuid::now_v7()}), "district_id"),
        (json!({"electorate": "alle"}), "electorate"),
    ] {
        let reply = create_reply(&app, Some(&crew.admin), &poll_body(&crew, &app, extra)).await;
        assert_invalid_field(&reply, field);
    }
    let one = create(&app, &crew, json!({"electorate": "everyone"})).await;
    let other = create(&app, &crew, json!({"electorate": "everyone"})).await;
    assert_invalid_field(
        &vote_reply(&app, &crew.resident, &id_of(&one), &option(&other, 0)).await,
        "option_id",
    );
    vote_reply(
        &app,
        &crew.resident,
        &uuid::Uuid::now_v7().to_string(),
        &option(&one, 0),
    )
    .await
    .assert_problem(404, "not_found");
    let upcoming = create(
        &app,
        &crew,
        json!({"electorate": "everyone", "opens_at": (now + chrono::Duration::days(1)).to_rfc3339()}),
    )
    .await;
    assert_eq!(upcoming["state"], "upcoming");
    vote_reply(
        &app,
        &crew.resident,
        &id_of(&upcoming),
        &option(&upcoming, 0),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn ones_own_votes_are_exported_and_an_erased_voter_still_counts() {
    let (app, crew) = spawn_cast().await;
    let poll = create(
        &app,
        &crew,
        json!({"electorate": "everyone", "show_results": "live"}),
    )
    .await;
    let id = id_of(&poll);
    let voter = resident_of(&app, None).await;
    assert_eq!(
        vote_reply(&app, &voter, &id, &option(&poll, 1))
            .await
            .status,
        200
    );
    assert_eq!(
        vote_reply(&app, &crew.resident, &id, &option(&poll, 0))
            .await
            .status,
        200
    );
    let export = get_as(&app, "/api/v1/me/export", &voter.access)
        .await
        .json();
    let votes = export["poll_votes"].as_array().expect("poll_votes");
    assert_eq!(votes.len(), 1, "only one's own: {export}");
    assert_eq!(votes[0]["option"], "Nachmittags");
    assert_eq!(votes[0]["poll_id"], id.as_str());
    let erased = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&voter.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let after = get_anonymous(&app, &format!("/api/v1/polls/{id}"))
        .await
        .json();
    assert_eq!(after["results"]["total"], 2, "{after}");
    assert_eq!(counts(&after), vec![1, 1, 0]);
}
