//! Anliegen (residents' concerns: defects, ideas, questions): `anliegen_topic`, the town's
//! departments (Fachbereiche; each also an Open311 service) an Anliegen is forwarded to;
//! `anliegen`, one row per concern with its private text, its public text once published and the
//! timestamps the statistics read; `anliegen_event`, its history (transitions, answers, the
//! author's additions, publication); and `anliegen_follower`, the author and supporters who get
//! its pushes.
//!
//! Photos of an Anliegen are `media_use` rows (`media_use.anliegen_id`); town staff may be
//! scoped to one topic (`role_assignment.topic_id`). Both columns are added with an inline
//! `REFERENCES`: sea-query cannot add a foreign key to an existing table on SQLite, while a
//! `REFERENCES` clause on `ADD COLUMN` works on both databases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnliegenTopic::Table)
                    .col(pk_uuid(AnliegenTopic::Id))
                    // Stable key, also the Open311 `service_code`.
                    .col(string_len_uniq(AnliegenTopic::Slug, 64))
                    .col(string_len(AnliegenTopic::Name, 200))
                    .col(string_len_null(AnliegenTopic::Description, 500))
                    // An inactive topic takes no new Anliegen; the old ones keep it.
                    .col(boolean(AnliegenTopic::Active))
                    .col(timestamp_with_time_zone(AnliegenTopic::CreatedAt))
                    .col(timestamp_with_time_zone(AnliegenTopic::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Anliegen::Table)
                    .col(pk_uuid(Anliegen::Id))
                    .col(string_len(Anliegen::Kind, 16))
                    .col(string_len(Anliegen::Status, 16))
                    .col(string_len(Anliegen::Publication, 16))
                    .col(string_len(Anliegen::Source, 16))
                    .col(uuid(Anliegen::DistrictId))
                    // Set when forwarded to the town.
                    .col(uuid_null(Anliegen::TopicId))
                    .col(string_len(Anliegen::Title, 200))
                    .col(text(Anliegen::Description))
                    .col(string_len_null(Anliegen::Place, 300))
                    // Microdegrees (WGS 84), both set or both null.
                    .col(integer_null(Anliegen::LatE6))
                    .col(integer_null(Anliegen::LonE6))
                    // Null for a person without an account (then `author_name`) and once the
                    // author's account is erased.
                    .col(uuid_null(Anliegen::AuthorUserId))
                    // Who filed it: the author, or the ride desk on their behalf.
                    .col(uuid_null(Anliegen::FiledBy))
                    .col(string_len_null(Anliegen::AuthorName, 200))
                    .col(string_len_null(Anliegen::ContactPhone, 40))
                    .col(string_len_null(Anliegen::ContactEmail, 254))
                    // The public text, edited by the district before publication; the author's
                    // own text is never shown to the public.
                    .col(string_len_null(Anliegen::PublicTitle, 200))
                    .col(text_null(Anliegen::PublicDescription))
                    .col(string_len_null(Anliegen::PublicPlace, 300))
                    .col(boolean(Anliegen::ShowLocation))
                    .col(timestamp_with_time_zone_null(Anliegen::PublishedAt))
                    .col(timestamp_with_time_zone_null(Anliegen::HiddenAt))
                    .col(string_len_null(Anliegen::HiddenReason, 500))
                    .col(uuid_null(Anliegen::DuplicateOf))
                    // Kept for the statistics (time to forward, to first answer, to close).
                    .col(timestamp_with_time_zone_null(Anliegen::ForwardedAt))
                    .col(timestamp_with_time_zone_null(Anliegen::FirstAnswerAt))
                    .col(timestamp_with_time_zone_null(Anliegen::LastAnswerAt))
                    .col(timestamp_with_time_zone_null(Anliegen::ClosedAt))
                    .col(timestamp_with_time_zone(Anliegen::CreatedAt))
                    .col(timestamp_with_time_zone(Anliegen::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_district")
                            .from(Anliegen::Table, Anliegen::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_topic")
                            .from(Anliegen::Table, Anliegen::TopicId)
                            .to(AnliegenTopic::Table, AnliegenTopic::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_author")
                            .from(Anliegen::Table, Anliegen::AuthorUserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_filed_by")
                            .from(Anliegen::Table, Anliegen::FiledBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_duplicate_of")
                            .from(Anliegen::Table, Anliegen::DuplicateOf)
                            .to(Anliegen::Table, Anliegen::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists are ordered by time, then id; each scope has its own index.
        let indexes: [(&str, &[Anliegen]); 8] = [
            // The district's queue.
            (
                "idx_anliegen_queue",
                &[
                    Anliegen::DistrictId,
                    Anliegen::Status,
                    Anliegen::CreatedAt,
                    Anliegen::Id,
                ],
            ),
            // The public lists, of one district and of the whole town.
            (
                "idx_anliegen_public_district",
                &[
                    Anliegen::Publication,
                    Anliegen::DistrictId,
                    Anliegen::PublishedAt,
                    Anliegen::Id,
                ],
            ),
            (
                "idx_anliegen_public",
                &[Anliegen::Publication, Anliegen::PublishedAt, Anliegen::Id],
            ),
            // The town's queue, per topic.
            (
                "idx_anliegen_topic",
                &[
                    Anliegen::TopicId,
                    Anliegen::Status,
                    Anliegen::CreatedAt,
                    Anliegen::Id,
                ],
            ),
            // "Meine Anliegen", and what the ride desk filed.
            (
                "idx_anliegen_author",
                &[Anliegen::AuthorUserId, Anliegen::CreatedAt],
            ),
            (
                "idx_anliegen_filed_by",
                &[Anliegen::FiledBy, Anliegen::CreatedAt],
            ),
            // The statistics count what a district closed in a period.
            (
                "idx_anliegen_closed",
                &[Anliegen::DistrictId, Anliegen::ClosedAt],
            ),
            // The duplicates merged into one Anliegen (and the set-null on delete).
            ("idx_anliegen_duplicate_of", &[Anliegen::DuplicateOf]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(Anliegen::Table);
            for column in columns {
                index.col(column.clone());
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AnliegenEvent::Table)
                    .col(pk_uuid(AnliegenEvent::Id))
                    .col(uuid(AnliegenEvent::AnliegenId))
                    .col(string_len(AnliegenEvent::Kind, 16))
                    // Set for a transition.
                    .col(string_len_null(AnliegenEvent::FromStatus, 16))
                    .col(string_len_null(AnliegenEvent::ToStatus, 16))
                    // The public answer, or the author's addition.
                    .col(text_null(AnliegenEvent::Answer))
                    .col(string_len(AnliegenEvent::ActorRole, 16))
                    .col(uuid_null(AnliegenEvent::ActorId))
                    // The topic it was forwarded to, and the Anliegen it was merged into.
                    .col(uuid_null(AnliegenEvent::TopicId))
                    .col(uuid_null(AnliegenEvent::DuplicateOf))
                    .col(timestamp_with_time_zone(AnliegenEvent::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_event_anliegen")
                            .from(AnliegenEvent::Table, AnliegenEvent::AnliegenId)
                            .to(Anliegen::Table, Anliegen::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_event_actor")
                            .from(AnliegenEvent::Table, AnliegenEvent::ActorId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_event_topic")
                            .from(AnliegenEvent::Table, AnliegenEvent::TopicId)
                            .to(AnliegenTopic::Table, AnliegenTopic::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_event_duplicate_of")
                            .from(AnliegenEvent::Table, AnliegenEvent::DuplicateOf)
                            .to(Anliegen::Table, Anliegen::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_anliegen_event_anliegen")
                    .table(AnliegenEvent::Table)
                    .col(AnliegenEvent::AnliegenId)
                    .col(AnliegenEvent::At)
                    .col(AnliegenEvent::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnliegenFollower::Table)
                    .col(uuid(AnliegenFollower::AnliegenId))
                    .col(uuid(AnliegenFollower::UserId))
                    .col(string_len(AnliegenFollower::Relation, 16))
                    // Muted: no pushes for this Anliegen; the inbox still gets them.
                    .col(boolean(AnliegenFollower::Muted))
                    .col(timestamp_with_time_zone(AnliegenFollower::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AnliegenFollower::AnliegenId)
                            .col(AnliegenFollower::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_follower_anliegen")
                            .from(AnliegenFollower::Table, AnliegenFollower::AnliegenId)
                            .to(Anliegen::Table, Anliegen::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_anliegen_follower_user")
                            .from(AnliegenFollower::Table, AnliegenFollower::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_anliegen_follower_user")
                    .table(AnliegenFollower::Table)
                    .col(AnliegenFollower::UserId)
                    .to_owned(),
            )
            .await?;

        // SQLite alters one column per statement, and adds a foreign key only inline.
        manager
            .alter_table(
                Table::alter()
                    .table(MediaUse::Table)
                    .add_column(
                        uuid_null(MediaUse::AnliegenId)
                            .extra("REFERENCES anliegen (id) ON DELETE CASCADE"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_media_use_anliegen")
                    .table(MediaUse::Table)
                    .col(MediaUse::AnliegenId)
                    .to_owned(),
            )
            .await?;
        // For `town_staff`: the topic they handle, or null for the whole town.
        manager
            .alter_table(
                Table::alter()
                    .table(RoleAssignment::Table)
                    .add_column(
                        uuid_null(RoleAssignment::TopicId)
                            .extra("REFERENCES anliegen_topic (id) ON DELETE RESTRICT"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_media_use_anliegen")
                    .table(MediaUse::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RoleAssignment::Table)
                    .drop_column(RoleAssignment::TopicId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MediaUse::Table)
                    .drop_column(MediaUse::AnliegenId)
                    .to_owned(),
            )
            .await?;
        for table in [
            AnliegenFollower::Table.into_iden(),
            AnliegenEvent::Table.into_iden(),
            Anliegen::Table.into_iden(),
            AnliegenTopic::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
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
enum MediaUse {
    Table,
    AnliegenId,
}

#[derive(DeriveIden)]
enum RoleAssignment {
    Table,
    TopicId,
}

#[derive(DeriveIden)]
enum AnliegenTopic {
    Table,
    Id,
    Slug,
    Name,
    Description,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Anliegen {
    Table,
    Id,
    Kind,
    Status,
    Publication,
    Source,
    DistrictId,
    TopicId,
    Title,
    Description,
    Place,
    LatE6,
    LonE6,
    AuthorUserId,
    FiledBy,
    AuthorName,
    ContactPhone,
    ContactEmail,
    PublicTitle,
    PublicDescription,
    PublicPlace,
    ShowLocation,
    PublishedAt,
    HiddenAt,
    HiddenReason,
    DuplicateOf,
    ForwardedAt,
    FirstAnswerAt,
    LastAnswerAt,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AnliegenEvent {
    Table,
    Id,
    AnliegenId,
    Kind,
    FromStatus,
    ToStatus,
    Answer,
    ActorRole,
    ActorId,
    TopicId,
    DuplicateOf,
    At,
}

#[derive(DeriveIden)]
enum AnliegenFollower {
    Table,
    AnliegenId,
    UserId,
    Relation,
    Muted,
    CreatedAt,
}
