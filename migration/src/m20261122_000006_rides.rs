//! Shuttle rides: each leg a row (a return trip is its own leg, linked to the outward one), and
//! the history of every transition.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Ride::Table)
                    .col(pk_uuid(Ride::Id))
                    .col(uuid_null(Ride::RiderUserId))
                    .col(string_len_null(Ride::RiderName, 200))
                    .col(string_len_null(Ride::ContactPhone, 40))
                    .col(uuid_null(Ride::BookedBy))
                    .col(uuid(Ride::PickupDistrictId))
                    .col(string_len(Ride::PickupAddress, 300))
                    .col(string_len(Ride::Destination, 300))
                    .col(string_len(Ride::Purpose, 16))
                    .col(timestamp_with_time_zone(Ride::PickupAt))
                    .col(integer_null(Ride::FlexibilityMinutes))
                    .col(timestamp_with_time_zone_null(Ride::AppointmentAt))
                    .col(integer(Ride::Passengers))
                    // JSON array of `walker`, `wheelchair`, `companion`.
                    .col(text(Ride::MobilityAids))
                    .col(text_null(Ride::Notes))
                    .col(string_len(Ride::Status, 16))
                    .col(uuid_null(Ride::DriverId))
                    .col(uuid_null(Ride::OutwardRideId))
                    .col(timestamp_with_time_zone(Ride::CreatedAt))
                    .col(timestamp_with_time_zone(Ride::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_rider")
                            .from(Ride::Table, Ride::RiderUserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_booked_by")
                            .from(Ride::Table, Ride::BookedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_driver")
                            .from(Ride::Table, Ride::DriverId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_district")
                            .from(Ride::Table, Ride::PickupDistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_outward")
                            .from(Ride::Table, Ride::OutwardRideId)
                            .to(Ride::Table, Ride::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists are ordered by pickup time, then id; each scope has its own index.
        let indexes: [(&str, &[Ride]); 5] = [
            (
                "idx_ride_rider",
                &[Ride::RiderUserId, Ride::PickupAt, Ride::Id],
            ),
            (
                "idx_ride_driver",
                &[Ride::DriverId, Ride::PickupAt, Ride::Id],
            ),
            (
                "idx_ride_district_status",
                &[
                    Ride::PickupDistrictId,
                    Ride::Status,
                    Ride::PickupAt,
                    Ride::Id,
                ],
            ),
            ("idx_ride_pickup", &[Ride::PickupAt, Ride::Id]),
            ("idx_ride_outward", &[Ride::OutwardRideId]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(Ride::Table);
            for column in columns {
                index.col(column.clone());
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RideEvent::Table)
                    .col(pk_uuid(RideEvent::Id))
                    .col(uuid(RideEvent::RideId))
                    .col(string_len(RideEvent::Status, 16))
                    .col(timestamp_with_time_zone(RideEvent::At))
                    .col(string_len(RideEvent::ActorRole, 16))
                    .col(uuid_null(RideEvent::ActorId))
                    .col(string_len_null(RideEvent::Reason, 500))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_event_ride")
                            .from(RideEvent::Table, RideEvent::RideId)
                            .to(Ride::Table, Ride::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ride_event_actor")
                            .from(RideEvent::Table, RideEvent::ActorId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ride_event_ride")
                    .table(RideEvent::Table)
                    .col(RideEvent::RideId)
                    .col(RideEvent::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RideEvent::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Ride::Table).to_owned())
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

#[derive(DeriveIden, Clone)]
enum Ride {
    Table,
    Id,
    RiderUserId,
    RiderName,
    ContactPhone,
    BookedBy,
    PickupDistrictId,
    PickupAddress,
    Destination,
    Purpose,
    PickupAt,
    FlexibilityMinutes,
    AppointmentAt,
    Passengers,
    MobilityAids,
    Notes,
    Status,
    DriverId,
    OutwardRideId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RideEvent {
    Table,
    Id,
    RideId,
    Status,
    At,
    ActorRole,
    ActorId,
    Reason,
}
