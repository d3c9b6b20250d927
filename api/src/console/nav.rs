//! The console's menu: which links a person sees. This is the only place in the console that
//! looks at roles, and only to choose links; whether a page may be used is decided by the
//! domain rule the page calls, as for the API.

use super::i18n::Labels;

/// One link of the menu.
#[derive(Clone, Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// The page being shown (`aria-current="page"`).
    pub current: bool,
}

/// The menu of a signed-in person, with the current page marked.
pub fn links(_actor: &domain::auth::Actor, t: &'static Labels, current: &str) -> Vec<NavLink> {
    [
        ("/console/", t.start),
        ("/console/password", t.change_password),
    ]
    .into_iter()
    .map(|(href, label)| NavLink {
        href,
        label,
        current: href == current,
    })
    .collect()
}
