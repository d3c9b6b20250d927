//! The console's menu: which links a person sees. This is the only place in the console that
//! looks at roles, and only to choose links; whether a page may be used is decided by the
//! domain rule the page calls, as for the API.

use domain::auth::{Actor, Role};
use entity::district;

use super::i18n::Labels;

/// One link of the menu.
#[derive(Clone, Debug)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    /// The page being shown (`aria-current="page"`).
    pub current: bool,
}

/// The menu of a signed-in person, with the current page marked.
pub fn links(
    actor: &Actor,
    t: &'static Labels,
    current: &str,
    districts: &[district::Model],
) -> Vec<NavLink> {
    let mut links = vec![(String::from("/console/"), t.start.to_owned())];
    for district in districts.iter().filter(|d| actor.leads(d.id)) {
        links.push((
            format!("/console/districts/{}", district.id),
            district.name.clone(),
        ));
    }
    for shop in actor
        .assignments
        .iter()
        .filter(|a| a.role == Role::ShopOperator)
        .filter_map(|a| a.shop_id)
    {
        links.push((
            format!("/console/shops/{shop}"),
            t.role_shop_operator.to_owned(),
        ));
    }
    if actor.is_admin() || actor.is_dispatcher() {
        links.push(("/console/rides".to_owned(), t.desk.title.to_owned()));
        links.push((
            "/console/rides/callbacks".to_owned(),
            t.desk.callbacks.to_owned(),
        ));
    }
    if actor.is_admin() || actor.has(Role::DistrictLeader) {
        links.push(("/console/news/new".to_owned(), t.news_new.to_owned()));
    }
    if actor.is_admin() {
        links.push(("/console/admin".to_owned(), t.admin.title.to_owned()));
        links.push(("/console/admin/users".to_owned(), t.admin.users.to_owned()));
    }
    links.push(("/console/password".to_owned(), t.change_password.to_owned()));
    links
        .into_iter()
        .map(|(href, label)| NavLink {
            current: href == current,
            href,
            label,
        })
        .collect()
}
