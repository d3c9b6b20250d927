//! Helpers (Ehrenamt, issue 19): an event asks for helpers in shifts, residents sign up.
//!
//! - `event_shift`: one shift of an event ("Kuchenbuffet 14–16 Uhr, 3 gesucht"), its times as
//!   typed (local, like the event's) and as instants, how many are needed and how many have
//!   signed up. `taken` is kept by the domain in the sign-up's transaction (a compare-and-set,
//!   as a ride's acceptance); the CHECK is the backstop that no race can pass.
//! - `event_signup`: one person on one shift, with the phone number the organiser may call.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventShift::Table)
                    .col(pk_uuid(EventShift::Id))
                    .col(uuid(EventShift::EventId))
                    .col(string_len(EventShift::Title, 200))
                    .col(string_len(EventShift::StartLocal, 19))
                    .col(string_len(EventShift::EndLocal, 19))
                    .col(timestamp_with_time_zone(EventShift::StartsAt))
                    .col(timestamp_with_time_zone(EventShift::EndsAt))
                    .col(integer(EventShift::Needed))
                    .col(integer(EventShift::Taken))
                    .col(timestamp_with_time_zone(EventShift::CreatedAt))
                    .col(timestamp_with_time_zone(EventShift::UpdatedAt))
                    .check((
                        Alias::new("ck_event_shift_taken"),
                        Expr::col(EventShift::Taken)
                            .gte(0)
                            .and(Expr::col(EventShift::Taken).lte(Expr::col(EventShift::Needed))),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_shift_event")
                            .from(EventShift::Table, EventShift::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An event's shifts in order.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_shift_event_start")
                    .table(EventShift::Table)
                    .col(EventShift::EventId)
                    .col(EventShift::StartsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventSignup::Table)
                    .col(pk_uuid(EventSignup::Id))
                    .col(uuid(EventSignup::ShiftId))
                    .col(uuid(EventSignup::UserId))
                    .col(string_len(EventSignup::Phone, 40))
                    .col(timestamp_with_time_zone(EventSignup::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_signup_shift")
                            .from(EventSignup::Table, EventSignup::ShiftId)
                            .to(EventShift::Table, EventShift::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_signup_user")
                            .from(EventSignup::Table, EventSignup::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One place per person and shift (a double tap signs up once); the shift's helpers.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_signup_shift_user")
                    .table(EventSignup::Table)
                    .col(EventSignup::ShiftId)
                    .col(EventSignup::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // "What I helped with", and the export and erasure.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_signup_user")
                    .table(EventSignup::Table)
                    .col(EventSignup::UserId)
                    .col(EventSignup::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventSignup::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventShift::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EventShift {
    Table,
    Id,
    EventId,
    Title,
    StartLocal,
    EndLocal,
    StartsAt,
    EndsAt,
    Needed,
    Taken,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventSignup {
    Table,
    Id,
    ShiftId,
    UserId,
    Phone,
    CreatedAt,
}
