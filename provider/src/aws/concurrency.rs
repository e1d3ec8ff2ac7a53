//! A bound on the reads one provider process has in flight.
//!
//! DESIGN: a resource's refresh issues its independent reads together (see
//! `bucket/observe.rs`), and Terraform refreshes up to `-parallelism`
//! resources at once (10 by default), so without a bound one plan of a
//! large estate could have a hundred or more requests in flight against the
//! same account. The bound keeps the process within what the AWS control
//! plane accepts without throttling while still letting one refresh wait only
//! about two round trips when the estate is small.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::Semaphore;

/// Requests one provider process keeps in flight for reads at most.
pub const MAX_CONCURRENT_READS: usize = 32;

static READS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_READS);

/// Runs `read` once a slot is free. The semaphore is never closed, so
/// acquiring cannot fail; should it, the read runs unbounded rather than not
/// at all.
///
/// The read is moved to the heap at once: an SDK call's future is large, and
/// a refresh that joins ten of them inline builds a future too big for a
/// worker thread's stack (the provider process then dies mid-apply).
pub fn bounded<'a, T: 'a>(
    read: impl Future<Output = T> + Send + 'a,
) -> Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    let read = Box::pin(read);
    Box::pin(async move {
        let _slot = READS.acquire().await.ok();
        read.await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn never_more_than_the_bound_in_flight() {
        static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
        static PEAK: AtomicUsize = AtomicUsize::new(0);
        let reads = (0..MAX_CONCURRENT_READS * 3).map(|_| {
            bounded(async {
                let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
                PEAK.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            })
        });
        futures_join_all(reads).await;
        let peak = PEAK.load(Ordering::SeqCst);
        assert_eq!(peak, MAX_CONCURRENT_READS, "peak {peak}");
    }

    /// Runs every future at once, as many refreshes do.
    async fn futures_join_all<F: Future<Output = ()> + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) {
        let mut set = tokio::task::JoinSet::new();
        for f in futures {
            set.spawn(f);
        }
        while set.join_next().await.is_some() {}
    }
}
