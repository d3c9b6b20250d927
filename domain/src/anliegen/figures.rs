//! The lever for the district mayor: what came in, what was settled and how fast, and what is
//! still waiting, per district and period — public, so the Ortsbürgermeisterin can show the
//! town council, and without any personal data (counts, medians and one date).
//!
//! One query reads the rows that matter for the period (a single snapshot on both
//! databases); the figures are folded here in Rust, the same code on both (SQLite has no
//! median, PostgreSQL's `percentile_cont` is its own).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{anliegen, vocab::AnliegenStatus};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::{
    DomainError, DomainResult,
    clock::{SharedClock, start_of_day},
    text::{Text, field},
};

/// The default period: the last year.
pub const DEFAULT_PERIOD: Duration = Duration::days(365);
/// The longest period asked for.
pub const MAX_PERIOD: Duration = Duration::days(5 * 366);

/// The figures of one district over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub district_id: Uuid,
    /// The period, widened to whole local days: `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Filed in the period.
    pub received: u64,
    /// Ended in the period, by how.
    pub done: u64,
    pub declined: u64,
    pub duplicate: u64,
    /// Open now (whenever filed).
    pub open_now: u64,
    /// Filed in the period and not answered yet.
    pub unanswered: u64,
    /// Of those filed in the period and answered: the median of the days to the first answer.
    pub median_days_to_first_answer: Option<f64>,
    /// Of those done in the period: the median of the days from filing to done.
    pub median_days_to_done: Option<f64>,
    /// When the oldest open one was filed, and how many days ago.
    pub oldest_open_received_at: Option<DateTime<Utc>>,
    pub oldest_open_days: Option<f64>,
}

/// One row as the fold needs it.
#[derive(Clone, Copy, Debug, FromQueryResult)]
pub struct Row {
    pub status: AnliegenStatus,
    pub created_at: DateTime<Utc>,
    pub first_answer_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

fn days(span: Duration) -> f64 {
    span.num_seconds() as f64 / 86_400.0
}

/// The median, rounded to one decimal; `None` for no values.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    let value = if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    };
    Some((value * 10.0).round() / 10.0)
}

/// The figures from the rows of one district (those filed or ended in the period, and those
/// open now).
pub fn fold(
    district_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    rows: &[Row],
) -> Figures {
    let within = |at: DateTime<Utc>| from <= at && at < to;
    let mut figures = Figures {
        district_id,
        from,
        to,
        received: 0,
        done: 0,
        declined: 0,
        duplicate: 0,
        open_now: 0,
        unanswered: 0,
        median_days_to_first_answer: None,
        median_days_to_done: None,
        oldest_open_received_at: None,
        oldest_open_days: None,
    };
    let mut to_first_answer = Vec::new();
    let mut to_done = Vec::new();
    for row in rows {
        if within(row.created_at) {
            figures.received += 1;
            match row.first_answer_at {
                Some(answered) => to_first_answer.push(days(answered - row.created_at)),
                None => figures.unanswered += 1,
            }
        }
        match row.closed_at {
            Some(closed) if within(closed) => match row.status {
                AnliegenStatus::Done => {
                    figures.done += 1;
                    to_done.push(days(closed - row.created_at));
                }
                AnliegenStatus::Declined => figures.declined += 1,
                AnliegenStatus::Duplicate => figures.duplicate += 1,
                _ => {}
            },
            Some(_) => {}
            None if row.status.is_open() => {
                figures.open_now += 1;
                if figures
                    .oldest_open_received_at
                    .is_none_or(|oldest| row.created_at < oldest)
                {
                    figures.oldest_open_received_at = Some(row.created_at);
                }
            }
            None => {}
        }
    }
    figures.median_days_to_first_answer = median(to_first_answer);
    figures.median_days_to_done = median(to_done);
    figures.oldest_open_days = figures
        .oldest_open_received_at
        .map(|at| (days(now - at) * 10.0).round() / 10.0);
    figures
}

