//! District news: the items, and `news_placement`, the feed's index rows (one per district of a
//! published item, one with a null district for municipality-wide items). The feed reads only
//! placements, newest first, by one index range per district, so a page costs the same at 10k
//! and at 1M items. Also the notice audience for several districts at once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NewsItem::Table)
                    .col(pk_uuid(NewsItem::Id))
                    .col(string_len(NewsItem::Title, 200))
                    .col(text(NewsItem::Body))
                    .col(string_len(NewsItem::Category, 16))
                    .col(string_len(NewsItem::Status, 16))
                    // JSON array of district ids; empty = the whole municipality.
                    .col(text(NewsItem::DistrictIds))
                    .col(timestamp_with_time_zone_null(NewsItem::PublishAt))
                    .col(timestamp_with_time_zone_null(NewsItem::PublishedAt))
                    .col(timestamp_with_time_zone_null(NewsItem::ExpiresAt))
                    .col(boolean(NewsItem::Pinned))
                    .col(boolean(NewsItem::Notify))
                    .col(timestamp_with_time_zone_null(NewsItem::EventStartsAt))
                    .col(timestamp_with_time_zone_null(NewsItem::EventEndsAt))
                    .col(string_len_null(NewsItem::EventLocation, 200))
                    .col(uuid_null(NewsItem::AuthorId))
                    .col(timestamp_with_time_zone(NewsItem::CreatedAt))
                    .col(timestamp_with_time_zone(NewsItem::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_news_item_author")
                            .from(NewsItem::Table, NewsItem::AuthorId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // "My items" of an author, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_news_item_author")
                    .table(NewsItem::Table)
                    .col(NewsItem::AuthorId)
                    .col(NewsItem::Id)
                    .to_owned(),
            )
            .await?;
        // The feed across all districts.
        manager
            .create_index(
                Index::create()
                    .name("idx_news_item_status_published")
                    .table(NewsItem::Table)
                    .col(NewsItem::Status)
                    .col(NewsItem::PublishedAt)
                    .col(NewsItem::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NewsPlacement::Table)
                    .col(pk_uuid(NewsPlacement::Id))
                    .col(uuid(NewsPlacement::NewsId))
                    .col(uuid_null(NewsPlacement::DistrictId))
                    .col(string_len(NewsPlacement::Category, 16))
                    .col(boolean(NewsPlacement::Pinned))
                    .col(timestamp_with_time_zone(NewsPlacement::PublishedAt))
                    .col(timestamp_with_time_zone_null(NewsPlacement::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_news_placement_item")
                            .from(NewsPlacement::Table, NewsPlacement::NewsId)
                            .to(NewsItem::Table, NewsItem::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_news_placement_district")
                            .from(NewsPlacement::Table, NewsPlacement::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One index per feed filter, each ending in the sort key (published_at, news_id), so
        // every page is one range scan whatever the table's size.
        let feed_indexes: [(&str, &[NewsPlacement]); 4] = [
            (
                "idx_news_placement_feed",
                &[
                    NewsPlacement::DistrictId,
                    NewsPlacement::PublishedAt,
                    NewsPlacement::NewsId,
                ],
            ),
            (
                "idx_news_placement_category",
                &[
                    NewsPlacement::DistrictId,
                    NewsPlacement::Category,
                    NewsPlacement::PublishedAt,
                    NewsPlacement::NewsId,
                ],
            ),
            (
                "idx_news_placement_pinned",
                &[
                    NewsPlacement::DistrictId,
                    NewsPlacement::Pinned,
                    NewsPlacement::PublishedAt,
                    NewsPlacement::NewsId,
                ],
            ),
            ("idx_news_placement_item", &[NewsPlacement::NewsId]),
        ];
        for (name, columns) in feed_indexes {
            let mut index = Index::create();
            index.name(name).table(NewsPlacement::Table);
            for column in columns {
                index.col(column.clone());
            }
            manager.create_index(index.to_owned()).await?;
        }
        // The municipality-wide rows (null district) get partial indexes of their own:
        // PostgreSQL does not treat `district_id IS NULL` like an equality, so with the indexes
        // above it would sort all those rows for every page instead of reading them in order.
        let municipality_indexes: [(&str, &[NewsPlacement]); 3] = [
            (
                "idx_news_placement_municipality",
                &[NewsPlacement::PublishedAt, NewsPlacement::NewsId],
            ),
            (
                "idx_news_placement_municipality_category",
                &[
                    NewsPlacement::Category,
                    NewsPlacement::PublishedAt,
                    NewsPlacement::NewsId,
                ],
            ),
            (
                "idx_news_placement_municipality_pinned",
                &[
                    NewsPlacement::Pinned,
                    NewsPlacement::PublishedAt,
                    NewsPlacement::NewsId,
                ],
            ),
        ];
        for (name, columns) in municipality_indexes {
            let mut index = Index::create();
            index
                .name(name)
                .table(NewsPlacement::Table)
                .and_where(Expr::col(NewsPlacement::DistrictId).is_null());
            for column in columns {
                index.col(column.clone());
            }
            manager.create_index(index.to_owned()).await?;
        }

        // A notice for several districts at once (a news item for two villages, or for the
        // whole municipality when empty) is one notice, so nobody is told twice.
        manager
            .alter_table(
                Table::alter()
                    .table(Notice::Table)
                    .add_column(text_null(Notice::AudienceDistricts))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Notice::Table)
                    .drop_column(Notice::AudienceDistricts)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(NewsPlacement::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NewsItem::Table).to_owned())
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
enum Notice {
    Table,
    AudienceDistricts,
}

#[derive(DeriveIden)]
enum NewsItem {
    Table,
    Id,
    Title,
    Body,
    Category,
    Status,
    DistrictIds,
    PublishAt,
    PublishedAt,
    ExpiresAt,
    Pinned,
    Notify,
    EventStartsAt,
    EventEndsAt,
    EventLocation,
    AuthorId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum NewsPlacement {
    Table,
    Id,
    NewsId,
    DistrictId,
    Category,
    Pinned,
    PublishedAt,
    ExpiresAt,
}
