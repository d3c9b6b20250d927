//! The ride state machine as data: which step a caller may take from which status. A pure
//! function, so every row has its own unit test; `transition` in `mod.rs` applies the answer
//! with a compare-and-set update, records the history and tells the people concerned.

use entity::vocab::RideStatus::{self, *};

/// A step asked for, without its data (driver, reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    Accept,
    Assign,
    Release,
    Start,
    Complete,
    NoShow,
    Cancel,
}

/// How the caller stands to the ride. More than one may hold (a dispatcher who also drives).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// Drives in the ride's pickup district.
    pub district_driver: bool,
    /// Is the ride's assigned driver.
    pub assigned: bool,
    /// Is the rider (or booked it for a person without an account).
    pub rider: bool,
    /// Dispatcher or admin.
    pub staff: bool,
}

/// What happens to the ride's driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverChange {
    Keep,
    /// The caller becomes the driver (accept).
    Caller,
    /// The driver the staff member chose (assign).
    Chosen,
    /// Nobody drives it any more (release).
    Clear,
}

/// A permitted step: from which statuses, to which, and what it does to the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [RideStatus],
    pub to: RideStatus,
    pub driver: DriverChange,
    /// The update must also find the caller as the driver (a release or start by a driver
    /// who lost the ride meanwhile changes nothing).
    pub only_assigned: bool,
}

/// Whether the caller may take this kind of step at all (`None`: not theirs to take). The
/// current status is checked separately, because a step that is allowed but comes too late is
/// a 409, not a 403.
pub fn permitted(step: StepKind, who: Relation) -> Option<Transition> {
    let t = |from, to, driver, only_assigned| {
        Some(Transition {
            from,
            to,
            driver,
            only_assigned,
        })
    };
    match step {
        StepKind::Accept if who.district_driver => {
            t(&[Requested], Accepted, DriverChange::Caller, false)
        }
        StepKind::Assign if who.staff => t(
            &[Requested, Accepted],
            Accepted,
            DriverChange::Chosen,
            false,
        ),
        // A driver gives back only their own ride; staff take it away from anyone.
        StepKind::Release if who.assigned || who.staff => {
            t(&[Accepted], Requested, DriverChange::Clear, !who.staff)
        }
        StepKind::Start if who.assigned => t(&[Accepted], InProgress, DriverChange::Keep, true),
        StepKind::Complete if who.assigned => t(&[InProgress], Completed, DriverChange::Keep, true),
        StepKind::NoShow if who.assigned => t(
            &[Accepted, InProgress],
            RideStatus::NoShow,
            DriverChange::Keep,
            true,
        ),
        // Staff may call off a ride under way (a breakdown); the rider only before it starts.
        StepKind::Cancel if who.staff => t(
            &[Requested, Accepted, InProgress],
            Cancelled,
            DriverChange::Keep,
            false,
        ),
        StepKind::Cancel if who.rider => {
            t(&[Requested, Accepted], Cancelled, DriverChange::Keep, false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRIVER: Relation = Relation {
        district_driver: true,
        assigned: false,
        rider: false,
        staff: false,
    };
    const ASSIGNED: Relation = Relation {
        district_driver: true,
        assigned: true,
        rider: false,
        staff: false,
    };
    const RIDER: Relation = Relation {
        district_driver: false,
        assigned: false,
        rider: true,
        staff: false,
    };
    const STAFF: Relation = Relation {
        district_driver: false,
        assigned: false,
        rider: false,
        staff: true,
    };
    const STRANGER: Relation = Relation {
        district_driver: false,
        assigned: false,
        rider: false,
        staff: false,
    };

    fn row(
        step: StepKind,
        who: Relation,
    ) -> Option<(Vec<RideStatus>, RideStatus, DriverChange, bool)> {
        permitted(step, who).map(|t| (t.from.to_vec(), t.to, t.driver, t.only_assigned))
    }

    #[test]
    fn a_district_driver_accepts_an_open_ride_and_becomes_its_driver() {
        assert_eq!(
            row(StepKind::Accept, DRIVER),
            Some((vec![Requested], Accepted, DriverChange::Caller, false))
        );
    }

    #[test]
    fn only_district_drivers_accept() {
        for who in [RIDER, STAFF, STRANGER] {
            assert_eq!(row(StepKind::Accept, who), None, "{who:?}");
        }
    }

    #[test]
    fn staff_assign_an_open_or_taken_ride() {
        assert_eq!(
            row(StepKind::Assign, STAFF),
            Some((
                vec![Requested, Accepted],
                Accepted,
                DriverChange::Chosen,
                false
            ))
        );
        for who in [DRIVER, ASSIGNED, RIDER, STRANGER] {
            assert_eq!(row(StepKind::Assign, who), None, "{who:?}");
        }
    }

    #[test]
    fn the_assigned_driver_releases_only_while_still_assigned() {
        assert_eq!(
            row(StepKind::Release, ASSIGNED),
            Some((vec![Accepted], Requested, DriverChange::Clear, true))
        );
    }

    #[test]
    fn staff_release_any_drivers_ride() {
        assert_eq!(
            row(StepKind::Release, STAFF),
            Some((vec![Accepted], Requested, DriverChange::Clear, false))
        );
        for who in [DRIVER, RIDER, STRANGER] {
            assert_eq!(row(StepKind::Release, who), None, "{who:?}");
        }
    }

    #[test]
    fn only_the_assigned_driver_starts_completes_or_reports_a_no_show() {
        assert_eq!(
            row(StepKind::Start, ASSIGNED),
            Some((vec![Accepted], InProgress, DriverChange::Keep, true))
        );
        assert_eq!(
            row(StepKind::Complete, ASSIGNED),
            Some((vec![InProgress], Completed, DriverChange::Keep, true))
        );
        assert_eq!(
            row(StepKind::NoShow, ASSIGNED),
            Some((vec![Accepted, InProgress], NoShow, DriverChange::Keep, true))
        );
        for step in [StepKind::Start, StepKind::Complete, StepKind::NoShow] {
            for who in [DRIVER, RIDER, STAFF, STRANGER] {
                assert_eq!(row(step, who), None, "{step:?} {who:?}");
            }
        }
    }

    #[test]
    fn staff_cancel_even_a_ride_under_way() {
        assert_eq!(
            row(StepKind::Cancel, STAFF),
            Some((
                vec![Requested, Accepted, InProgress],
                Cancelled,
                DriverChange::Keep,
                false
            ))
        );
    }

    #[test]
    fn the_rider_cancels_only_before_the_ride_starts() {
        assert_eq!(
            row(StepKind::Cancel, RIDER),
            Some((
                vec![Requested, Accepted],
                Cancelled,
                DriverChange::Keep,
                false
            ))
        );
    }

    #[test]
    fn drivers_and_strangers_cannot_cancel() {
        for who in [DRIVER, ASSIGNED, STRANGER] {
            assert_eq!(row(StepKind::Cancel, who), None, "{who:?}");
        }
    }

    #[test]
    fn no_step_leads_out_of_a_final_status() {
        let steps = [
            StepKind::Accept,
            StepKind::Assign,
            StepKind::Release,
            StepKind::Start,
            StepKind::Complete,
            StepKind::NoShow,
            StepKind::Cancel,
        ];
        let everyone = Relation {
            district_driver: true,
            assigned: true,
            rider: true,
            staff: true,
        };
        for step in steps {
            let t = permitted(step, everyone).expect("someone may take every step");
            for last in [Completed, Cancelled, NoShow, Expired] {
                assert!(!t.from.contains(&last), "{step:?} from {last:?}");
            }
        }
    }
}
