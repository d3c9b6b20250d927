//! A text message to our number becomes a ride's step, a STOP, or a short help text (issue 21).
//! It sits above `rides` and `sms` as `photo_access` sits above media, news and shops: the
//! outbox knows no rides, and the rides know no replies.
//!
//! - "1" confirms and "2" cancels, but only when exactly one question is open for that number;
//!   otherwise the sender gets the help text and nothing happens. A reply never acts on a
//!   guess.
//! - STOP (STOPP, ENDE, ABMELDEN) ends every message to the number at once, confirmed once.
//! - A number we do not know gets no answer (a forged sender must not cost money), but its
//!   STOP is kept, so nothing reaches it later by mistake.

use chrono::{DateTime, Duration, Utc};
use entity::{
    sms_inbound, sms_message, sms_recipient,
    vocab::{ConsentMethod, QuotaKind, SmsKind, SmsReplyMeaning, SmsStatus},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, sea_query::Expr, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    DomainResult,
    clock::SharedClock,
    db, quotas,
    rides::{self, RideSettings},
    sms::{
        SmsConfig, consent,
        outbox::{self, NewSms},
    },
    text::Text,
};

/// Automatic answers one number gets a day at most: a loop with another machine, or someone
/// texting nonsense, must not run up the bill.
pub const ANSWERS_PER_NUMBER_PER_DAY: u32 = 5;

/// What a reply says, read generously: spaces, punctuation, emoji and case do not matter.
pub fn interpret(text: &str) -> SmsReplyMeaning {
    let trimmed = text.trim();
    if trimmed == "?" {
        return SmsReplyMeaning::Help;
    }
    let words: Vec<String> = trimmed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    match words.as_slice() {
        [one] if one == "1" => SmsReplyMeaning::Confirm,
        [two] if two == "2" => SmsReplyMeaning::Cancel,
        [word] if matches!(word.as_str(), "STOP" | "STOPP" | "ENDE" | "ABMELDEN") => {
            SmsReplyMeaning::Stop
        }
        [word] if matches!(word.as_str(), "HILFE" | "HELP" | "INFO") => SmsReplyMeaning::Help,
        _ => SmsReplyMeaning::Unknown,
    }
}

/// A message to our number, as the provider's webhook delivered it.
#[derive(Clone, Debug)]
pub struct Inbound {
    /// `seven`.
    pub provider: &'static str,
    /// The provider's id of it (a retried webhook carries the same).
    pub message_id: String,
    /// The sender in E.164.
    pub from_e164: String,
    pub text: String,
}

/// What became of an inbound message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// Handled before (the provider sent it again): nothing done.
    Duplicate,
    /// Read as this, and acted on as far as it could be.
    Read(SmsReplyMeaning),
}

fn help_text(config: &SmsConfig) -> String {
    let desk = config
        .ride_desk_phone
        .as_deref()
        .map(|phone| format!(" Fragen: {phone}"))
        .unwrap_or_default();
    format!("Dorf-App: Antwort 1 = Fahrt bestätigen, 2 = absagen, STOP = keine SMS mehr.{desk}")
}

