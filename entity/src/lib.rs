//! sea-orm entities, one file per table. No logic lives here: rules are in the `domain` crate. The closed sets of values
//! (roles, ride status, purposes …) are declared once, in [`vocab`].

pub mod anliegen;
pub mod anliegen_event;
pub mod anliegen_follower;
pub mod anliegen_topic;
pub mod api_client;
pub mod app_user;
pub mod district;
pub mod idempotency_record;
pub mod inbox_entry;
pub mod job;
pub mod login_attempt;
pub mod media;
pub mod media_use;
pub mod news_item;
pub mod news_placement;
pub mod notice;
pub mod notification_district;
pub mod notification_preference;
pub mod organisation;
pub mod poll;
pub mod poll_option;
pub mod poll_vote;
pub mod push_delivery;
pub mod push_subscription;
pub mod quota_use;
pub mod refresh_token;
pub mod ride;
pub mod ride_event;
pub mod role_assignment;
pub mod session;
pub mod shop;
pub mod shop_follower;
pub mod shop_notice;
pub mod vocab;
