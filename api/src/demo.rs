//! `dorfapp seed-demo`: demo accounts for every role and demo content, to try the API or show
//! it to a council. Never run implicitly. Everything it creates is marked: emails end in
//! `@demo.dorfapp.invalid` (a reserved domain, RFC 2606, so no mail can ever reach anyone) and
//! names start with `Demo`. Running it again adds nothing twice.

use entity::{app_user, district, shop};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{AppState, auth::Role};
use domain::{
    DomainResult,
    accounts::{self, NewAccount},
    users,
};

/// The password of every demo account. Printed, documented: demo accounts are not secret.
pub const DEMO_PASSWORD: &str = "demo-dorfapp-2026";
const DEMO_DOMAIN: &str = "demo.dorfapp.invalid";

/// Creates what is missing; returns a report for the terminal.
pub async fn seed(state: &AppState) -> DomainResult<String> {
    let districts = district::Entity::find()
        .order_by_asc(district::Column::Name)
        .all(&state.db)
        .await?;
    let first = districts.first().map(|d| d.id);
    let mut report = vec![format!(
        "demo accounts (password for all: {DEMO_PASSWORD}):"
    )];

    let shop = demo_shop(state, first).await?;

    let people: [(&str, &str, Option<Role>); 6] = [
        ("admin", "Demo Admin", Some(Role::Admin)),
        (
            "ortsbuergermeisterin",
            "Demo Ortsbürgermeisterin",
            Some(Role::DistrictLeader),
        ),
        (
            "koordination",
            "Demo Fahrdienst-Koordination",
            Some(Role::Dispatcher),
        ),
        ("fahrer", "Demo Fahrer", Some(Role::Driver)),
        ("dorfladen", "Demo Dorfladen", Some(Role::ShopOperator)),
        ("einwohnerin", "Demo Einwohnerin", None),
    ];
    for (local, name, role) in people {
        let email = format!("{local}@{DEMO_DOMAIN}");
        let existing = app_user::Entity::find()
            .filter(app_user::Column::EmailNormalized.eq(&email))
            .one(&state.db)
            .await?;
        let user = match existing {
            Some(user) => user,
            None => {
                let input = NewAccount {
                    email: email.clone(),
                    password: DEMO_PASSWORD.into(),
                    display_name: name.into(),
                    home_district_id: first,
                    phone: Some("+49 39483 0000".into()),
                };
                let hash = accounts::hash_password(DEMO_PASSWORD).await?;
                accounts::register_in(&state.db, &state.clock, &input, hash).await?
            }
        };
        if let Some(role) = role {
            let scope = match role.scope() {
                // A demo organisation editor would need an organisation; none is seeded.
                crate::auth::Scope::Global
                | crate::auth::Scope::GlobalOrTopic
                | crate::auth::Scope::Organisation => users::RoleScope::default(),
                crate::auth::Scope::District => users::RoleScope {
                    district_id: first,
                    ..Default::default()
                },
                crate::auth::Scope::Shop => users::RoleScope {
                    shop_id: shop,
                    ..Default::default()
                },
            };
            // Already granted on an earlier run: fine.
            let _ = users::insert_assignment(&state.db, &state.clock, user.id, role, scope).await;
        }
        report.push(format!(
            "  {email:<45} {}",
            role.map_or("resident", Role::as_str)
        ));
    }
    Ok(report.join("\n"))
}

async fn demo_shop(state: &AppState, district: Option<Uuid>) -> DomainResult<Option<Uuid>> {
    let Some(district) = district else {
        return Ok(None);
    };
    const NAME: &str = "Demo Dorfladen";
    if let Some(existing) = shop::Entity::find()
        .filter(shop::Column::Name.eq(NAME))
        .one(&state.db)
        .await?
    {
        return Ok(Some(existing.id));
    }
    let now = state.clock.now();
    let created = shop::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(NAME.into()),
        district_id: Set(district),
        address: Set("Dorfstraße 1 (Demo)".into()),
        phone: Set(None),
        email: Set(Some(format!("laden@{DEMO_DOMAIN}"))),
        website: Set(None),
        description: Set(Some("Ein Demo-Laden zum Ausprobieren.".into())),
        opening_hours: Set("[]".into()),
        special_days: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(Some(created.id))
}
