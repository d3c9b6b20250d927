//! Polls (Umfragen) of a district: `poll` with its question, period, electorate and, later,
//! what came of it; `poll_option`, its answers in order; `poll_vote`, one row per voter,
//! changeable until the close. A vote keeps its count when the voter's account is erased
//! (`user_id` becomes null); unique `(poll_id, user_id)` holds one vote per person (nulls do
//! not collide on either database).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Poll::Table)
                    .col(pk_uuid(Poll::Id))
                    .col(uuid(Poll::DistrictId))
                    .col(string_len(Poll::Question, 300))
                    .col(text_null(Poll::Description))
                    // `district_residents` or `everyone`.
                    .col(string_len(Poll::Electorate, 24))
                    // `after_close` or `live`.
                    .col(string_len(Poll::Results, 16))
                    .col(timestamp_with_time_zone(Poll::OpensAt))
                    .col(timestamp_with_time_zone(Poll::ClosesAt))
                    // "What came of it", told to everyone who voted.
                    .col(text_null(Poll::Outcome))
                    .col(timestamp_with_time_zone_null(Poll::OutcomeAt))
                    .col(uuid_null(Poll::CreatedBy))
                    .col(timestamp_with_time_zone(Poll::CreatedAt))
                    .col(timestamp_with_time_zone(Poll::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_district")
                            .from(Poll::Table, Poll::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_created_by")
                            .from(Poll::Table, Poll::CreatedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_poll_district")
                    .table(Poll::Table)
                    .col(Poll::DistrictId)
                    .col(Poll::OpensAt)
                    .col(Poll::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_poll_opens")
                    .table(Poll::Table)
                    .col(Poll::OpensAt)
                    .col(Poll::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PollOption::Table)
                    .col(pk_uuid(PollOption::Id))
                    .col(uuid(PollOption::PollId))
                    .col(small_integer(PollOption::Position))
                    .col(string_len(PollOption::Label, 100))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_option_poll")
                            .from(PollOption::Table, PollOption::PollId)
                            .to(Poll::Table, Poll::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_poll_option_position")
                    .table(PollOption::Table)
                    .col(PollOption::PollId)
                    .col(PollOption::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PollVote::Table)
                    .col(pk_uuid(PollVote::Id))
                    .col(uuid(PollVote::PollId))
                    .col(uuid(PollVote::OptionId))
                    .col(uuid_null(PollVote::UserId))
                    .col(timestamp_with_time_zone(PollVote::VotedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_vote_poll")
                            .from(PollVote::Table, PollVote::PollId)
                            .to(Poll::Table, Poll::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_vote_option")
                            .from(PollVote::Table, PollVote::OptionId)
                            .to(PollOption::Table, PollOption::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_poll_vote_user")
                            .from(PollVote::Table, PollVote::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, &[PollVote], bool); 3] = [
            (
                "idx_poll_vote_voter",
                &[PollVote::PollId, PollVote::UserId],
                true,
            ),
            (
                "idx_poll_vote_option",
                &[PollVote::PollId, PollVote::OptionId],
                false,
            ),
            ("idx_poll_vote_user", &[PollVote::UserId], false),
        ];
        for (name, columns, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(PollVote::Table);
            for column in columns {
                index.col(column.clone());
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PollVote::Table.into_iden(),
            PollOption::Table.into_iden(),
            Poll::Table.into_iden(),
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
enum Poll {
    Table,
    Id,
    DistrictId,
    Question,
    Description,
    Electorate,
    Results,
    OpensAt,
    ClosesAt,
    Outcome,
    OutcomeAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum PollOption {
    Table,
    Id,
    PollId,
    Position,
    Label,
}

#[derive(DeriveIden, Clone)]
enum PollVote {
    Table,
    Id,
    PollId,
    OptionId,
    UserId,
    VotedAt,
}
