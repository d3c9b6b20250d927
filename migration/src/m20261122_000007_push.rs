//! Push: devices (Web Push subscriptions), notification preferences, the inbox and the delivery
//! queue, and the columns that let the push worker claim and expand notices in batches.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string_len_null(Notice::SubjectType, 32),
            uuid_null(Notice::SubjectId),
            uuid_null(Notice::ExpandCursor),
            string_len_null(Notice::LockedBy, 64),
            timestamp_with_time_zone_null(Notice::LockedUntil),
            timestamp_with_time_zone_null(Notice::ExpandedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Notice::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_notice_subject")
                    .table(Notice::Table)
                    .col(Notice::SubjectType)
                    .col(Notice::SubjectId)
                    .to_owned(),
            )
            .await?;
        // Warnings get their own urgency: they alone pass quiet hours.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE notice SET urgency = 'warning' \
                 WHERE kind = 'news' AND audience_category = 'warning'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PushSubscription::Table)
                    .col(pk_uuid(PushSubscription::Id))
                    .col(uuid(PushSubscription::UserId))
                    .col(text(PushSubscription::Endpoint))
                    .col(string_len(PushSubscription::P256dh, 100))
                    .col(string_len(PushSubscription::Auth, 40))
                    .col(string_len_null(PushSubscription::UserAgent, 200))
                    .col(timestamp_with_time_zone(PushSubscription::CreatedAt))
                    .col(timestamp_with_time_zone(PushSubscription::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_subscription_user")
                            .from(PushSubscription::Table, PushSubscription::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_push_subscription_endpoint")
                    .table(PushSubscription::Table)
                    .col(PushSubscription::Endpoint)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_push_subscription_user")
                    .table(PushSubscription::Table)
                    .col(PushSubscription::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationPreference::Table)
                    .col(pk_uuid(NotificationPreference::UserId))
                    // false: follow the home district (it may change); true: the listed ones.
                    .col(boolean(NotificationPreference::CustomDistricts))
                    // JSON array of news categories; NULL = all.
                    .col(text_null(NotificationPreference::NewsCategories))
                    .col(boolean(NotificationPreference::ShopUpdates))
                    .col(boolean(NotificationPreference::RideUpdates))
                    .col(string_len_null(NotificationPreference::QuietStart, 5))
                    .col(string_len_null(NotificationPreference::QuietEnd, 5))
                    .col(timestamp_with_time_zone(NotificationPreference::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_preference_user")
                            .from(
                                NotificationPreference::Table,
                                NotificationPreference::UserId,
                            )
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDistrict::Table)
                    .col(uuid(NotificationDistrict::UserId))
                    .col(uuid(NotificationDistrict::DistrictId))
                    .primary_key(
                        Index::create()
                            .col(NotificationDistrict::UserId)
                            .col(NotificationDistrict::DistrictId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_district_user")
                            .from(NotificationDistrict::Table, NotificationDistrict::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_district_district")
                            .from(
                                NotificationDistrict::Table,
                                NotificationDistrict::DistrictId,
                            )
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_district_district")
                    .table(NotificationDistrict::Table)
                    .col(NotificationDistrict::DistrictId)
                    .col(NotificationDistrict::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InboxEntry::Table)
                    .col(pk_uuid(InboxEntry::Id))
                    .col(uuid(InboxEntry::UserId))
                    .col(uuid(InboxEntry::NoticeId))
                    .col(timestamp_with_time_zone(InboxEntry::CreatedAt))
                    .col(timestamp_with_time_zone_null(InboxEntry::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inbox_entry_user")
                            .from(InboxEntry::Table, InboxEntry::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inbox_entry_notice")
                            .from(InboxEntry::Table, InboxEntry::NoticeId)
                            .to(Notice::Table, Notice::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_inbox_entry_notice_user")
                    .table(InboxEntry::Table)
                    .col(InboxEntry::NoticeId)
                    .col(InboxEntry::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_entry_user")
                    .table(InboxEntry::Table)
                    .col(InboxEntry::UserId)
                    .col(InboxEntry::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PushDelivery::Table)
                    .col(pk_uuid(PushDelivery::Id))
                    .col(uuid(PushDelivery::NoticeId))
                    .col(uuid(PushDelivery::InboxEntryId))
                    .col(uuid_null(PushDelivery::SubscriptionId))
                    .col(uuid(PushDelivery::UserId))
                    .col(string_len_null(PushDelivery::Topic, 32))
                    // pending, sent, failed, gone, superseded
                    .col(string_len(PushDelivery::Status, 16))
                    .col(integer(PushDelivery::Attempts))
                    .col(timestamp_with_time_zone(PushDelivery::DueAt))
                    .col(string_len_null(PushDelivery::LockedBy, 64))
                    .col(timestamp_with_time_zone_null(PushDelivery::LockedUntil))
                    .col(text_null(PushDelivery::LastError))
                    .col(timestamp_with_time_zone_null(PushDelivery::SentAt))
                    .col(timestamp_with_time_zone(PushDelivery::CreatedAt))
                    .col(timestamp_with_time_zone(PushDelivery::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_delivery_notice")
                            .from(PushDelivery::Table, PushDelivery::NoticeId)
                            .to(Notice::Table, Notice::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_delivery_inbox_entry")
                            .from(PushDelivery::Table, PushDelivery::InboxEntryId)
                            .to(InboxEntry::Table, InboxEntry::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_delivery_subscription")
                            .from(PushDelivery::Table, PushDelivery::SubscriptionId)
                            .to(PushSubscription::Table, PushSubscription::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_delivery_user")
                            .from(PushDelivery::Table, PushDelivery::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_push_delivery_notice_subscription")
                    .table(PushDelivery::Table)
                    .col(PushDelivery::NoticeId)
                    .col(PushDelivery::SubscriptionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_push_delivery_status_due",
                [PushDelivery::Status, PushDelivery::DueAt],
            ),
            (
                "idx_push_delivery_subscription_status",
                [PushDelivery::SubscriptionId, PushDelivery::Status],
            ),
            (
                "idx_push_delivery_notice_status",
                [PushDelivery::NoticeId, PushDelivery::Status],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(PushDelivery::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PushDelivery::Table.into_iden(),
            InboxEntry::Table.into_iden(),
            NotificationDistrict::Table.into_iden(),
            NotificationPreference::Table.into_iden(),
            PushSubscription::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_notice_subject")
                    .table(Notice::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Notice::ExpandedAt,
            Notice::LockedUntil,
            Notice::LockedBy,
            Notice::ExpandCursor,
            Notice::SubjectId,
            Notice::SubjectType,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Notice::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
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
    Id,
    SubjectType,
    SubjectId,
    ExpandCursor,
    LockedBy,
    LockedUntil,
    ExpandedAt,
}

#[derive(DeriveIden)]
enum PushSubscription {
    Table,
    Id,
    UserId,
    Endpoint,
    P256dh,
    Auth,
    UserAgent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreference {
    Table,
    UserId,
    CustomDistricts,
    NewsCategories,
    ShopUpdates,
    RideUpdates,
    QuietStart,
    QuietEnd,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NotificationDistrict {
    Table,
    UserId,
    DistrictId,
}

#[derive(DeriveIden)]
enum InboxEntry {
    Table,
    Id,
    UserId,
    NoticeId,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum PushDelivery {
    Table,
    Id,
    NoticeId,
    InboxEntryId,
    SubscriptionId,
    UserId,
    Topic,
    Status,
    Attempts,
    DueAt,
    LockedBy,
    LockedUntil,
    LastError,
    SentAt,
    CreatedAt,
    UpdatedAt,
}
