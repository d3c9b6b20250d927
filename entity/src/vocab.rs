//! Every closed set of values, declared once: stored as text through `DeriveActiveEnum` (a
//! value this version does not know is a decoding error, never a silent default), read and
//! written by the rules unchanged, and exposed in the API as an OpenAPI enum (the `openapi`
//! feature, which only the server turns on).
//!
//! Each variant names its stored and wire value; changing one needs a migration and is a
//! breaking API change.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a vocabulary enum with the derives every vocabulary shares; each variant names its
/// stored and wire value once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident $(as $api_name:literal)? {
        $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum,
            Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
        $(#[cfg_attr(feature = "openapi", oai(rename = $api_name))])?
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                #[cfg_attr(feature = "openapi", oai(rename = $value))]
                $variant
            ),+
        }

        impl $name {
            /// The stored and wire value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }
    };
}

vocabulary! {
    /// A role. `admin` and `dispatcher` are global; `district_leader` and `driver` hold for one
    /// district; `shop_operator` for one shop.
    Role as "RoleName" {
        /// Everything: users, roles, districts, shops.
        Admin = "admin",
        /// Ortsbürgermeister:in: news and statistics of one district.
        DistrictLeader = "district_leader",
        /// Fahrdienst-Koordination (Dorfkümmerer): all rides, bookings on behalf of others.
        Dispatcher = "dispatcher",
        /// Volunteer driver in one district (one assignment per district served).
        Driver = "driver",
        /// Operator of one village shop.
        ShopOperator = "shop_operator",
    }
}

/// What a role is scoped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    District,
    Shop,
}

impl Role {
    /// What this role is scoped to.
    pub fn scope(self) -> Scope {
        match self {
            Role::Admin | Role::Dispatcher => Scope::Global,
            Role::DistrictLeader | Role::Driver => Scope::District,
            Role::ShopOperator => Scope::Shop,
        }
    }
}

vocabulary! {
    /// What a ride is for; only counted in the statistics, never shown to other drivers.
    RidePurpose {
        /// Doctor, therapy, hospital.
        Medical = "medical",
        /// Pharmacy.
        Pharmacy = "pharmacy",
        /// Shopping.
        Shopping = "shopping",
        /// Authorities, bank, post office.
        Authority = "authority",
        /// Visits, church, club, culture.
        Social = "social",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// A need the driver must know about.
    MobilityAid {
        /// A rollator / walking frame to stow.
        Walker = "walker",
        /// A wheelchair (the car must take one).
        Wheelchair = "wheelchair",
        /// A companion rides along.
        Companion = "companion",
    }
}

vocabulary! {
    /// Where a ride (leg) stands.
    ///
    /// `requested` → `accepted` (a driver accepts, or a dispatcher assigns) → `in_progress` (start)
    /// → `completed`. `accepted` → `requested` when the driver releases it. `requested`/`accepted`
    /// → `cancelled` by the rider; also `in_progress` → `cancelled` by a dispatcher or admin.
    /// `accepted`/`in_progress` → `no_show` when the rider was not there. A ride still
    /// `requested` at its pickup time becomes `expired`.
    RideStatus {
        Requested = "requested",
        Accepted = "accepted",
        InProgress = "in_progress",
        Completed = "completed",
        Cancelled = "cancelled",
        NoShow = "no_show",
        Expired = "expired",
    }
}

vocabulary! {
    /// What a news item is.
    NewsCategory {
        /// News from the village.
        News = "news",
        /// An official announcement (amtliche Bekanntmachung).
        Announcement = "announcement",
        /// An event; the item carries `event` with its time and place.
        Event = "event",
        /// A warning (storm, water, road closure): pushed at once with high urgency, also during
        /// quiet hours.
        Warning = "warning",
    }
}

vocabulary! {
    /// What a shop notice is about.
    ShopNoticeKind as "NoticeKind" {
        /// A special offer.
        Offer = "offer",
        /// Something new on the shelves (fresh strawberries!).
        NewStock = "new_stock",
        /// Closed on some days.
        Closure = "closure",
        /// Something happening at the shop.
        Event = "event",
        /// Anything else.
        Info = "info",
    }
}

// `expired` is never stored: a published item whose `expires_at` has passed is read as expired,
// exact to the second and without a job.
vocabulary! {
    /// Where an item stands.
    NewsStatus {
        /// Being written; seen only by its author and its editors.
        Draft = "draft",
        /// Goes live at `publish_at` (within seconds); invisible until then.
        Scheduled = "scheduled",
        /// In the feed.
        Published = "published",
        /// Was published; `expires_at` has passed, so it left the feed.
        Expired = "expired",
    }
}

// Not stored; a closed set of the API all the same.
vocabulary! {
    /// Which rides a list shows.
    RideScope {
        /// The caller's own rides (as rider, or booked by them for a person without an account).
        Mine = "mine",
        /// Drivers: open rides of their districts and the rides assigned to them.
        Driver = "driver",
        /// Dispatchers and admins: every ride.
        All = "all",
    }
}
