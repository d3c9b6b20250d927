//! Events (Veranstaltungen, issue 19).
//!
//! - `event`: one row per event or series. Its time is kept as the organiser wrote it, in local
//!   wall-clock time with its zone (`start_local`, `end_local`, `tz`), since "every Tuesday
//!   19:00" is a rule about the clock on the wall; `starts_at`/`ends_at` hold the first
//!   occurrence as instants. A series has a canonical `rrule`.
//! - `event_district`: the districts it is for; none = the whole town.
//! - `event_exception`: one occurrence of a series cancelled or moved, keyed by its original
//!   local start (iCal `RECURRENCE-ID`).
//! - `event_occurrence`: a projection kept by the domain (`events::occurrences`), one row per
//!   occurrence and placement (district, or null for the whole town), so that a calendar page
//!   is an index range scan and never an expansion per request.
//! - `event_follower`: residents who follow an event ("interessiert"): told of every change,
//!   reminded before each date as they chose (`remind`).
//! - `media_use.event_id`: an event's photos (inline `REFERENCES`, as SQLite cannot add a
//!   foreign key to an existing table).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(pk_uuid(Event::Id))
                    .col(string_len(Event::Title, 200))
                    .col(text(Event::Description))
                    .col(string_len(Event::Category, 16))
                    // scheduled | moved | cancelled
                    .col(string_len(Event::Status, 16))
                    // draft | published | unpublished
                    .col(string_len(Event::Publication, 16))
                    .col(string_len_null(Event::UnpublishedReason, 500))
                    .col(uuid_null(Event::OrganisationId))
                    // An organiser named in words, when no organisation publishes it.
                    .col(string_len_null(Event::OrganiserName, 200))
                    // Adopted from a news item with event data (one event per item).
                    .col(uuid_null(Event::NewsId).unique_key())
                    .col(boolean(Event::AllDay))
                    .col(string_len(Event::Tz, 64))
                    // `YYYY-MM-DDTHH:MM:SS`, local; all-day: the first and the last day.
                    .col(string_len(Event::StartLocal, 19))
                    .col(string_len_null(Event::EndLocal, 19))
                    .col(timestamp_with_time_zone(Event::StartsAt))
                    .col(timestamp_with_time_zone_null(Event::EndsAt))
                    .col(string_len_null(Event::Rrule, 500))
                    .col(string_len_null(Event::MovedFromLocal, 19))
                    .col(timestamp_with_time_zone_null(Event::MovedFromAt))
                    .col(timestamp_with_time_zone_null(Event::CancelledAt))
                    .col(string_len_null(Event::CancelReason, 500))
                    .col(string_len_null(Event::Place, 300))
                    // Microdegrees (WGS 84), both set or both null.
                    .col(integer_null(Event::LatE6))
                    .col(integer_null(Event::LonE6))
                    // iCal SEQUENCE: raised by every change of time or status.
                    .col(integer(Event::Sequence))
                    .col(boolean(Event::Notify))
                    // How far `event_occurrence` holds this event's occurrences.
                    .col(timestamp_with_time_zone_null(Event::ExpandedUntil))
                    .col(uuid_null(Event::CreatedBy))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .col(timestamp_with_time_zone(Event::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_organisation")
                            .from(Event::Table, Event::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_news")
                            .from(Event::Table, Event::NewsId)
                            .to(NewsItem::Table, NewsItem::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_created_by")
                            .from(Event::Table, Event::CreatedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_event_organisation",
                vec![Event::OrganisationId, Event::StartsAt],
            ),
            // The daily top-up of open-ended series.
            (
                "idx_event_expansion",
                vec![Event::Publication, Event::ExpandedUntil],
            ),
            // The quota per author and hour, and erasure.
            (
                "idx_event_created_by",
                vec![Event::CreatedBy, Event::CreatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Event::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EventDistrict::Table)
                    .col(uuid(EventDistrict::EventId))
                    .col(uuid(EventDistrict::DistrictId))
                    .primary_key(
                        Index::create()
                            .col(EventDistrict::EventId)
                            .col(EventDistrict::DistrictId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_district_event")
                            .from(EventDistrict::Table, EventDistrict::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_district_district")
                            .from(EventDistrict::Table, EventDistrict::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_district_district")
                    .table(EventDistrict::Table)
                    .col(EventDistrict::DistrictId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventException::Table)
                    .col(pk_uuid(EventException::Id))
                    .col(uuid(EventException::EventId))
                    .col(string_len(EventException::OriginalLocal, 19))
                    .col(timestamp_with_time_zone(EventException::OriginalAt))
                    // cancelled | moved
                    .col(string_len(EventException::Kind, 16))
                    .col(string_len_null(EventException::StartLocal, 19))
                    .col(string_len_null(EventException::EndLocal, 19))
                    .col(timestamp_with_time_zone_null(EventException::StartsAt))
                    .col(timestamp_with_time_zone_null(EventException::EndsAt))
                    .col(string_len_null(EventException::Reason, 500))
                    .col(timestamp_with_time_zone(EventException::CreatedAt))
                    .col(timestamp_with_time_zone(EventException::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_exception_event")
                            .from(EventException::Table, EventException::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_exception_original")
                    .table(EventException::Table)
                    .col(EventException::EventId)
                    .col(EventException::OriginalLocal)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventOccurrence::Table)
                    .col(pk_uuid(EventOccurrence::Id))
                    .col(uuid(EventOccurrence::EventId))
                    // Null: the whole town's row.
                    .col(uuid_null(EventOccurrence::DistrictId))
                    // One row per occurrence is listed in the town-wide calendar (the first
                    // placement), so an event for three districts appears there once.
                    .col(boolean(EventOccurrence::Listed))
                    .col(timestamp_with_time_zone(EventOccurrence::OriginalAt))
                    .col(timestamp_with_time_zone(EventOccurrence::StartsAt))
                    .col(timestamp_with_time_zone(EventOccurrence::EndsAt))
                    .col(string_len(EventOccurrence::Category, 16))
                    // scheduled | moved | cancelled (this occurrence)
                    .col(string_len(EventOccurrence::Status, 16))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_occurrence_event")
                            .from(EventOccurrence::Table, EventOccurrence::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_occurrence_district")
                            .from(EventOccurrence::Table, EventOccurrence::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_event_occurrence_district_start",
                vec![
                    EventOccurrence::DistrictId,
                    EventOccurrence::StartsAt,
                    EventOccurrence::EventId,
                ],
            ),
            (
                "idx_event_occurrence_district_category",
                vec![
                    EventOccurrence::DistrictId,
                    EventOccurrence::Category,
                    EventOccurrence::StartsAt,
                    EventOccurrence::EventId,
                ],
            ),
            (
                "idx_event_occurrence_listed",
                vec![
                    EventOccurrence::Listed,
                    EventOccurrence::StartsAt,
                    EventOccurrence::EventId,
                ],
            ),
            (
                "idx_event_occurrence_event",
                vec![EventOccurrence::EventId, EventOccurrence::OriginalAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(EventOccurrence::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EventFollower::Table)
                    .col(uuid(EventFollower::EventId))
                    .col(uuid(EventFollower::UserId))
                    // none | hour | day
                    .col(string_len(EventFollower::Remind, 8))
                    .col(timestamp_with_time_zone(EventFollower::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(EventFollower::EventId)
                            .col(EventFollower::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_follower_event")
                            .from(EventFollower::Table, EventFollower::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_follower_user")
                            .from(EventFollower::Table, EventFollower::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "What I follow", and the export.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_follower_user")
                    .table(EventFollower::Table)
                    .col(EventFollower::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(MediaUse::Table)
                    .add_column(
                        uuid_null(MediaUse::EventId)
                            .extra("REFERENCES event (id) ON DELETE CASCADE"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_media_use_event")
                    .table(MediaUse::Table)
                    .col(MediaUse::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_media_use_event")
                    .table(MediaUse::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MediaUse::Table)
                    .drop_column(MediaUse::EventId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(EventFollower::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventOccurrence::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventException::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventDistrict::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Event::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum District {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NewsItem {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MediaUse {
    Table,
    EventId,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    Title,
    Description,
    Category,
    Status,
    Publication,
    UnpublishedReason,
    OrganisationId,
    OrganiserName,
    NewsId,
    AllDay,
    Tz,
    StartLocal,
    EndLocal,
    StartsAt,
    EndsAt,
    Rrule,
    MovedFromLocal,
    MovedFromAt,
    CancelledAt,
    CancelReason,
    Place,
    LatE6,
    LonE6,
    Sequence,
    Notify,
    ExpandedUntil,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventDistrict {
    Table,
    EventId,
    DistrictId,
}

#[derive(DeriveIden)]
enum EventException {
    Table,
    Id,
    EventId,
    OriginalLocal,
    OriginalAt,
    Kind,
    StartLocal,
    EndLocal,
    StartsAt,
    EndsAt,
    Reason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventFollower {
    Table,
    EventId,
    UserId,
    Remind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventOccurrence {
    Table,
    Id,
    EventId,
    DistrictId,
    Listed,
    OriginalAt,
    StartsAt,
    EndsAt,
    Category,
    Status,
}
