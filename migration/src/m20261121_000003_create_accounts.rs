//! Accounts, sessions, role assignments, login throttling, idempotency records, and the shop
//! table that `shop_operator` assignments point to (the shops issue adds its opening hours).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(pk_uuid(AppUser::Id))
                    .col(string_len(AppUser::Email, 254))
                    // Lower-cased email: uniqueness and lookups are case-insensitive on both
                    // databases without functional indexes.
                    .col(string_len_uniq(AppUser::EmailNormalized, 254))
                    .col(string_len(AppUser::DisplayName, 100))
                    .col(string_len(AppUser::PasswordHash, 255))
                    .col(uuid_null(AppUser::HomeDistrictId))
                    .col(string_len_null(AppUser::Phone, 40))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone(AppUser::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_app_user_home_district")
                            .from(AppUser::Table, AppUser::HomeDistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Shop::Table)
                    .col(pk_uuid(Shop::Id))
                    .col(string_len(Shop::Name, 200))
                    .col(uuid(Shop::DistrictId))
                    .col(string_len(Shop::Address, 300))
                    .col(string_len_null(Shop::Phone, 40))
                    .col(string_len_null(Shop::Email, 254))
                    .col(string_len_null(Shop::Website, 300))
                    .col(text_null(Shop::Description))
                    .col(timestamp_with_time_zone(Shop::CreatedAt))
                    .col(timestamp_with_time_zone(Shop::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_district")
                            .from(Shop::Table, Shop::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleAssignment::Table)
                    .col(pk_uuid(RoleAssignment::Id))
                    .col(uuid(RoleAssignment::UserId))
                    .col(string_len(RoleAssignment::Role, 32))
                    .col(uuid_null(RoleAssignment::DistrictId))
                    .col(uuid_null(RoleAssignment::ShopId))
                    // `user|role|district|shop`: one assignment of a kind per user and scope
                    // (a unique index over nullable columns would let duplicates through).
                    .col(string_len_uniq(RoleAssignment::ScopeKey, 160))
                    .col(timestamp_with_time_zone(RoleAssignment::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignment_user")
                            .from(RoleAssignment::Table, RoleAssignment::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignment_district")
                            .from(RoleAssignment::Table, RoleAssignment::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignment_shop")
                            .from(RoleAssignment::Table, RoleAssignment::ShopId)
                            .to(Shop::Table, Shop::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_assignment_user")
                    .table(RoleAssignment::Table)
                    .col(RoleAssignment::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(pk_uuid(Session::Id))
                    .col(uuid(Session::UserId))
                    .col(string_len_null(Session::UserAgent, 200))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::LastUsedAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Session::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_user")
                            .from(Session::Table, Session::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_user")
                    .table(Session::Table)
                    .col(Session::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(pk_uuid(RefreshToken::Id))
                    .col(uuid(RefreshToken::SessionId))
                    // SHA-256 of the token, hex: the token itself is never stored.
                    .col(string_len_uniq(RefreshToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::UsedAt))
                    .col(timestamp_with_time_zone(RefreshToken::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_session")
                            .from(RefreshToken::Table, RefreshToken::SessionId)
                            .to(Session::Table, Session::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginAttempt::Table)
                    .col(pk_uuid(LoginAttempt::Id))
                    .col(string_len(LoginAttempt::EmailNormalized, 254))
                    .col(string_len(LoginAttempt::ClientAddress, 64))
                    .col(boolean(LoginAttempt::Succeeded))
                    .col(timestamp_with_time_zone(LoginAttempt::At))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_login_attempt_email_at", LoginAttempt::EmailNormalized),
            ("idx_login_attempt_client_at", LoginAttempt::ClientAddress),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginAttempt::Table)
                        .col(column)
                        .col(LoginAttempt::At)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecord::Table)
                    .col(pk_uuid(IdempotencyRecord::Id))
                    .col(string_len(IdempotencyRecord::Scope, 80))
                    .col(string_len(IdempotencyRecord::Key, 255))
                    .col(string_len(IdempotencyRecord::RequestHash, 64))
                    .col(integer(IdempotencyRecord::StatusCode))
                    .col(text(IdempotencyRecord::ResponseBody))
                    .col(uuid_null(IdempotencyRecord::ResourceId))
                    .col(timestamp_with_time_zone(IdempotencyRecord::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyRecord::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_scope_key")
                    .table(IdempotencyRecord::Table)
                    .col(IdempotencyRecord::Scope)
                    .col(IdempotencyRecord::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_expires_at")
                    .table(IdempotencyRecord::Table)
                    .col(IdempotencyRecord::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyRecord::Table.into_iden(),
            LoginAttempt::Table.into_iden(),
            RefreshToken::Table.into_iden(),
            Session::Table.into_iden(),
            RoleAssignment::Table.into_iden(),
            Shop::Table.into_iden(),
            AppUser::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum District {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    EmailNormalized,
    DisplayName,
    PasswordHash,
    HomeDistrictId,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
    Name,
    DistrictId,
    Address,
    Phone,
    Email,
    Website,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleAssignment {
    Table,
    Id,
    UserId,
    Role,
    DistrictId,
    ShopId,
    ScopeKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    UserId,
    UserAgent,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    SessionId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginAttempt {
    Table,
    Id,
    EmailNormalized,
    ClientAddress,
    Succeeded,
    At,
}

#[derive(DeriveIden)]
enum IdempotencyRecord {
    Table,
    Id,
    Scope,
    Key,
    RequestHash,
    StatusCode,
    ResponseBody,
    ResourceId,
    CreatedAt,
    ExpiresAt,
}
