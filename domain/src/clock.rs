//! Time as a dependency: production reads the system clock, tests move a manual one, so that
//! scheduling, expiry and reminders are tested without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// The start of the day `at` falls on, in the municipality's time zone (whole-day windows of
/// statistics and figures).
pub fn start_of_day(at: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    local_midnight(at.with_timezone(&tz).date_naive(), tz).unwrap_or(at)
}

/// The first instant of a local calendar day (`None` only for a date chrono cannot place).
fn local_midnight(day: chrono::NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(tz).earliest())
        .map(|start| start.with_timezone(&Utc))
}

/// The start and end of a local calendar day, as instants (23 or 25 hours on the days the
/// clocks change): a day's rides, a driver's run sheet.
pub fn day_bounds(day: chrono::NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let from =
        local_midnight(day, tz).unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc());
    let to = day
        .succ_opt()
        .and_then(|next| local_midnight(next, tz))
        .filter(|to| *to > from)
        .unwrap_or(from + Duration::days(1));
    (from, to)
}

/// The source of "now" for everything time-driven.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, truncated to microseconds: PostgreSQL stores no finer, and values must
/// compare equal after a round trip through either database.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until moved. Shared by clones.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start.trunc_subsecs(6))))
    }

    /// Starts at the current system time.
    pub fn starting_now() -> Self {
        Self::new(Utc::now())
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = to.trunc_subsecs(6);
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now = (*now + by).trunc_subsecs(6);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding this lock cannot leave the time half-written.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// The clock handle kept in the application state.
pub type SharedClock = Arc<dyn Clock>;
