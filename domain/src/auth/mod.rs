//! Authentication: passwords (argon2id), tokens (JWT access tokens, rotating refresh tokens),
//! and the [`Actor`] with its guards, loaded from the database on every request.

pub mod actor;
pub mod console;
pub mod passwords;
pub mod tokens;

pub use actor::{Actor, Assignment, Role, Scope};
