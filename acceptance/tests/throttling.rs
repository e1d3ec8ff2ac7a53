//! AWS throttling during a refresh: a loopback proxy answers a share of the
//! provider's requests with the service's throttling error (S3 `503
//! SlowDown`, `ThrottlingException`, `Throttling`), and the refresh still
//! completes with the right result: no change to plan, nothing lost.
//!
//! The CI sample refreshes 5 buckets and a sink; `PHI_THROTTLE_BUCKETS=50
//! cargo test -p phi-acceptance --test throttling` runs the 50.

use std::hash::{DefaultHasher, Hash, Hasher};

use phi_acceptance::Workdir;
use phi_acceptance::fault_proxy::{Fault, FaultProxy, Request};
use phi_acceptance::suite::{env, sink_with_buckets};

/// One call in three is throttled on its first two attempts, whichever
/// service it goes to; the same call always falls in or out of the share,
/// so the test does not depend on how concurrent requests interleave.
fn throttled(request: &Request) -> bool {
    let Some(id) = request.invocation_id() else {
        return false;
    };
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish().is_multiple_of(3) && request.attempt() <= 2
}

#[tokio::test]
async fn a_refresh_under_throttling_completes_with_the_right_result() {
    let buckets = std::env::var("PHI_THROTTLE_BUCKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let e = env().await;
    let proxy = FaultProxy::start(&e.moto.endpoint()).unwrap();
    let mut wd = Workdir::new(&e.moto);
    wd.env("AWS_ENDPOINT_URL", &proxy.endpoint());
    wd.write(
        "main.tf",
        &sink_with_buckets(&e.key, "acme-throttled", buckets, ""),
    );
    wd.apply(&[]).assert_success();

    let hits = proxy.on(throttled, Fault::Throttle, None);
    let plan = wd.plan(&[]);
    assert_eq!(
        plan.code,
        0,
        "a throttled refresh must find nothing to change:\n{}",
        plan.combined()
    );
    assert!(
        hits.count() >= buckets,
        "only {} requests were throttled",
        hits.count()
    );
    // A refresh written to state under the same throttling: every bucket
    // is still there, and what it records is what AWS holds.
    wd.terraform(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ])
    .assert_success();
    let state = wd.state_json();
    let refreshed: Vec<&serde_json::Value> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "phi_bucket")
        .collect();
    assert_eq!(refreshed.len(), buckets);
    for r in refreshed {
        assert_eq!(
            r["values"]["enforced"]["PHI-S3-002"], "all four blocks on",
            "{r}"
        );
    }
}
