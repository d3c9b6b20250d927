//! Delivery reports (issue 21): a report moves a message forward (`sms::webhooks`), and a ride
//! step's message that reached the rider's phone ticks off the desk's call-back for that step,
//! so the desk calls only those whom no message reached. It sits above `rides` and `sms`, as
//! `sms_replies` does.

use crate::{DomainResult, clock::SharedClock, db, rides, sms::webhooks};

/// Applies one delivery report in one transaction; returns whether the message is one of ours.
pub async fn receive(
    db: &sea_orm::DatabaseConnection,
    clock: &SharedClock,
    provider: &str,
    provider_id: &str,
    status: &str,
) -> DomainResult<bool> {
    let txn = db::begin_write(db).await?;
    let now = clock.now();
    let Some(reported) = webhooks::apply_report(&txn, provider, provider_id, status, now).await?
    else {
        return Ok(false);
    };
    if reported.delivered
        && let Some(step) = reported
            .message
            .dedupe_key
            .as_deref()
            .and_then(rides::sms::told_step)
    {
        rides::desk::told_by_sms(&txn, step, now).await?;
    }
    txn.commit().await?;
    Ok(true)
}
