//! Consent to text messages that holds up (DSGVO): a resident confirms their own number with a
//! code, the desk records a consent given on the phone, every change is a record in the export,
//! and erasure leaves nothing. Numbers in odd formats, and every operation against every role.

use entity::{sms_consent, sms_inbound, sms_message, sms_recipient, sms_verification};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::{seven::reply_from, *};

const NUMBER: &str = "+491711234567";

async fn sms_cast(fake: &SevenFake) -> (TestApp, Cast) {
    spawn_cast_with(|settings| fake.configure(settings)).await
}

/// The six digits of the newest code sent to `to`.
fn code_in(fake: &SevenFake, to: &str) -> String {
    let text = fake.texts_to(to).pop().expect("a code was sent");
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

async fn ask_code(app: &TestApp, who: &Session, body: Value) -> Reply {
    put_json(app, "/api/v1/me/sms/number", Some(&who.access), body).await
}

async fn verify(app: &TestApp, who: &Session, code: &str) -> Reply {
    post_json(
        app,
        "/api/v1/me/sms/verify",
        Some(&who.access),
        json!({ "code": code }),
    )
    .await
}

async fn count<E: EntityTrait>(app: &TestApp, _entity: E) -> u64
where
    E::Model: Sync,
{
    E::find().count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn a_resident_confirms_her_number_with_a_code_and_can_withdraw() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let me = get_as(&app, "/api/v1/me/sms", &crew.resident.access).await;
    assert_eq!(me.status, 200);
    assert_eq!(
        me.json(),
        json!({"enabled": true, "phone": null, "district_id": null, "purposes": [],
               "opted_out_at": null, "code_sent_to": null, "code_expires_at": null})
    );
    // Warnings need a district.
    let reply = ask_code(
        &app,
        &crew.resident,
        json!({"phone": "0171 1234567", "purposes": ["warnings"]}),
    )
    .await;
    assert_invalid_field(&reply, "district_id");
    let reply = ask_code(
        &app,
        &crew.resident,
        json!({"phone": "0171 1234567", "purposes": ["rides", "warnings"], "district_id": crew.rieder}),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    assert_eq!(reply.json()["phone"], NUMBER);
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    // Only a keyed hash is kept.
    let stored = sms_verification::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.code_hash.contains(&code));
    assert_eq!(stored.code_hash.len(), 64);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = verify(&app, &crew.resident, wrong).await;
    assert_invalid_field(&reply, "code");
    assert!(reply.text.contains("Noch 4 Versuche"), "{}", reply.text);
    let reply = verify(&app, &crew.resident, &code).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mine = reply.json();
    assert_eq!(mine["phone"], NUMBER);
    assert_eq!(mine["purposes"], json!(["rides", "warnings"]));
    assert_eq!(mine["district_id"], crew.rieder.as_str());
    // The code works once.
    verify(&app, &crew.resident, &code)
        .await
        .assert_problem(409, "conflict");
    // Warnings off, then everything.
    let reply = patch_json(
        &app,
        "/api/v1/me/sms",
        Some(&crew.resident.access),
        json!({"purposes": ["rides"]}),
    )
    .await;
    assert_eq!(reply.json()["purposes"], json!(["rides"]));
    let reply = delete_json(&app, "/api/v1/me/sms", Some(&crew.resident.access), None).await;
    assert_eq!(reply.status, 204);
    let export = get_as(&app, "/api/v1/me/export", &crew.resident.access).await;
    assert_eq!(export.status, 200, "{}", export.text);
    let sms = &export.json()["sms"];
    assert_eq!(sms["number"]["phone"], NUMBER);
    assert_eq!(sms["number"]["purposes"], json!([]));
    let records: Vec<(String, String, String)> = sms["number"]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purpose"].as_str().unwrap().to_owned(),
                c["action"].as_str().unwrap().to_owned(),
                c["method"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let record = |p: &str, a: &str, m: &str| (p.to_owned(), a.to_owned(), m.to_owned());
    assert_eq!(
        records,
        [
            record("rides", "given", "sms_code"),
            record("warnings", "given", "sms_code"),
            record("warnings", "withdrawn", "app"),
            record("rides", "withdrawn", "app"),
        ]
    );
    assert!(sms["number"]["consents"][0]["text_version"].is_string());
    assert_eq!(sms["messages"][0]["kind"], "code");
}

#[tokio::test]
async fn a_code_is_void_after_five_wrong_tries_and_codes_are_limited() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let body = json!({"phone": "+49 (0)171 1234567", "purposes": ["rides"]});
    assert_eq!(
        ask_code(&app, &crew.resident, body.clone()).await.status,
        202
    );
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(verify(&app, &crew.resident, wrong).await.status, 422);
    }
    verify(&app, &crew.resident, wrong)
        .await
        .assert_problem(409, "conflict");
    verify(&app, &crew.resident, &code)
        .await
        .assert_problem(409, "conflict");
    // A code expires after ten minutes.
    assert_eq!(
        ask_code(&app, &crew.resident, body.clone()).await.status,
        202
    );
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    app.clock.advance(chrono::Duration::minutes(11));
    let mut crew = crew;
    crew.renew(&app).await;
    verify(&app, &crew.resident, &code)
        .await
        .assert_problem(409, "conflict");
    // Three codes a day to one number, whoever asks.
    assert_eq!(
        ask_code(&app, &crew.neighbour, body.clone()).await.status,
        202
    );
    let reply = ask_code(&app, &crew.rider, body).await;
    reply.assert_problem(429, "rate_limited");
    assert!(reply.header("retry-after").is_some());
}

