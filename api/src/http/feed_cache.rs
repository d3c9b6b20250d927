//! Rendered feed pages kept in memory.
//!
//! The public feed is what the server is asked for most: every resident's app opens on it, and
//! most of a district ask for the same first page. Rendering a page costs two index scans, 20
//! items decoded and about 22 KB of JSON built and hashed (roughly 1 ms of CPU); serving a kept
//! page costs a hash lookup. A kept page (its bytes, their gzip'd form and the `ETag`) is served
//! while all of this holds:
//! - this instance has committed no news change since the page was read
//!   ([`news::FeedVersion`]): a publication, edit or deletion made here shows at once;
//! - nothing on it has expired since ([`news::FeedPage::changes_at`]);
//! - it is younger than `feed_cache_ttl_ms` (default 1 s). This bounds how late a change made
//!   by another instance on the same database, or written to the database by hand, shows here.
//!
//! Age and expiry are both read from the domain clock, so tests move them without sleeping;
//! a clock that jumps back makes a page outdated rather than keeping it longer.
//!
//! Concurrent requests for a page that is not kept render it once; the others wait for that
//! rendering instead of all going to the database at the same moment. If it fails (the database
//! is unreachable or its pool exhausted), each waiter renders for itself at once rather than
//! queueing behind the next attempt. The memory is bounded by the size of the kept bodies (a
//! client making up cursors only evicts pages).

