//! The Anliegen state machine as data: who may move an Anliegen to which status, from which.
//! A pure function, so every row has its own unit test; `transition` in `mod.rs` applies the
//! answer with a compare-and-set update (status and who handles it), records the history and
//! tells the followers.
//!
//! Who handles an Anliegen: its district while it is not forwarded, the town staff of its
//! topic once it is; administrators always.

use entity::vocab::AnliegenStatus::{self, *};

/// How the caller stands to the Anliegen. More than one may hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// Leads the Anliegen's district.
    pub leader: bool,
    /// Town staff for the Anliegen's topic (town-wide or that topic).
    pub town: bool,
    pub admin: bool,
}

impl Relation {
    /// May work on it at all (before forwarding or after).
    pub fn handles(self) -> bool {
        self.leader || self.town || self.admin
    }
}

/// Which side must hold the Anliegen for the step: checked in the same update as the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Anyone,
    /// Not forwarded (`forwarded_at IS NULL`).
    District,
    /// Forwarded (`forwarded_at IS NOT NULL`).
    Town,
}

/// A permitted step: from which statuses, to which, and who must hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [AnliegenStatus],
    pub to: AnliegenStatus,
    pub holder: Holder,
}

const OPEN: &[AnliegenStatus] = &[Received, InReview, Forwarded, InProgress];

/// The steps to `to` this caller may take, most general first (`None` of them: not theirs to
/// take, 403 or 404). The current status and holder are checked separately, because a step
/// that is allowed but comes too late is a 409, not a 403.
pub fn permitted(to: AnliegenStatus, who: Relation) -> Vec<Transition> {
    let t = |from, holder| Transition { from, to, holder };
    let mut steps = Vec::new();
    match to {
        // Nothing goes back to `received`: it is where an Anliegen starts.
        Received => {}
        InReview => {
            if who.leader || who.admin {
                steps.push(t(&[Received], Holder::District));
            }
        }
        Forwarded => {
            if who.leader || who.admin {
                steps.push(t(&[Received, InReview], Holder::District));
            }
        }
        InProgress => {
            if who.admin {
                steps.push(t(&[Received, InReview, Forwarded], Holder::Anyone));
            }
            if who.leader {
                steps.push(t(&[Received, InReview], Holder::District));
            }
            if who.town {
                steps.push(t(&[Forwarded], Holder::Town));
            }
        }
        Done | Declined | Duplicate => {
            if who.admin {
                steps.push(t(OPEN, Holder::Anyone));
            }
            if who.leader {
                steps.push(t(OPEN, Holder::District));
            }
            if who.town {
                steps.push(t(OPEN, Holder::Town));
            }
        }
    }
    steps
}

/// The first permitted step that fits where the Anliegen stands now.
pub fn fitting(
    steps: &[Transition],
    current: AnliegenStatus,
    forwarded: bool,
) -> Option<Transition> {
    steps.iter().copied().find(|step| {
        step.from.contains(&current)
            && match step.holder {
                Holder::Anyone => true,
                Holder::District => !forwarded,
                Holder::Town => forwarded,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEADER: Relation = Relation {
        leader: true,
        town: false,
        admin: false,
    };
    const TOWN: Relation = Relation {
        leader: false,
        town: true,
        admin: false,
    };
    const ADMIN: Relation = Relation {
        leader: false,
        town: false,
        admin: true,
    };
    const STRANGER: Relation = Relation {
        leader: false,
        town: false,
        admin: false,
    };

    fn rows(to: AnliegenStatus, who: Relation) -> Vec<(Vec<AnliegenStatus>, Holder)> {
        permitted(to, who)
            .into_iter()
            .map(|t| (t.from.to_vec(), t.holder))
            .collect()
    }

    #[test]
    fn nobody_without_a_relation_takes_any_step() {
        for to in [
            Received, InReview, Forwarded, InProgress, Done, Declined, Duplicate,
        ] {
            assert!(permitted(to, STRANGER).is_empty(), "{to:?}");
        }
    }

    #[test]
    fn nothing_returns_to_received() {
        for who in [LEADER, TOWN, ADMIN] {
            assert!(permitted(Received, who).is_empty(), "{who:?}");
        }
    }

    #[test]
    fn the_district_reviews_what_it_received() {
        assert_eq!(
            rows(InReview, LEADER),
            vec![(vec![Received], Holder::District)]
        );
        assert_eq!(
            rows(InReview, ADMIN),
            vec![(vec![Received], Holder::District)]
        );
        assert!(rows(InReview, TOWN).is_empty());
    }

    #[test]
    fn the_district_forwards_to_the_town_before_it_starts_itself() {
        assert_eq!(
            rows(Forwarded, LEADER),
            vec![(vec![Received, InReview], Holder::District)]
        );
        assert!(rows(Forwarded, TOWN).is_empty());
    }

    #[test]
    fn the_district_starts_its_own_and_the_town_what_was_forwarded() {
        assert_eq!(
            rows(InProgress, LEADER),
            vec![(vec![Received, InReview], Holder::District)]
        );
        assert_eq!(
            rows(InProgress, TOWN),
            vec![(vec![Forwarded], Holder::Town)]
        );
        assert_eq!(
            rows(InProgress, ADMIN),
            vec![(vec![Received, InReview, Forwarded], Holder::Anyone)]
        );
    }

    #[test]
    fn whoever_holds_an_open_anliegen_closes_it() {
        for to in [Done, Declined, Duplicate] {
            assert_eq!(rows(to, LEADER), vec![(OPEN.to_vec(), Holder::District)]);
            assert_eq!(rows(to, TOWN), vec![(OPEN.to_vec(), Holder::Town)]);
            assert_eq!(rows(to, ADMIN), vec![(OPEN.to_vec(), Holder::Anyone)]);
        }
    }

    #[test]
    fn a_leader_cannot_close_what_the_town_holds_and_the_town_not_what_the_district_holds() {
        let leader = permitted(Done, LEADER);
        assert_eq!(fitting(&leader, InProgress, true), None);
        assert!(fitting(&leader, InProgress, false).is_some());
        let town = permitted(Done, TOWN);
        assert_eq!(fitting(&town, InReview, false), None);
        assert!(fitting(&town, InProgress, true).is_some());
    }

    #[test]
    fn a_closed_anliegen_takes_no_step() {
        for closed in [Done, Declined, Duplicate] {
            for to in [InReview, Forwarded, InProgress, Done, Declined, Duplicate] {
                for who in [LEADER, TOWN, ADMIN] {
                    for forwarded in [false, true] {
                        assert_eq!(
                            fitting(&permitted(to, who), closed, forwarded),
                            None,
                            "{closed:?} → {to:?} by {who:?}"
                        );
                    }
                }
            }
        }
    }
}
