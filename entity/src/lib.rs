//! sea-orm entities, one file per table. No logic lives here: rules are in `dorfapp::domain`.

pub mod district;
pub mod job;
