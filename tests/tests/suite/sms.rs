//! Text messages (issue 21). So far: the tables as the entities read and write them, on the
//! database under test (SQLite, or PostgreSQL with `DORFAPP_TEST_DATABASE_URL`).

use chrono::{TimeZone, Utc};
use entity::{
    sms_consent, sms_inbound, sms_message, sms_recipient, sms_usage, sms_verification,
    sms_webhook_nonce,
    vocab::{ConsentAction, ConsentMethod, SmsKind, SmsPurpose, SmsReplyMeaning, SmsStatus},
};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, ModelTrait};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn every_sms_table_keeps_what_its_entity_writes_and_a_number_takes_its_records_along() {
    let (app, cast) = spawn_cast().await;
    let db = &app.state.db;
    let at = Utc.with_ymd_and_hms(2026, 12, 10, 9, 30, 0).unwrap();
    let rieder: Uuid = cast.rieder.parse().expect("district id");
    let resident: Uuid = cast.resident.user_id.parse().expect("user id");
    let recipient = sms_recipient::Model {
        id: Uuid::now_v7(),
        e164: "+491711234567".into(),
        user_id: None,
        name: Some("Frau Schulze".into()),
        district_id: Some(rieder),
        rides_since: Some(at),
        warnings_since: Some(at),
        opted_out_at: None,
        created_at: at,
        updated_at: at,
    };
    let consent = sms_consent::Model {
        id: Uuid::now_v7(),
        recipient_id: recipient.id,
        purpose: SmsPurpose::Rides,
        action: ConsentAction::Given,
        method: ConsentMethod::DeskPhone,
        recorded_by: Some(cast.dispatcher.user_id.parse().expect("user id")),
        at,
        text_version: "2026-12".into(),
        note: Some("Tochter am Telefon, mit Einverständnis".into()),
    };
    let message = sms_message::Model {
        id: Uuid::now_v7(),
        recipient_id: recipient.id,
        kind: SmsKind::RideConfirmed,
        body: "Fahrdienst: Ihre Fahrt am Do 04.06. um 09:30 ist zugesagt, es fährt Sie Thomas."
            .into(),
        segments: 1,
        dedupe_key: Some(format!("ride_event:{}", Uuid::now_v7())),
        ride_id: None,
        news_id: None,
        asks_reply: true,
        same_day: false,
        status: SmsStatus::Sent,
        due_at: at,
        attempts: 1,
        max_attempts: 8,
        locked_by: None,
        locked_until: None,
        last_error: None,
        provider: Some("seven".into()),
        provider_message_id: Some("77149843739".into()),
        provider_status: Some("TRANSMITTED".into()),
        price_micros: Some(75_000),
        sent_at: Some(at),
        delivered_at: None,
        created_at: at,
        updated_at: at,
    };
    let inbound = sms_inbound::Model {
        id: Uuid::now_v7(),
        provider: "seven".into(),
        provider_message_id: "681590".into(),
        from_e164: "+491711234567".into(),
        recipient_id: Some(recipient.id),
        text: "2".into(),
        meaning: SmsReplyMeaning::Cancel,
        ride_id: None,
        received_at: at,
    };
    let verification = sms_verification::Model {
        id: Uuid::now_v7(),
        user_id: resident,
        e164: "+491607654321".into(),
        code_hash: "0".repeat(64),
        purposes: r#"["warnings"]"#.into(),
        district_id: Some(rieder),
        expires_at: at,
        attempts: 0,
        created_at: at,
    };
    let nonce = sms_webhook_nonce::Model {
        nonce: "5Jb2u5sCv0zY6XkQm1wT8rN3pL7aE9dH".into(),
        body_md5: "d41d8cd98f00b204e9800998ecf8427e".into(),
        received_at: at,
    };
    let usage = sms_usage::Model {
        month: "2026-12".into(),
        kind: SmsKind::Warning,
        messages: 3,
        segments: 5,
    };
    recipient
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("recipient");
    consent
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("consent");
    message
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("message");
    inbound
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("inbound");
    verification
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("verification");
    nonce
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("nonce");
    usage
        .clone()
        .into_active_model()
        .insert(db)
        .await
        .expect("usage");
    assert_eq!(
        sms_recipient::Entity::find_by_id(recipient.id)
            .one(db)
            .await
            .unwrap(),
        Some(recipient.clone())
    );
    assert_eq!(
        sms_consent::Entity::find_by_id(consent.id)
            .one(db)
            .await
            .unwrap(),
        Some(consent)
    );
    assert_eq!(
        sms_message::Entity::find_by_id(message.id)
            .one(db)
            .await
            .unwrap(),
        Some(message)
    );
    assert_eq!(
        sms_inbound::Entity::find_by_id(inbound.id)
            .one(db)
            .await
            .unwrap(),
        Some(inbound)
    );
    assert_eq!(
        sms_verification::Entity::find_by_id(verification.id)
            .one(db)
            .await
            .unwrap(),
        Some(verification)
    );
    assert_eq!(
        sms_webhook_nonce::Entity::find_by_id(nonce.nonce.clone())
            .one(db)
            .await
            .unwrap(),
        Some(nonce)
    );
    assert_eq!(
        sms_usage::Entity::find_by_id(("2026-12".to_owned(), SmsKind::Warning))
            .one(db)
            .await
            .unwrap(),
        Some(usage)
    );
    // Erasing a number (a rider who asks to be forgotten) takes its records and messages
    // along; the month's count stays.
    recipient.delete(db).await.expect("erase the number");
    assert!(
        sms_consent::Entity::find()
            .all(db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sms_message::Entity::find()
            .all(db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sms_inbound::Entity::find()
            .all(db)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sms_usage::Entity::find().all(db).await.unwrap().len(), 1);
    // A resident's code goes with the account.
    let erased = post_json(
        &app,
        "/api/v1/me/delete",
        Some(&cast.resident.access),
        serde_json::json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert!(
        sms_verification::Entity::find()
            .all(db)
            .await
            .unwrap()
            .is_empty()
    );
}