/// Handles one inbound message in one transaction.
pub async fn receive(
    db: &DatabaseConnection,
    clock: &SharedClock,
    config: &SmsConfig,
    settings: RideSettings,
    inbound: Inbound,
) -> DomainResult<Received> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let text: String = inbound.text.chars().take(1000).collect();
    let meaning = interpret(&text);
    let id = Uuid::now_v7();
    let inserted = sms_inbound::Entity::insert(sms_inbound::ActiveModel {
        id: Set(id),
        provider: Set(inbound.provider.to_owned()),
        provider_message_id: Set(inbound.message_id.chars().take(64).collect()),
        from_e164: Set(inbound.from_e164.clone()),
        recipient_id: Set(None),
        text: Set(text.clone()),
        meaning: Set(meaning),
        ride_id: Set(None),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            sms_inbound::Column::Provider,
            sms_inbound::Column::ProviderMessageId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted != 1 {
        return Ok(Received::Duplicate);
    }
    let (recipient, created) = consent::find_or_create(&txn, &inbound.from_e164, now).await?;
    let known = recipient.user_id.is_some()
        || recipient.rides_since.is_some()
        || recipient.warnings_since.is_some()
        || recipient.opted_out_at.is_some();
    let (meaning, ride_id) = if meaning == SmsReplyMeaning::Stop {
        stop(&txn, config, recipient.clone(), id, now).await?;
        (meaning, None)
    } else if !known || recipient.opted_out_at.is_some() {
        // Nobody we text: no answer. A row made just now for a stranger goes again; a row that
        // was there (a code waiting, consent records of a withdrawal: proof) stays.
        if !known {
            if created {
                sms_recipient::Entity::delete_by_id(recipient.id)
                    .exec(&txn)
                    .await?;
            }
            let kept = (!created).then_some(recipient.id);
            finish(&txn, id, kept, meaning, None).await?;
            txn.commit().await?;
            return Ok(Received::Read(meaning));
        }
        (meaning, None)
    } else {
        act(
            &txn, clock, config, settings, &recipient, id, meaning, &text, now,
        )
        .await?
    };
    finish(&txn, id, Some(recipient.id), meaning, ride_id).await?;
    txn.commit().await?;
    Ok(Received::Read(meaning))
}

async fn finish(
    txn: &DatabaseTransaction,
    id: Uuid,
    recipient: Option<Uuid>,
    meaning: SmsReplyMeaning,
    ride_id: Option<Uuid>,
) -> DomainResult<()> {
    sms_inbound::Entity::update_many()
        .col_expr(sms_inbound::Column::RecipientId, Expr::value(recipient))
        .col_expr(sms_inbound::Column::Meaning, Expr::value(meaning))
        .col_expr(sms_inbound::Column::RideId, Expr::value(ride_id))
        .filter(sms_inbound::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// "1", "2", help or anything else, from a number with consent.
#[allow(clippy::too_many_arguments, reason = "the reply and its context")]
async fn act(
    txn: &DatabaseTransaction,
    clock: &SharedClock,
    config: &SmsConfig,
    settings: RideSettings,
    recipient: &sms_recipient::Model,
    inbound_id: Uuid,
    meaning: SmsReplyMeaning,
    text: &str,
    now: DateTime<Utc>,
) -> DomainResult<(SmsReplyMeaning, Option<Uuid>)> {
    let open = rides::sms::open_questions(txn, recipient.id, now).await?;
    let same_day = |ride: &entity::ride::Model| rides::sms::same_day(ride.pickup_at, now, config);
    match (meaning, open.as_slice()) {
        (SmsReplyMeaning::Confirm, [ride]) => {
            rides::sms::confirm_by_sms(txn, ride, now).await?;
            let answer = format!(
                "Fahrdienst: Danke, Ihre Fahrt am {} um {} ist bestätigt.",
                rides::sms::day(ride.pickup_at, config),
                rides::sms::time(ride.pickup_at, config)
            );
            reply(
                txn,
                recipient,
                inbound_id,
                answer,
                Some(ride.id),
                same_day(ride),
                now,
            )
            .await?;
            Ok((meaning, Some(ride.id)))
        }
        (SmsReplyMeaning::Cancel, [ride]) => {
            let cancelled = rides::sms::cancel_by_sms(txn, clock, settings, ride).await?;
            let answer = if cancelled {
                format!(
                    "Fahrdienst: Ihre Fahrt am {} um {} ist abgesagt.",
                    rides::sms::day(ride.pickup_at, config),
                    rides::sms::time(ride.pickup_at, config)
                )
            } else {
                help_text(config)
            };
            reply(
                txn,
                recipient,
                inbound_id,
                answer,
                Some(ride.id),
                same_day(ride),
                now,
            )
            .await?;
            Ok((
                if cancelled {
                    meaning
                } else {
                    SmsReplyMeaning::Ambiguous
                },
                Some(ride.id),
            ))
        }
        _ => {
            // "1" or "2" with none open, or several (asking back is better than acting on a
            // guess), help, or words ("Ich bin krank"): the help text, and for anything but
            // help the desk reads the words at the ride.
            let ambiguous = matches!(meaning, SmsReplyMeaning::Confirm | SmsReplyMeaning::Cancel);
            let ride = if ambiguous || meaning == SmsReplyMeaning::Unknown {
                match open.first() {
                    Some(ride) => Some(ride.clone()),
                    None => rides::sms::recent_ride(txn, recipient.id, now).await?,
                }
            } else {
                None
            };
            if let Some(ride) = &ride {
                rides::sms::note_reply(txn, ride, text, now).await?;
            }
            reply(
                txn,
                recipient,
                inbound_id,
                help_text(config),
                None,
                false,
                now,
            )
            .await?;
            let meaning = if ambiguous {
                SmsReplyMeaning::Ambiguous
            } else {
                meaning
            };
            Ok((meaning, ride.map(|r| r.id)))
        }
    }
}

/// Queues an automatic answer, unless the number had its answers for today.
#[allow(clippy::too_many_arguments, reason = "the answer and what it is about")]
async fn reply(
    txn: &DatabaseTransaction,
    recipient: &sms_recipient::Model,
    inbound_id: Uuid,
    text: String,
    ride_id: Option<Uuid>,
    same_day: bool,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let key = format!("sms-answers:{}", recipient.e164);
    quotas::lock(txn, &key).await?;
    let allowed = quotas::use_one(
        txn,
        QuotaKind::SmsReply,
        &key,
        ANSWERS_PER_NUMBER_PER_DAY,
        Duration::days(1),
        now,
        || Text::new("", ""),
    )
    .await;
    if allowed.is_err() {
        tracing::info!(recipient = %recipient.id, "no more automatic answers to this number today");
        return Ok(());
    }
    outbox::enqueue(
        txn,
        now,
        NewSms {
            recipient_id: recipient.id,
            kind: SmsKind::Reply,
            text,
            max_segments: 1,
            dedupe_key: Some(format!("reply:{inbound_id}")),
            ride_id,
            news_id: None,
            asks_reply: false,
            same_day,
            due_at: now,
        },
    )
    .await?;
    Ok(())
}

/// STOP: nothing more to this number, everything waiting is cancelled, and one confirmation.
async fn stop(
    txn: &DatabaseTransaction,
    config: &SmsConfig,
    mut recipient: sms_recipient::Model,
    inbound_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    if recipient.opted_out_at.is_some() {
        return Ok(()); // confirmed the first time
    }
    let was_texted = recipient.rides_since.is_some() || recipient.warnings_since.is_some();
    consent::withdraw_all(txn, &mut recipient, ConsentMethod::SmsStop, None, now).await?;
    let mut row = recipient.clone().into_active_model();
    row.opted_out_at = Set(Some(now));
    row.updated_at = Set(now);
    let recipient = row.update(txn).await?;
    sms_message::Entity::update_many()
        .col_expr(
            sms_message::Column::Status,
            Expr::value(SmsStatus::Cancelled),
        )
        .col_expr(
            sms_message::Column::LastError,
            Expr::value(Some("STOP received")),
        )
        .col_expr(sms_message::Column::UpdatedAt, Expr::value(now))
        .filter(sms_message::Column::RecipientId.eq(recipient.id))
        .filter(sms_message::Column::Status.eq(SmsStatus::Pending))
        .exec(txn)
        .await?;
    if was_texted {
        let desk = config
            .ride_desk_phone
            .as_deref()
            .map(|phone| format!(" Wieder anmelden: {phone}"))
            .unwrap_or_default();
        outbox::enqueue(
            txn,
            now,
            NewSms {
                recipient_id: recipient.id,
                kind: SmsKind::StopConfirmed,
                text: format!("Dorf-App: Sie bekommen keine SMS mehr.{desk}"),
                max_segments: 1,
                dedupe_key: Some(format!("reply:{inbound_id}")),
                ride_id: None,
                news_id: None,
                asks_reply: false,
                same_day: false,
                due_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_generously_but_never_guessed() {
        use SmsReplyMeaning::*;
        for (text, meaning) in [
            ("1", Confirm),
            (" 1 ", Confirm),
            ("1.", Confirm),
            ("1 👍", Confirm),
            ("2", Cancel),
            ("2!", Cancel),
            ("stop", Stop),
            ("Stopp", Stop),
            ("ENDE", Stop),
            ("abmelden", Stop),
            ("STOP.", Stop),
            ("?", Help),
            ("Hilfe", Help),
            ("12", Unknown),
            ("1 2", Unknown),
            ("Ja", Unknown),
            ("Ich bin krank", Unknown),
            ("", Unknown),
            ("１", Unknown),
            ("stop bitte nicht", Unknown),
        ] {
            assert_eq!(interpret(text), meaning, "{text:?}");
        }
    }
}
