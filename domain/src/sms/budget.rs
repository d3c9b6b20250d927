//! The monthly budget: seven.io bills per segment, and a municipality plans a fixed sum. Once
//! the month's segments reach `DORFAPP_SMS_MONTHLY_BUDGET`, only what cannot wait goes out.

use entity::{notice, vocab::SmsKind};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::{
    clock::SharedClock,
    jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    notices::{self, Audience, Notice, NoticeKind, Target, Urgency},
};

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

/// The job that tells the admins the month's budget is 80 % used, or used up.
pub const NOTICE_JOB: &str = "sms.budget";

/// The share of the budget, in percent, at which the admins hear of it first: early enough to
/// raise the budget before ride messages stop.
const EARLY_PERCENT: u64 = 80;

/// The level (80 or 100, in percent of `limit`) that the month's usage reached with one
/// message, going from `before` to `after` segments; `None` when it crossed none. Usage only
/// grows within a month, so each level is crossed once (a message crossing both names 100).
pub fn crossed(before: u64, after: u64, limit: u32) -> Option<u8> {
    let full = u64::from(limit);
    let early = (full * EARLY_PERCENT).div_ceil(100);
    if full == 0 {
        None
    } else if before < full && after >= full {
        Some(100)
    } else if before < early && after >= early {
        Some(80)
    } else {
        None
    }
}

#[derive(Serialize, Deserialize)]
struct Crossing {
    /// The local month, `2026-12`.
    month: String,
    level: u8,
    used: u64,
    limit: u32,
}

/// Queues the admins' notice for a level crossed, in the transaction that counted the message.
/// Two workers crossing at once queue it once (the job's unique key while it waits; the
/// notice's topic after).
pub(crate) async fn queue_notice(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    month: String,
    level: u8,
    used: u64,
    limit: u32,
) -> Result<(), DbErr> {
    let key = format!("{NOTICE_JOB}:{month}:{level}");
    let crossing = Crossing {
        month,
        level,
        used,
        limit,
    };
    jobs::enqueue(
        conn,
        clock,
        NewJob::new(
            NOTICE_JOB,
            serde_json::to_value(crossing).unwrap_or_default(),
            clock.now(),
        )
        .unique(key),
    )
    .await
}

/// "Dezember 2026" for `2026-12`.
fn month_name(month: &str) -> String {
    let mut parts = month.splitn(2, '-');
    let (year, number) = (
        parts.next(),
        parts.next().and_then(|m| m.parse::<usize>().ok()),
    );
    match (
        year,
        number.and_then(|m| crate::text::MONTHS_DE.get(m.wrapping_sub(1))),
    ) {
        (Some(year), Some(name)) => format!("{name} {year}"),
        _ => month.to_owned(),
    }
}

/// The admins' notice for one crossing: title and body, plain German.
fn notice_text(crossing: &Crossing) -> (String, String) {
    let month = month_name(&crossing.month);
    let after = "gehen bis Monatsende nur noch Warnungen, Fahrtänderungen für denselben Tag, \
                 Codes und Antworten hinaus; alle anderen SMS werden nicht gesendet";
    if crossing.level >= 100 {
        (
            "SMS-Budget aufgebraucht".to_owned(),
            format!(
                "Im {month} sind {} von {} SMS-Teilen verbraucht. Jetzt {after}. Das Budget \
                 setzt DORFAPP_SMS_MONTHLY_BUDGET.",
                crossing.used, crossing.limit
            ),
        )
    } else {
        (
            format!("SMS-Budget zu {} % verbraucht", crossing.level),
            format!(
                "Im {month} sind {} von {} SMS-Teilen verbraucht. Ist das Budget aufgebraucht, \
                 {after}. Das Budget setzt DORFAPP_SMS_MONTHLY_BUDGET.",
                crossing.used, crossing.limit
            ),
        )
    }
}

/// The job: one notice to the admins per month and level.
pub async fn notice_due(ctx: JobContext, job: ClaimedJob) -> Result<JobOutcome, JobError> {
    let crossing: Crossing = job.payload()?;
    let topic = format!("sms-budget:{}:{}", crossing.month, crossing.level);
    let told = notice::Entity::find()
        .filter(notice::Column::Kind.eq(NoticeKind::SmsBudget))
        .filter(notice::Column::Topic.eq(topic.as_str()))
        .one(&ctx.db)
        .await?;
    if told.is_some() {
        return Ok(JobOutcome::Done);
    }
    let (title, body) = notice_text(&crossing);
    notices::enqueue(
        &ctx.db,
        &ctx.clock,
        Notice {
            kind: NoticeKind::SmsBudget,
            title,
            body,
            target: Target::SmsStatus,
            audience: Audience::Admins,
            urgency: Urgency::Normal,
            topic: Some(topic),
            not_before: None,
        },
    )
    .await?;
    Ok(JobOutcome::Done)
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
    fn each_level_is_crossed_by_one_message() {
        assert_eq!(crossed(398, 399, 500), None);
        assert_eq!(crossed(399, 400, 500), Some(80));
        assert_eq!(crossed(400, 401, 500), None);
        assert_eq!(crossed(498, 500, 500), Some(100));
        assert_eq!(crossed(500, 501, 500), None);
        // One message over both levels names the higher.
        assert_eq!(crossed(3, 5, 5), Some(100));
        // 80 % of 7 is 5.6: told at 6.
        assert_eq!(crossed(5, 6, 7), Some(80));
        assert_eq!(crossed(0, 1, 0), None);
    }

    #[test]
    fn the_notice_names_the_month_and_the_figures() {
        let crossing = |level| Crossing {
            month: "2026-12".into(),
            level,
            used: if level == 100 { 500 } else { 400 },
            limit: 500,
        };
        let (title, body) = notice_text(&crossing(80));
        assert_eq!(title, "SMS-Budget zu 80 % verbraucht");
        assert!(
            body.starts_with("Im Dezember 2026 sind 400 von 500 SMS-Teilen"),
            "{body}"
        );
        let (title, body) = notice_text(&crossing(100));
        assert_eq!(title, "SMS-Budget aufgebraucht");
        assert!(body.contains("500 von 500"), "{body}");
        assert_eq!(month_name("2026-13"), "2026-13");
        assert_eq!(month_name("2027-01"), "Januar 2027");
    }

    #[test]
    fn a_budget_of_zero_sends_only_the_urgent() {
        assert!(!decide(SmsKind::RideConfirmed, false, 0, 0));
        assert!(decide(SmsKind::Warning, false, 0, 0));
    }
}