/// The figures of a district over `[from, to)`, both widened to the start of their local day
/// (`to` to the start of the next day, so "until today" includes today). Defaults: the last
/// year until now.
pub async fn of_district(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    tz: Tz,
    district_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> DomainResult<Figures> {
    if entity::district::Entity::find_by_id(district_id)
        .one(conn)
        .await?
        .is_none()
    {
        return Err(DomainError::NotFound(Text::new(
            "Diesen Ortsteil gibt es nicht.",
            "No such district.",
        )));
    }
    let now = clock.now();
    let to = start_of_day(to.unwrap_or(now), tz) + Duration::days(1);
    let to = start_of_day(to, tz); // a DST day is 23 or 25 hours long
    let from = start_of_day(from.unwrap_or(to - DEFAULT_PERIOD), tz);
    if to <= from {
        return Err(DomainError::Validation(vec![field(
            "to",
            "Das Ende muss nach dem Anfang liegen.",
            "The end must be after the start.",
        )]));
    }
    if to - from > MAX_PERIOD {
        return Err(DomainError::Validation(vec![field(
            "from",
            "Höchstens fünf Jahre auf einmal.",
            "At most five years at once.",
        )]));
    }
    use anliegen::Column as C;
    let rows: Vec<Row> = anliegen::Entity::find()
        .select_only()
        .columns([C::Status, C::CreatedAt, C::FirstAnswerAt, C::ClosedAt])
        .filter(C::DistrictId.eq(district_id))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::CreatedAt.gte(from))
                        .add(C::CreatedAt.lt(to)),
                )
                .add(
                    Condition::all()
                        .add(C::ClosedAt.gte(from))
                        .add(C::ClosedAt.lt(to)),
                )
                .add(C::ClosedAt.is_null()),
        )
        .into_model::<Row>()
        .all(conn)
        .await?;
    Ok(fold(district_id, from, to, now, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AnliegenStatus::*;

    fn at(day: i64, hour: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).expect("time")
            + Duration::days(day)
            + Duration::hours(hour)
    }

    fn row(
        status: AnliegenStatus,
        created: i64,
        answered: Option<i64>,
        closed: Option<i64>,
    ) -> Row {
        Row {
            status,
            created_at: at(created, 0),
            first_answer_at: answered.map(|d| at(d, 0)),
            closed_at: closed.map(|d| at(d, 0)),
        }
    }

    #[test]
    fn the_median_of_an_odd_and_an_even_count_and_of_none() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 10.0]), Some(3.0));
        assert_eq!(median(vec![0.25, 0.3]), Some(0.3));
    }

    #[test]
    fn figures_count_the_period_and_what_waits_now() {
        let rows = [
            // Filed before the period, done in it after 20 days; answered before the period.
            row(Done, -10, Some(-9), Some(10)),
            // Filed in it, answered after 2 days, done after 4.
            row(Done, 1, Some(3), Some(5)),
            // Filed in it, answered after 1 day, declined.
            row(Declined, 2, Some(3), Some(3)),
            // Filed in it, merged.
            row(Duplicate, 4, Some(4), Some(4)),
            // Filed in it, waiting, unanswered.
            row(Received, 6, None, None),
            // Filed long before, still open: the oldest.
            row(InProgress, -40, Some(-30), None),
            // Filed in it and answered after 3 days, still open.
            row(InReview, 7, Some(10), None),
        ];
        let figures = fold(Uuid::nil(), at(0, 0), at(30, 0), at(30, 0), &rows);
        assert_eq!(figures.received, 5);
        assert_eq!(figures.done, 2);
        assert_eq!(figures.declined, 1);
        assert_eq!(figures.duplicate, 1);
        assert_eq!(figures.open_now, 3);
        assert_eq!(figures.unanswered, 1);
        // First answers after 2, 1, 0 and 3 days.
        assert_eq!(figures.median_days_to_first_answer, Some(1.5));
        // Done after 20 and 4 days.
        assert_eq!(figures.median_days_to_done, Some(12.0));
        assert_eq!(figures.oldest_open_received_at, Some(at(-40, 0)));
        assert_eq!(figures.oldest_open_days, Some(70.0));
    }

    #[test]
    fn an_empty_district_has_zeros_and_no_medians() {
        let figures = fold(Uuid::nil(), at(0, 0), at(30, 0), at(30, 0), &[]);
        assert_eq!(figures.received + figures.open_now + figures.done, 0);
        assert_eq!(figures.median_days_to_done, None);
        assert_eq!(figures.oldest_open_days, None);
    }
}
