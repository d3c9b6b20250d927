//! The monthly budget: seven.io bills per segment, and a municipality plans a fixed sum. Once
//! the month's segments reach `DORFAPP_SMS_MONTHLY_BUDGET`, only what cannot wait goes out.

use entity::vocab::SmsKind;

/// Whether a message is sent (`true`) or set aside as `over_budget` (`false`), given the
/// segments used this month and the limit.
///
/// Over the budget these still go: warnings (a storm does not wait for next month), ride
/// changes for a pickup today (a rider must not wait in vain), the answer to a reply and the
/// one confirmation of a STOP (both answer what the person just did), and codes (a person waits
/// for them at the screen; they are limited per person and day anyway).
pub fn decide(kind: SmsKind, same_day: bool, used_segments: u64, limit: u32) -> bool {
    if used_segments < u64::from(limit) {
        return true;
    }
    match kind {
        SmsKind::Warning | SmsKind::StopConfirmed | SmsKind::Code | SmsKind::Reply => true,
        SmsKind::RideConfirmed
        | SmsKind::RideReminder
        | SmsKind::RideReleased
        | SmsKind::RideNoDriver
        | SmsKind::RideCancelled
        | SmsKind::RideRescheduled => same_day,
        SmsKind::Welcome => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_budget_everything_goes() {
        for kind in SmsKind::ALL {
            assert!(decide(*kind, false, 499, 500), "{kind:?}");
        }
    }

    #[test]
    fn over_the_budget_only_what_cannot_wait_goes() {
        let over = |kind, same_day| decide(kind, same_day, 500, 500);
        assert!(over(SmsKind::Warning, false));
        assert!(over(SmsKind::StopConfirmed, false));
        assert!(over(SmsKind::Reply, false));
        assert!(over(SmsKind::Code, false));
        assert!(over(SmsKind::RideCancelled, true));
        assert!(over(SmsKind::RideReleased, true));
        assert!(!over(SmsKind::RideCancelled, false));
        assert!(!over(SmsKind::RideConfirmed, false));
        assert!(!over(SmsKind::RideReminder, false));
        assert!(!over(SmsKind::Welcome, false));
        assert!(!over(SmsKind::Welcome, true));
    }

    #[test]
    fn a_budget_of_zero_sends_only_the_urgent() {
        assert!(!decide(SmsKind::RideConfirmed, false, 0, 0));
        assert!(decide(SmsKind::Warning, false, 0, 0));
    }
}
