//! Organisations that publish (Vereine, Kirchengemeinde, Feuerwehr, Jugendclub): `organisation`,
//! one per name and district; and `role_assignment.organisation_id`, the organisation an
//! `organisation_editor` edits for (inline `REFERENCES`, as SQLite cannot add a foreign key to
//! an existing table; an organisation's deletion ends its editors' assignments).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(pk_uuid(Organisation::Id))
                    .col(string_len(Organisation::Name, 200))
                    .col(string_len(Organisation::Kind, 24))
                    .col(uuid(Organisation::DistrictId))
                    .col(string_len_null(Organisation::ContactName, 200))
                    .col(string_len_null(Organisation::ContactPhone, 40))
                    .col(string_len_null(Organisation::ContactEmail, 254))
                    .col(uuid_null(Organisation::CreatedBy))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .col(timestamp_with_time_zone(Organisation::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organisation_district")
                            .from(Organisation::Table, Organisation::DistrictId)
                            .to(District::Table, District::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organisation_created_by")
                            .from(Organisation::Table, Organisation::CreatedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One name per district: two "SV Rieder" would confuse everyone.
        manager
            .create_index(
                Index::create()
                    .name("idx_organisation_district_name")
                    .table(Organisation::Table)
                    .col(Organisation::DistrictId)
                    .col(Organisation::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RoleAssignment::Table)
                    .add_column(
                        uuid_null(RoleAssignment::OrganisationId)
                            .extra("REFERENCES organisation (id) ON DELETE CASCADE"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_assignment_organisation")
                    .table(RoleAssignment::Table)
                    .col(RoleAssignment::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_role_assignment_organisation")
                    .table(RoleAssignment::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RoleAssignment::Table)
                    .drop_column(RoleAssignment::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
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
enum RoleAssignment {
    Table,
    OrganisationId,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Name,
    Kind,
    DistrictId,
    ContactName,
    ContactPhone,
    ContactEmail,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}
