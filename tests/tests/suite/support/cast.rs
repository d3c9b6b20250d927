//! `Cast`: everyone who matters, in one app, each with a session of their role.

use super::{
    PASSWORD, Session, TestApp, admin, book, district_id, id_of, insert_shop, register, renew,
    ride, spawn_with_admin_and, unique_email, user_with_role,
};

/// Everyone who matters, in one app: the administrator, the dispatcher (Dorfkümmerer), the
/// leaders of Rieder (where rides start) and of Badeborn, drivers of Rieder and of Badeborn, a
/// shop operator, and residents without a role (a resident, a rider and their neighbour).
pub struct Cast {
    pub admin: Session,
    pub dispatcher: Session,
    pub rider: Session,
    pub neighbour: Session,
    pub driver: Session,
    pub second_driver: Session,
    pub far_driver: Session,
    /// The leader of Rieder.
    pub leader: Session,
    /// The leader of Badeborn.
    pub far_leader: Session,
    pub operator: Session,
    pub resident: Session,
    pub rieder: String,
    pub badeborn: String,
    /// The shop in Rieder that `operator` runs.
    pub shop: String,
}

impl Cast {
    pub async fn new(app: &TestApp) -> Self {
        let admin = admin(app).await;
        let rieder = district_id(app, "rieder").await;
        let badeborn = district_id(app, "badeborn").await;
        let shop = insert_shop(app, &rieder).await;
        Self {
            dispatcher: user_with_role(app, &admin, "dispatcher", None, None).await,
            rider: register(app, &unique_email("fahrgast"), PASSWORD).await,
            neighbour: register(app, &unique_email("nachbar"), PASSWORD).await,
            driver: user_with_role(app, &admin, "driver", Some(&rieder), None).await,
            second_driver: user_with_role(app, &admin, "driver", Some(&rieder), None).await,
            far_driver: user_with_role(app, &admin, "driver", Some(&badeborn), None).await,
            leader: user_with_role(app, &admin, "district_leader", Some(&rieder), None).await,
            far_leader: user_with_role(app, &admin, "district_leader", Some(&badeborn), None).await,
            operator: user_with_role(app, &admin, "shop_operator", None, Some(&shop)).await,
            resident: register(app, &unique_email("anwohnerin"), PASSWORD).await,
            admin,
            rieder,
            badeborn,
            shop,
        }
    }

    /// Renews everyone's access token after the clock has moved.
    pub async fn renew(&mut self, app: &TestApp) {
        for session in [
            &mut self.admin,
            &mut self.dispatcher,
            &mut self.rider,
            &mut self.neighbour,
            &mut self.driver,
            &mut self.second_driver,
            &mut self.far_driver,
            &mut self.leader,
            &mut self.far_leader,
            &mut self.operator,
            &mut self.resident,
        ] {
            renew(app, session).await;
        }
    }

    /// A ride of `rider` from Rieder, picked up `minutes` after the epoch.
    pub async fn booked(&self, app: &TestApp, minutes: i64) -> String {
        id_of(&book(app, &self.rider, &ride(&self.rieder, minutes)).await)
    }
}

/// An app that starts with an administrator, and its [`Cast`].
pub async fn spawn_cast() -> (TestApp, Cast) {
    spawn_cast_with(|_| {}).await
}

/// Like [`spawn_cast`], with settings of the test's own.
pub async fn spawn_cast_with(
    configure: impl FnOnce(&mut dorfapp::config::Settings),
) -> (TestApp, Cast) {
    let app = spawn_with_admin_and(configure).await;
    let cast = Cast::new(&app).await;
    (app, cast)
}

/// Settings for tests that publish more news in one (frozen) hour than an author may.
pub fn many_news(settings: &mut dorfapp::config::Settings) {
    settings.quota_news_per_author_per_hour = 10_000;
}
