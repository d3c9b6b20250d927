//! Photos (issue 17): `media`, one row per upload (its renditions are in the media store under
//! the row's id), and `media_use`, where an upload is shown, in order, with the alt text of that
//! place. A use names its thing by one of several nullable foreign keys, each on delete cascade,
//! so a deleted news item, shop or shop notice takes its uses with it; an upload that nothing
//! uses any more is purged (see `domain::media`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(pk_uuid(Media::Id))
                    // Null once the uploader's account is erased and a public thing still
                    // shows the photo.
                    .col(uuid_null(Media::OwnerId))
                    .col(string_len(Media::SourceType, 8))
                    .col(integer(Media::Width))
                    .col(integer(Media::Height))
                    // JSON array of [width, height] per rendered size, smallest first.
                    .col(text(Media::Renditions))
                    .col(string_len(Media::DominantColor, 7))
                    .col(big_integer(Media::UploadBytes))
                    .col(timestamp_with_time_zone(Media::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_owner")
                            .from(Media::Table, Media::OwnerId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The daily quota counts a person's recent uploads; the export lists them.
        manager
            .create_index(
                Index::create()
                    .name("idx_media_owner_created")
                    .table(Media::Table)
                    .col(Media::OwnerId)
                    .col(Media::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The purge looks for old uploads.
        manager
            .create_index(
                Index::create()
                    .name("idx_media_created")
                    .table(Media::Table)
                    .col(Media::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MediaUse::Table)
                    .col(pk_uuid(MediaUse::Id))
                    .col(uuid(MediaUse::MediaId))
                    .col(uuid_null(MediaUse::NewsId))
                    .col(uuid_null(MediaUse::ShopId))
                    .col(uuid_null(MediaUse::ShopNoticeId))
                    .col(small_integer(MediaUse::Position))
                    .col(string_len(MediaUse::Alt, 300))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_use_media")
                            .from(MediaUse::Table, MediaUse::MediaId)
                            .to(Media::Table, Media::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_use_news")
                            .from(MediaUse::Table, MediaUse::NewsId)
                            .to(NewsItem::Table, NewsItem::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_use_shop")
                            .from(MediaUse::Table, MediaUse::ShopId)
                            .to(Shop::Table, Shop::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_use_shop_notice")
                            .from(MediaUse::Table, MediaUse::ShopNoticeId)
                            .to(ShopNotice::Table, ShopNotice::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_media_use_media", MediaUse::MediaId),
            ("idx_media_use_news", MediaUse::NewsId),
            ("idx_media_use_shop", MediaUse::ShopId),
            ("idx_media_use_shop_notice", MediaUse::ShopNoticeId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(MediaUse::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MediaUse::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    OwnerId,
    SourceType,
    Width,
    Height,
    Renditions,
    DominantColor,
    UploadBytes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MediaUse {
    Table,
    Id,
    MediaId,
    NewsId,
    ShopId,
    ShopNoticeId,
    Position,
    Alt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NewsItem {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ShopNotice {
    Table,
    Id,
}
