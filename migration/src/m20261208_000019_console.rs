//! The web console (issue 20).
//!
//! - `console_session`: a browser signed in to `/console`. It rides on a `session` row, so
//!   everything that ends a session (logout, a password change, erasure, the documented
//!   `UPDATE session SET revoked_at`) ends it too; it adds only what a cookie needs: the hash
//!   of the cookie (the database never holds a usable one) and the idle deadline.
//! - `console_draft`: the fields of a form whose session had expired when it was sent, kept
//!   for 24 hours so that they can be restored after signing in again, for that user only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSession::Table)
                    .col(pk_uuid(ConsoleSession::Id))
                    .col(uuid_uniq(ConsoleSession::SessionId))
                    .col(string_len_uniq(ConsoleSession::CookieHash, 64))
                    .col(timestamp_with_time_zone(ConsoleSession::IdleExpiresAt))
                    .col(timestamp_with_time_zone(ConsoleSession::SeenAt))
                    .col(timestamp_with_time_zone(ConsoleSession::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_session_session")
                            .from(ConsoleSession::Table, ConsoleSession::SessionId)
                            .to(Session::Table, Session::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsoleDraft::Table)
                    .col(pk_uuid(ConsoleDraft::Id))
                    .col(uuid(ConsoleDraft::UserId))
                    .col(string_len(ConsoleDraft::Path, 200))
                    .col(text(ConsoleDraft::Fields))
                    .col(timestamp_with_time_zone(ConsoleDraft::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleDraft::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_draft_user")
                            .from(ConsoleDraft::Table, ConsoleDraft::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The hourly purge of expired drafts.
        manager
            .create_index(
                Index::create()
                    .name("idx_console_draft_expires")
                    .table(ConsoleDraft::Table)
                    .col(ConsoleDraft::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        // Deleting a user finds their drafts.
        manager
            .create_index(
                Index::create()
                    .name("idx_console_draft_user")
                    .table(ConsoleDraft::Table)
                    .col(ConsoleDraft::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleDraft::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConsoleSession::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ConsoleSession {
    Table,
    Id,
    SessionId,
    CookieHash,
    IdleExpiresAt,
    SeenAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConsoleDraft {
    Table,
    Id,
    UserId,
    Path,
    Fields,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}
