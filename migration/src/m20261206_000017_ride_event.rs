//! A ride to an event (issue 19): `ride.event_id` names the event a ride goes to, so that its
//! destination and appointment can be taken from it and its organisers see how many rides are
//! booked to it (a count only). Inline `REFERENCES`, as SQLite cannot add a foreign key to an
//! existing table; an event that is deleted leaves its rides as they are.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Ride::Table)
                    .add_column(
                        uuid_null(Ride::EventId).extra("REFERENCES event (id) ON DELETE SET NULL"),
                    )
                    .to_owned(),
            )
            .await?;
        // The organisers' count.
        manager
            .create_index(
                Index::create()
                    .name("idx_ride_event")
                    .table(Ride::Table)
                    .col(Ride::EventId)
                    .col(Ride::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_ride_event")
                    .table(Ride::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ride::Table)
                    .drop_column(Ride::EventId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Ride {
    Table,
    EventId,
    Status,
}
