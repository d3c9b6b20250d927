//! The ride desk (issue 20).
//!
//! - `ride_callback`: a change to a ride booked on someone's behalf that the rider has not yet
//!   been told of (a driver found, released, no driver found, cancelled, time changed). It is
//!   written in the same transaction as the history row it explains and ticked off by the
//!   desk after the call. It holds no personal data of its own.
//! - `ride.contact_phone_key`: the digits of the contact phone in one canonical form, so that
//!   the desk finds a caller's last rides however the number was typed ("+49 39483 1234",
//!   "039483/1234"). Rows booked before this migration are filled at start-up by the domain
//!   (`rides::desk::backfill_phone_keys`), which owns the rule.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RideCallback::Table)
                    .col(pk_uuid(RideCallback::Id))
                    .col(uuid(RideCallback::RideId))
                    .col(uuid_uniq(RideCallback::RideEventId))
                    .col(string_len(RideCallback::Reason, 16))
                    .col(timestamp_with_time_zone(RideCallback::CreatedAt))
                    .col(timestamp_with_time_zone_null(RideCallback::DoneAt))
                    .col(uuid_null(RideCallback::DoneBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_callback_ride")
                            .from(RideCallback::Table, RideCallback::RideId)
                            .to(Ride::Table, Ride::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_callback_event")
                            .from(RideCallback::Table, RideCallback::RideEventId)
                            .to(RideEvent::Table, RideEvent::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_callback_done_by")
                            .from(RideCallback::Table, RideCallback::DoneBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The open list, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_ride_callback_open")
                    .table(RideCallback::Table)
                    .col(RideCallback::DoneAt)
                    .col(RideCallback::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ride_callback_ride")
                    .table(RideCallback::Table)
                    .col(RideCallback::RideId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ride::Table)
                    .add_column(string_len_null(Ride::ContactPhoneKey, 20))
                    .to_owned(),
            )
            .await?;
        // A caller's last rides.
        manager
            .create_index(
                Index::create()
                    .name("idx_ride_contact_phone_key")
                    .table(Ride::Table)
                    .col(Ride::ContactPhoneKey)
                    .col(Ride::PickupAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_ride_contact_phone_key")
                    .table(Ride::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ride::Table)
                    .drop_column(Ride::ContactPhoneKey)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RideCallback::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RideCallback {
    Table,
    Id,
    RideId,
    RideEventId,
    Reason,
    CreatedAt,
    DoneAt,
    DoneBy,
}

#[derive(DeriveIden)]
enum Ride {
    Table,
    Id,
    ContactPhoneKey,
    PickupAt,
}

#[derive(DeriveIden)]
enum RideEvent {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}
