//! Text messages (issue 21; `docs/sms.md`).
//!
//! - `sms_recipient`: a mobile number (E.164) that may be sent messages, and for what: the
//!   ride service (`rides_since`) and warnings of a district (`warnings_since`); either a
//!   resident's own verified number (`user_id`) or one the ride desk recorded with a name.
//!   `opted_out_at` is a STOP: nothing is sent until a new consent is recorded.
//! - `sms_consent`: every consent given or withdrawn, never changed: for what, how (a code
//!   sent and entered, the app, on the phone to the desk, STOP …), who recorded it, and which
//!   wording was read out or shown. The proof a data protection officer asks for.
//! - `sms_verification`: a code sent to a resident's number, kept as a keyed hash, with its
//!   expiry and the wrong tries so far (one open code per person).
//! - `sms_message`: the outbox, claimed by workers with a lease like `push_delivery`; the
//!   provider's id for its delivery reports; a dedupe key so that a cause queues its message
//!   once whatever retries happen.
//! - `sms_inbound`: a message to our number (a reply "1", "2", STOP), once per provider id,
//!   with what it was taken to mean.
//! - `sms_webhook_nonce`: the nonces of signed webhooks seen in the last minutes, so that a
//!   replayed request is recognised.
//! - `sms_usage`: messages and billed segments per local month and kind, for the budget. It
//!   names nobody, so erasing a person does not lower the month's count.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    name: &str,
    from: (SmsTable, SmsColumn),
    to: (Other, Other),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn set_null(
    name: &str,
    from: (SmsTable, SmsColumn),
    to: (Other, Other),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SmsColumn as C;
        use SmsTable as T;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsRecipient)
                    .col(pk_uuid(C::Id))
                    .col(string_len_uniq(C::E164, 16))
                    .col(uuid_null(C::UserId).unique_key())
                    .col(string_len_null(C::Name, 200))
                    .col(uuid_null(C::DistrictId))
                    .col(timestamp_with_time_zone_null(C::RidesSince))
                    .col(timestamp_with_time_zone_null(C::WarningsSince))
                    .col(timestamp_with_time_zone_null(C::OptedOutAt))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .check(Expr::col(C::E164).like("+%"))
                    .foreign_key(&mut cascade(
                        "fk_sms_recipient_user",
                        (T::SmsRecipient, C::UserId),
                        (Other::AppUser, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_recipient_district",
                        (T::SmsRecipient, C::DistrictId),
                        (Other::District, Other::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The warnings of a district go to these.
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_recipient_warnings")
                    .table(T::SmsRecipient)
                    .col(C::DistrictId)
                    .col(C::WarningsSince)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsConsent)
                    .col(pk_uuid(C::Id))
                    .col(uuid(C::RecipientId))
                    .col(string_len(C::Purpose, 16))
                    .col(string_len(C::Action, 16))
                    .col(string_len(C::Method, 24))
                    .col(uuid_null(C::RecordedBy))
                    .col(timestamp_with_time_zone(C::At))
                    .col(string_len(C::TextVersion, 16))
                    .col(string_len_null(C::Note, 500))
                    .foreign_key(&mut cascade(
                        "fk_sms_consent_recipient",
                        (T::SmsConsent, C::RecipientId),
                        (Other::SmsRecipient, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_consent_recorded_by",
                        (T::SmsConsent, C::RecordedBy),
                        (Other::AppUser, Other::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_consent_recipient")
                    .table(T::SmsConsent)
                    .col(C::RecipientId)
                    .col(C::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsVerification)
                    .col(pk_uuid(C::Id))
                    .col(uuid_uniq(C::UserId))
                    .col(string_len(C::E164, 16))
                    .col(string_len(C::CodeHash, 64))
                    .col(string_len(C::Purposes, 64))
                    .col(uuid_null(C::DistrictId))
                    .col(timestamp_with_time_zone(C::ExpiresAt))
                    .col(integer(C::Attempts).default(0))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .check(Expr::col(C::Attempts).lte(5))
                    .foreign_key(&mut cascade(
                        "fk_sms_verification_user",
                        (T::SmsVerification, C::UserId),
                        (Other::AppUser, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_verification_district",
                        (T::SmsVerification, C::DistrictId),
                        (Other::District, Other::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsMessage)
                    .col(pk_uuid(C::Id))
                    .col(uuid(C::RecipientId))
                    .col(string_len(C::Kind, 24))
                    .col(string_len(C::Body, 480))
                    .col(integer(C::Segments))
                    .col(string_len_null(C::DedupeKey, 120).unique_key())
                    .col(uuid_null(C::RideId))
                    .col(uuid_null(C::NewsId))
                    .col(boolean(C::AsksReply).default(false))
                    .col(boolean(C::SameDay).default(false))
                    .col(string_len(C::Status, 16))
                    .col(timestamp_with_time_zone(C::DueAt))
                    .col(integer(C::Attempts).default(0))
                    .col(integer(C::MaxAttempts).default(8))
                    .col(string_len_null(C::LockedBy, 64))
                    .col(timestamp_with_time_zone_null(C::LockedUntil))
                    .col(text_null(C::LastError))
                    .col(string_len_null(C::Provider, 16))
                    .col(string_len_null(C::ProviderMessageId, 64))
                    .col(string_len_null(C::ProviderStatus, 32))
                    .col(big_integer_null(C::PriceMicros))
                    .col(timestamp_with_time_zone_null(C::SentAt))
                    .col(timestamp_with_time_zone_null(C::DeliveredAt))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_sms_message_recipient",
                        (T::SmsMessage, C::RecipientId),
                        (Other::SmsRecipient, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_message_ride",
                        (T::SmsMessage, C::RideId),
                        (Other::Ride, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_message_news",
                        (T::SmsMessage, C::NewsId),
                        (Other::NewsItem, Other::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            // The worker's claim: due pending messages, oldest first.
            ("idx_sms_message_due", vec![C::Status, C::DueAt]),
            // A number's messages (open questions to a reply, the export).
            (
                "idx_sms_message_recipient",
                vec![C::RecipientId, C::CreatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(T::SmsMessage);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // A delivery report finds its message.
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_message_provider_id")
                    .table(T::SmsMessage)
                    .col(C::Provider)
                    .col(C::ProviderMessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsInbound)
                    .col(pk_uuid(C::Id))
                    .col(string_len(C::Provider, 16))
                    .col(string_len(C::ProviderMessageId, 64))
                    .col(string_len(C::FromE164, 16))
                    .col(uuid_null(C::RecipientId))
                    // As long as whoever wrote it made it: a long reply must not fail the insert.
                    .col(text(C::Text))
                    .col(string_len(C::Meaning, 16))
                    .col(uuid_null(C::RideId))
                    .col(timestamp_with_time_zone(C::ReceivedAt))
                    .foreign_key(&mut cascade(
                        "fk_sms_inbound_recipient",
                        (T::SmsInbound, C::RecipientId),
                        (Other::SmsRecipient, Other::Id),
                    ))
                    .foreign_key(&mut set_null(
                        "fk_sms_inbound_ride",
                        (T::SmsInbound, C::RideId),
                        (Other::Ride, Other::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // A webhook retried by the provider acts once.
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_inbound_provider_id")
                    .table(T::SmsInbound)
                    .col(C::Provider)
                    .col(C::ProviderMessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsWebhookNonce)
                    .col(string_len(C::Nonce, 64).primary_key())
                    .col(string_len(C::BodyMd5, 32))
                    .col(timestamp_with_time_zone(C::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::SmsUsage)
                    .col(string_len(C::Month, 7))
                    .col(string_len(C::Kind, 24))
                    .col(integer(C::Messages).default(0))
                    .col(integer(C::Segments).default(0))
                    .primary_key(Index::create().col(C::Month).col(C::Kind))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SmsTable::SmsUsage,
            SmsTable::SmsWebhookNonce,
            SmsTable::SmsInbound,
            SmsTable::SmsMessage,
            SmsTable::SmsVerification,
            SmsTable::SmsConsent,
            SmsTable::SmsRecipient,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
#[allow(clippy::enum_variant_names, reason = "the tables' own names")]
enum SmsTable {
    SmsRecipient,
    SmsConsent,
    SmsVerification,
    SmsMessage,
    SmsInbound,
    SmsWebhookNonce,
    SmsUsage,
}

#[derive(DeriveIden, Clone, Copy)]
enum SmsColumn {
    Id,
    E164,
    UserId,
    Name,
    DistrictId,
    RidesSince,
    WarningsSince,
    OptedOutAt,
    CreatedAt,
    UpdatedAt,
    RecipientId,
    Purpose,
    Action,
    Method,
    RecordedBy,
    At,
    TextVersion,
    Note,
    CodeHash,
    Purposes,
    ExpiresAt,
    Attempts,
    Kind,
    Body,
    Segments,
    DedupeKey,
    RideId,
    NewsId,
    AsksReply,
    SameDay,
    Status,
    DueAt,
    MaxAttempts,
    LockedBy,
    LockedUntil,
    LastError,
    Provider,
    ProviderMessageId,
    ProviderStatus,
    PriceMicros,
    SentAt,
    DeliveredAt,
    FromE164,
    Text,
    Meaning,
    ReceivedAt,
    Nonce,
    BodyMd5,
    Month,
    Messages,
}

/// The tables the new ones point at.
#[derive(DeriveIden, Clone, Copy)]
enum Other {
    Id,
    AppUser,
    District,
    Ride,
    NewsItem,
    SmsRecipient,
}