#[tokio::test]
async fn numbers_are_read_in_every_usual_format_and_landlines_are_refused() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    for phone in [
        "0171 1234567",
        "+49 (0)171 1234567",
        "0049-171-1234567",
        "0171/1234567",
        "+491711234567 ",
    ] {
        let reply = post_json(
            &app,
            "/api/v1/sms/recipients",
            Some(&crew.dispatcher.access),
            json!({"phone": phone, "purposes": ["rides"], "method": "desk_phone"}),
        )
        .await;
        assert!(
            reply.status == 201 || reply.status == 200,
            "{phone}: {}",
            reply.text
        );
        assert_eq!(reply.json()["phone"], NUMBER, "{phone}");
    }
    assert_eq!(count(&app, sms_recipient::Entity).await, 1);
    assert_eq!(
        count(&app, sms_consent::Entity).await,
        1,
        "a repeat records nothing"
    );
    for phone in [
        "039483 1234",
        "110",
        "12345",
        "+43 664 1234567",
        "0171 CALL ME",
        "０１７１１２３４５６７",
        "0171 1234567 0171 1234567 0171 1234567 0",
    ] {
        let reply = post_json(
            &app,
            "/api/v1/sms/recipients",
            Some(&crew.dispatcher.access),
            json!({"phone": phone, "purposes": ["rides"], "method": "desk_phone"}),
        )
        .await;
        assert_invalid_field(&reply, "phone");
    }
    let landline = post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": "039483 1234", "purposes": ["rides"], "method": "desk_phone"}),
    )
    .await;
    assert!(
        landline.text.contains("Festnetznummer"),
        "{}",
        landline.text
    );
    // Codes and STOP are recorded by the system, never by the desk.
    let reply = post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": "0171 1234567", "purposes": ["rides"], "method": "sms_code"}),
    )
    .await;
    assert_invalid_field(&reply, "method");
}

