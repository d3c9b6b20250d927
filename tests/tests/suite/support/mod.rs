//! What every capability test uses: the app under test (`TestApp`: start it, drain its job and
//! push workers, `login_as` a role), sessions and requests, JSON values, the helpers of news,
//! rides and shops, the one role fixture (`Cast`), and a real Web Push service. Capability
//! modules import only from here.

mod app;
mod cast;
mod console;
mod documented;
mod http;
mod media;
mod news;
pub mod push_service;
mod rides;
mod sessions;
pub mod seven;
mod shops;
mod values;

pub use app::*;
pub use cast::*;
pub use console::*;
pub use documented::assert_documented;
pub use http::*;
pub use media::*;
pub use news::*;
pub use push_service::{Answer, Device, PushService, Received};
pub use rides::*;
pub use sessions::*;
pub use seven::SevenFake;
pub use shops::*;
pub use values::*;
