//! Village shops: opening hours and special days (kept with the shop, replaced whole), notices,
//! followers; and the `notice` table, the seam between capabilities and push delivery.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Weekly windows and special days as JSON arrays: each is read and replaced whole.
        manager
            .alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .add_column(text(Shop::OpeningHours).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .add_column(text(Shop::SpecialDays).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shop_district")
                    .table(Shop::Table)
                    .col(Shop::DistrictId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShopNotice::Table)
                    .col(pk_uuid(ShopNotice::Id))
                    .col(uuid(ShopNotice::ShopId))
                    .col(uuid(ShopNotice::DistrictId))
                    .col(string_len(ShopNotice::Kind, 16))
                    .col(string_len(ShopNotice::Title, 200))
                    .col(text(ShopNotice::Body))
                    .col(timestamp_with_time_zone_null(ShopNotice::ValidFrom))
                    .col(timestamp_with_time_zone_null(ShopNotice::ValidUntil))
                    .col(uuid_null(ShopNotice::AuthorId))
                    .col(timestamp_with_time_zone(ShopNotice::CreatedAt))
                    .col(timestamp_with_time_zone(ShopNotice::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_notice_shop")
                            .from(ShopNotice::Table, ShopNotice::ShopId)
                            .to(Shop::Table, Shop::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_notice_author")
                            .from(ShopNotice::Table, ShopNotice::AuthorId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_shop_notice_shop", ShopNotice::ShopId),
            ("idx_shop_notice_district", ShopNotice::DistrictId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ShopNotice::Table)
                        .col(column)
                        .col(ShopNotice::Id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ShopFollower::Table)
                    .col(uuid(ShopFollower::ShopId))
                    .col(uuid(ShopFollower::UserId))
                    .col(timestamp_with_time_zone(ShopFollower::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ShopFollower::ShopId)
                            .col(ShopFollower::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_follower_shop")
                            .from(ShopFollower::Table, ShopFollower::ShopId)
                            .to(Shop::Table, Shop::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shop_follower_user")
                            .from(ShopFollower::Table, ShopFollower::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notice::Table)
                    .col(pk_uuid(Notice::Id))
                    .col(string_len(Notice::Kind, 32))
                    .col(string_len(Notice::Title, 200))
                    .col(text(Notice::Body))
                    .col(text(Notice::Data))
                    .col(string_len(Notice::AudienceKind, 32))
                    .col(uuid_null(Notice::AudienceRef))
                    .col(string_len_null(Notice::AudienceCategory, 32))
                    .col(string_len(Notice::Urgency, 16))
                    .col(string_len_null(Notice::Topic, 32))
                    .col(timestamp_with_time_zone(Notice::NotBefore))
                    .col(string_len(Notice::Status, 16))
                    .col(timestamp_with_time_zone(Notice::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notice_status_not_before")
                    .table(Notice::Table)
                    .col(Notice::Status)
                    .col(Notice::NotBefore)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notice::Table.into_iden(),
            ShopFollower::Table.into_iden(),
            ShopNotice::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_shop_district")
                    .table(Shop::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .drop_column(Shop::SpecialDays)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .drop_column(Shop::OpeningHours)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
    DistrictId,
    OpeningHours,
    SpecialDays,
}

#[derive(DeriveIden)]
enum ShopNotice {
    Table,
    Id,
    ShopId,
    DistrictId,
    Kind,
    Title,
    Body,
    ValidFrom,
    ValidUntil,
    AuthorId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopFollower {
    Table,
    ShopId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notice {
    Table,
    Id,
    Kind,
    Title,
    Body,
    Data,
    AudienceKind,
    AudienceRef,
    AudienceCategory,
    Urgency,
    Topic,
    NotBefore,
    Status,
    CreatedAt,
}