#[tokio::test]
async fn the_desk_erases_a_number_without_an_account_and_an_account_takes_its_number_along() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let recorded = post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": "0171 1234567", "name": "Erna Schulze", "purposes": ["rides"], "method": "desk_phone"}),
    )
    .await
    .json();
    deliver_sms(&app).await;
    reply_from(&app, NUMBER, "Wer ist da?").await;
    let path = format!(
        "/api/v1/sms/recipients/{}",
        recorded["id"].as_str().unwrap()
    );
    let reply = delete_json(&app, &path, Some(&crew.dispatcher.access), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    for (table, rows) in [
        ("sms_recipient", count(&app, sms_recipient::Entity).await),
        ("sms_consent", count(&app, sms_consent::Entity).await),
        ("sms_message", count(&app, sms_message::Entity).await),
        ("sms_inbound", count(&app, sms_inbound::Entity).await),
    ] {
        assert_eq!(rows, 0, "{table} still names the number");
    }
    get_as(&app, &path, &crew.dispatcher.access)
        .await
        .assert_problem(404, "not_found");

    // A resident's own number: not the desk's to erase; it goes with her account.
    assert_eq!(
        ask_code(
            &app,
            &crew.resident,
            json!({"phone": "0171 1234567", "purposes": ["rides"]})
        )
        .await
        .status,
        202
    );
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    assert_eq!(verify(&app, &crew.resident, &code).await.status, 200);
    let found = get_as(
        &app,
        "/api/v1/sms/recipients?phone=0171%201234567",
        &crew.admin.access,
    )
    .await
    .json();
    assert_eq!(found["has_account"], true);
    let path = format!("/api/v1/sms/recipients/{}", found["id"].as_str().unwrap());
    delete_json(&app, &path, Some(&crew.admin.access), None)
        .await
        .assert_problem(409, "conflict");
    let gone = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&crew.resident.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    for rows in [
        count(&app, sms_recipient::Entity).await,
        count(&app, sms_consent::Entity).await,
        count(&app, sms_message::Entity).await,
        count(&app, sms_verification::Entity).await,
    ] {
        assert_eq!(rows, 0);
    }
}

#[tokio::test]
async fn without_a_provider_nothing_is_promised() {
    let (app, crew) = spawn_cast().await;
    let me = get_as(&app, "/api/v1/me/sms", &crew.resident.access).await;
    assert_eq!(me.json()["enabled"], false);
    ask_code(
        &app,
        &crew.resident,
        json!({"phone": "0171 1234567", "purposes": ["rides"]}),
    )
    .await
    .assert_problem(409, "conflict");
    post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": "0171 1234567", "purposes": ["rides"], "method": "desk_phone"}),
    )
    .await
    .assert_problem(409, "conflict");
}

/// Every SMS operation against every role: who may, who may not.
#[tokio::test]
async fn every_sms_operation_answers_each_role_as_documented() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let recorded = post_json(
        &app,
        "/api/v1/sms/recipients",
        Some(&crew.dispatcher.access),
        json!({"phone": "0171 7654321", "purposes": ["rides"], "method": "desk_phone"}),
    )
    .await
    .json();
    let id = recorded["id"].as_str().unwrap().to_owned();
    let roles: [(&str, Option<&Session>); 7] = [
        ("anonymous", None),
        ("resident", Some(&crew.resident)),
        ("driver", Some(&crew.driver)),
        ("leader", Some(&crew.leader)),
        ("operator", Some(&crew.operator)),
        ("dispatcher", Some(&crew.dispatcher)),
        ("admin", Some(&crew.admin)),
    ];
    let desk = |role: &str| match role {
        "anonymous" => 401,
        "dispatcher" | "admin" => 0,
        _ => 403,
    };
    let own = |role: &str| if role == "anonymous" { 401 } else { 0 };
    let admin_only = |role: &str| match role {
        "anonymous" => 401,
        "admin" => 0,
        _ => 403,
    };
    for (role, session) in roles {
        let token = session.map(|s| s.access.as_str());
        let cases: Vec<(&str, Reply, u16, &[u16])> = vec![
            (
                "getSmsStatus",
                send_as(&app, "GET", "/api/v1/sms/status", token, None).await,
                admin_only(role),
                &[200],
            ),
            (
                "getMySms",
                send_as(&app, "GET", "/api/v1/me/sms", token, None).await,
                own(role),
                &[200],
            ),
            (
                "updateMySms",
                send_as(&app, "PATCH", "/api/v1/me/sms", token, Some(json!({"purposes": []}))).await,
                own(role),
                &[409],
            ),
            (
                "withdrawMySms",
                send_as(&app, "DELETE", "/api/v1/me/sms", token, None).await,
                own(role),
                &[204],
            ),
            (
                "verifySmsCode",
                send_as(&app, "POST", "/api/v1/me/sms/verify", token, Some(json!({"code": "123456"}))).await,
                own(role),
                &[409],
            ),
            (
                "findSmsRecipient",
                send_as(&app, "GET", "/api/v1/sms/recipients?phone=01717654321", token, None).await,
                desk(role),
                &[200],
            ),
            (
                "getSmsRecipient",
                send_as(&app, "GET", &format!("/api/v1/sms/recipients/{id}"), token, None).await,
                desk(role),
                &[200],
            ),
            (
                "recordSmsConsent",
                send_as(
                    &app,
                    "POST",
                    "/api/v1/sms/recipients",
                    token,
                    Some(json!({"phone": "0171 7654321", "purposes": ["rides"], "method": "desk_phone"})),
                )
                .await,
                desk(role),
                &[200],
            ),
            (
                "addSmsConsentRecord",
                send_as(
                    &app,
                    "POST",
                    &format!("/api/v1/sms/recipients/{id}/consents"),
                    token,
                    Some(json!({"purpose": "rides", "action": "given", "method": "desk_phone"})),
                )
                .await,
                desk(role),
                &[200],
            ),
            (
                "eraseSmsRecipient",
                send_as(
                    &app,
                    "DELETE",
                    "/api/v1/sms/recipients/0193b7a1-2c3d-7e4f-8a9b-0c1d2e3f4a5b",
                    token,
                    None,
                )
                .await,
                desk(role),
                &[404],
            ),
        ];
        for (operation, reply, refused, allowed) in cases {
            if refused == 0 {
                assert!(
                    allowed.contains(&reply.status.as_u16()),
                    "{operation} as {role}: {} {}",
                    reply.status,
                    reply.text
                );
            } else {
                assert_eq!(
                    reply.status.as_u16(),
                    refused,
                    "{operation} as {role}: {}",
                    reply.text
                );
            }
        }
        // Asking for a code: allowed for every signed-in role (each their own number).
        let code = send_as(
            &app,
            "PUT",
            "/api/v1/me/sms/number",
            token,
            Some(json!({"phone": "0171 1112223", "purposes": ["rides"]})),
        )
        .await;
        match role {
            "anonymous" => assert_eq!(code.status, 401),
            _ => assert!(
                code.status == 202 || code.status == 429,
                "requestSmsCode as {role}: {}",
                code.text
            ),
        }
    }
}