use std::{future::Future, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use quick_cache::{Weighter, sync::Cache};

use super::etag::Rendered;
use crate::error::ApiResult;
use domain::{clock::SharedClock, news};

/// Bytes of rendered pages kept at most (about 1,500 pages of 20 items).
const CAPACITY_BYTES: u64 = 32 * 1024 * 1024;
/// Rough size of a page's key and bookkeeping, so that tiny pages still count.
const ENTRY_OVERHEAD_BYTES: u64 = 256;

/// A page as rendered, and what decides whether it is still current.
#[derive(Debug)]
struct KeptPage {
    /// `None`: the rendering failed; marks the end of a failed flight for its waiters.
    rendered: Option<Rendered>,
    /// The [`news::FeedVersion`] before the page was read.
    version: u64,
    /// When it was read, and when it is read again at the latest (after the time to live).
    read_at: DateTime<Utc>,
    stale_at: DateTime<Utc>,
    changes_at: Option<DateTime<Utc>>,
}

impl KeptPage {
    fn is_current(&self, version: u64, now: DateTime<Utc>) -> bool {
        self.version == version
            && self.read_at <= now
            && now < self.stale_at
            && self.changes_at.is_none_or(|at| now < at)
    }
}

#[derive(Clone)]
struct ByBodySize;

impl Weighter<news::FeedQuery, Arc<KeptPage>> for ByBodySize {
    fn weight(&self, _: &news::FeedQuery, page: &Arc<KeptPage>) -> u64 {
        page.rendered.as_ref().map_or(0, |r| r.body.len() as u64) + ENTRY_OVERHEAD_BYTES
    }
}

/// The rendered pages of the public feed; one per server process.
pub struct FeedCache {
    pages: Cache<news::FeedQuery, Arc<KeptPage>, ByBodySize>,
    /// Zero: pages are never kept.
    ttl: chrono::Duration,
    version: news::FeedVersion,
}

impl FeedCache {
    /// Keeps pages for at most `ttl` while `version` (the instance's news changes) stays.
    pub fn new(ttl: Duration, version: news::FeedVersion) -> Self {
        Self {
            pages: Cache::with_weighter(1_500, CAPACITY_BYTES, ByBodySize),
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
            version,
        }
    }

    /// The kept page's representation, if it may still be served.
    fn current(&self, kept: &KeptPage, clock: &SharedClock) -> Option<Rendered> {
        let current = kept.is_current(self.version.current(), clock.now());
        kept.rendered.clone().filter(|_| current)
    }

    /// The page for `query`: kept, or rendered by `render`, which returns the representation
    /// and when it changes by time alone.
    pub async fn page<F, Fut>(
        &self,
        query: &news::FeedQuery,
        clock: &SharedClock,
        render: F,
    ) -> ApiResult<Rendered>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<(Rendered, Option<DateTime<Utc>>)>>,
    {
        if self.ttl.is_zero() {
            return Ok(render().await?.0);
        }
        if let Some(kept) = self.pages.get(query) {
            if let Some(page) = self.current(&kept, clock) {
                metrics::counter!("feed_cache_total", "result" => "hit").increment(1);
                return Ok(page);
            }
            // Only this outdated copy: a newer one someone just kept stays.
            self.pages
                .remove_if(query, |current| Arc::ptr_eq(current, &kept));
        }
        let guard = match self.pages.get_value_or_guard_async(query).await {
            Ok(kept) => match self.current(&kept, clock) {
                Some(page) => {
                    // Rendered by a concurrent request while this one waited.
                    metrics::counter!("feed_cache_total", "result" => "hit").increment(1);
                    return Ok(page);
                }
                // The rendering waited for failed, or a change came right after it: render for
                // this request alone.
                None => None,
            },
            Err(guard) => Some(guard),
        };
        metrics::counter!("feed_cache_total", "result" => "miss").increment(1);
        // Read before the page: a change committed meanwhile makes the page outdated at once.
        let version = self.version.current();
        let read_at = clock.now();
        // A page to keep is gzip'd once here, not for every request that gets it; a page
        // rendered for this request alone is compressed (if asked) on its way out.
        let keeping = guard.is_some();
        let result = render().await.map(|(rendered, changes_at)| {
            let rendered = if keeping {
                rendered.with_gzip()
            } else {
                rendered
            };
            (rendered, changes_at)
        });
        if let Some(guard) = guard {
            let (rendered, changes_at) = match &result {
                Ok((rendered, changes_at)) => (Some(rendered.clone()), *changes_at),
                Err(_) => (None, None),
            };
            let kept = Arc::new(KeptPage {
                rendered,
                version,
                read_at,
                stale_at: read_at
                    .checked_add_signed(self.ttl)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
                changes_at,
            });
            // Fails only when the slot was removed meanwhile; the page is answered anyway.
            let _ = guard.insert(kept);
        }
        Ok(result?.0)
    }
}

#[cfg(test)]
mod tests {
    use futures::future::BoxFuture;

    use super::*;

    fn page(version: u64, read_at: DateTime<Utc>, changes_at: Option<DateTime<Utc>>) -> KeptPage {
        KeptPage {
            rendered: Some(Rendered::of(&Vec::<String>::new())),
            version,
            read_at,
            stale_at: read_at + chrono::Duration::seconds(1),
            changes_at,
        }
    }

    #[test]
    fn a_kept_page_is_current_until_a_change_an_expiry_or_its_age() {
        let now = Utc::now();
        let later = |ms| now + chrono::Duration::milliseconds(ms);
        assert!(page(7, now, None).is_current(7, later(999)));
        assert!(!page(7, now, None).is_current(8, now), "a news change");
        assert!(
            !page(7, now, None).is_current(7, later(1000)),
            "older than its time to live"
        );
        assert!(
            !page(7, now, None).is_current(7, later(-1)),
            "the clock went back"
        );
        let expiring = page(7, now, Some(later(500)));
        assert!(expiring.is_current(7, later(499)));
        assert!(!expiring.is_current(7, later(500)), "an item on it expired");
    }

    fn rendered(text: &str) -> ApiResult<(Rendered, Option<DateTime<Utc>>)> {
        Ok((Rendered::of(&vec![text.to_owned()]), None))
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_on_a_failed_rendering_do_not_queue_behind_each_other() {
        let cache = Arc::new(FeedCache::new(
            Duration::from_secs(60),
            news::FeedVersion::default(),
        ));
        let clock: SharedClock = Arc::new(domain::clock::ManualClock::starting_now());
        let request = |render: BoxFuture<'static, ApiResult<(Rendered, Option<DateTime<Utc>>)>>| {
            let (cache, clock) = (cache.clone(), clock.clone());
            tokio::spawn(async move {
                cache
                    .page(&news::FeedQuery::default(), &clock, || render)
                    .await
                    .map(|page| page.body)
            })
        };
        // The first request renders, and fails when told to.
        let (fail, failing) = tokio::sync::oneshot::channel::<()>();
        let first = request(Box::pin(async move {
            let _ = failing.await;
            Err(crate::error::ApiError::internal("database unreachable"))
        }));
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Two more wait for it. Each of their renderings finishes only once both have started:
        // they must not wait for each other.
        let both_rendering = Arc::new(tokio::sync::Barrier::new(2));
        let waiters: Vec<_> = ["zweite", "dritte"]
            .into_iter()
            .map(|text| {
                let both_rendering = both_rendering.clone();
                request(Box::pin(async move {
                    both_rendering.wait().await;
                    rendered(text)
                }))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;

        let _ = fail.send(());
        assert!(first.await.expect("runs").is_err());
        for waiter in waiters {
            let body = tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("the waiters render side by side, not one after the other")
                .expect("runs")
                .expect("rendered");
            assert!(!body.is_empty());
        }
    }
}
