//! Who may do what with an event: a pure table over the caller's relation to it, one test per
//! row. The relation is computed from the event's organisation and districts, so the same
//! function checks a new event, a change (old and new state) and a read.

use entity::organisation;
use uuid::Uuid;

use crate::auth::Actor;

/// What the caller wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Publish an event with these districts and this organisation (also the state after a
    /// change).
    Create,
    /// Change, cancel, cancel or move one date, publish a draft.
    Edit,
    /// Take a published event down (moderation).
    Unpublish,
    /// Delete a draft.
    Delete,
    /// See a draft or an unpublished event.
    SeeUnpublished,
}

/// How the caller stands to an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// Edits for the event's organisation, and the event is in that organisation's district
    /// only.
    pub organiser: bool,
    /// Leads at least one of its districts.
    pub leader_any: bool,
    /// Leads every one of its districts (an event for the whole town has none to lead).
    pub leader_all: bool,
    pub admin: bool,
}

impl Relation {
    pub fn of(
        actor: &Actor,
        districts: &[Uuid],
        organisation: Option<&organisation::Model>,
    ) -> Self {
        Self {
            organiser: organisation
                .is_some_and(|o| actor.edits_for(o.id) && districts == [o.district_id]),
            leader_any: districts.iter().any(|d| actor.leads(*d)),
            leader_all: !districts.is_empty() && districts.iter().all(|d| actor.leads(*d)),
            admin: actor.is_admin(),
        }
    }
}

/// The table. Leaders act on what lies wholly in their districts; taking something down needs
/// only one of them ("the leader can unpublish anything in their district"); an organisation's
/// editors act on their own organisation's events in its district.
pub fn permitted(op: Op, r: Relation) -> bool {
    match op {
        Op::Create | Op::Edit | Op::Delete => r.admin || r.leader_all || r.organiser,
        Op::Unpublish => r.admin || r.leader_any,
        Op::SeeUnpublished => r.admin || r.leader_any || r.organiser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOBODY: Relation = Relation {
        organiser: false,
        leader_any: false,
        leader_all: false,
        admin: false,
    };
    const ORGANISER: Relation = Relation {
        organiser: true,
        ..NOBODY
    };
    const LEADER_OF_ONE: Relation = Relation {
        leader_any: true,
        ..NOBODY
    };
    const LEADER_OF_ALL: Relation = Relation {
        leader_any: true,
        leader_all: true,
        ..NOBODY
    };
    const ADMIN: Relation = Relation {
        admin: true,
        ..NOBODY
    };

    fn row(op: Op, expected: [bool; 5]) {
        for (relation, allowed) in [NOBODY, ORGANISER, LEADER_OF_ONE, LEADER_OF_ALL, ADMIN]
            .into_iter()
            .zip(expected)
        {
            assert_eq!(permitted(op, relation), allowed, "{op:?} for {relation:?}");
        }
    }

    // Columns: nobody, organiser, leader of one of its districts, leader of all, admin.
    #[test]
    fn create() {
        row(Op::Create, [false, true, false, true, true]);
    }

    #[test]
    fn edit() {
        row(Op::Edit, [false, true, false, true, true]);
    }

    #[test]
    fn unpublish() {
        row(Op::Unpublish, [false, false, true, true, true]);
    }

    #[test]
    fn delete() {
        row(Op::Delete, [false, true, false, true, true]);
    }

    #[test]
    fn see_unpublished() {
        row(Op::SeeUnpublished, [false, true, true, true, true]);
    }
}