async fn send_as(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    match method {
        "GET" => match token {
            Some(token) => get_as(app, path, token).await,
            None => get_anonymous(app, path).await,
        },
        "POST" => post_json(app, path, token, body.unwrap_or(json!({}))).await,
        "PATCH" => patch_json(app, path, token, body.unwrap_or(json!({}))).await,
        "PUT" => put_json(app, path, token, body.unwrap_or(json!({}))).await,
        "DELETE" => delete_json(app, path, token, body).await,
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_number_that_changes_hands_keeps_nothing_of_the_first_owners_consent() {
    let fake = SevenFake::start().await;
    let (app, crew) = sms_cast(&fake).await;
    let both = json!({"phone": "0171 1234567", "purposes": ["rides", "warnings"], "district_id": crew.rieder});
    assert_eq!(ask_code(&app, &crew.resident, both).await.status, 202);
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    assert_eq!(verify(&app, &crew.resident, &code).await.status, 200);
    // The phone now belongs to the neighbour, who wants ride messages only.
    let rides = json!({"phone": "0171 1234567", "purposes": ["rides"]});
    assert_eq!(ask_code(&app, &crew.neighbour, rides).await.status, 202);
    deliver_sms(&app).await;
    let code = code_in(&fake, NUMBER);
    let mine = verify(&app, &crew.neighbour, &code).await.json();
    assert_eq!(mine["purposes"], json!(["rides"]));
    let earlier = get_as(&app, "/api/v1/me/sms", &crew.resident.access)
        .await
        .json();
    assert_eq!(earlier["phone"], Value::Null);
    // Chatter from a number whose consent was withdrawn keeps its records (proof).
    let path = "/api/v1/me/sms";
    assert_eq!(
        delete_json(&app, path, Some(&crew.neighbour.access), None)
            .await
            .status,
        204
    );
    let before = count(&app, sms_consent::Entity).await;
    reply_from(&app, NUMBER, "Hallo?").await;
    assert_eq!(count(&app, sms_consent::Entity).await, before);
    assert_eq!(count(&app, sms_recipient::Entity).await, 1);
}
