//! How long a refresh of N `phi_bucket` and one sink waits on AWS: the real
//! Terraform CLI and provider against moto, through a loopback proxy that
//! adds a fixed delay to every request, printed as figures (never a pass or
//! fail). `cargo bench -p phi-acceptance --bench refresh` (`scripts/bench`
//! runs it); `BUCKETS` (default 40), `RUNS` (default 3) and `DELAY_MS`
//! (default 50) change the set-up.
//!
//! The figure that matters is the added time per bucket in round trips:
//! Terraform refreshes `-parallelism` (10) resources at a time, so with a
//! delay `d` every request costs `d` more, and a refresh that waits `k`
//! round trips per bucket adds about `ceil(N / 10) * k * d`.

use std::time::{Duration, Instant};

use phi_acceptance::Workdir;
use phi_acceptance::fault_proxy::{Fault, FaultProxy};
use phi_acceptance::suite::{env, sink_with_buckets};

const PARALLELISM: usize = 10;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median wall time of `runs` refresh-only plans.
fn refresh_time(wd: &Workdir, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let run = wd.terraform(&["plan", "-refresh-only", "-no-color", "-input=false"]);
            let took = start.elapsed();
            run.assert_success();
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let buckets = setting("BUCKETS", 40);
    let runs = setting("RUNS", 3).max(1);
    let delay = Duration::from_millis(setting("DELAY_MS", 50) as u64);
    let e = env().await;
    let proxy = FaultProxy::start(&e.moto.endpoint()).expect("proxy starts");
    let mut wd = Workdir::new(&e.moto);
    wd.env("AWS_ENDPOINT_URL", &proxy.endpoint());
    wd.write(
        "main.tf",
        &sink_with_buckets(&e.key, "bench", buckets, "  deletion_protection = false\n"),
    );
    wd.apply(&[]).assert_success();

    let plain = refresh_time(&wd, runs);
    proxy.on(|_| true, Fault::Delay(delay), None);
    let delayed = refresh_time(&wd, runs);
    proxy.clear();

    let added = delayed.saturating_sub(plain);
    let waves = buckets.div_ceil(PARALLELISM).max(1);
    let round_trips = added.as_secs_f64() / (waves as f64 * delay.as_secs_f64());
    println!(
        "refresh of {buckets} phi_bucket + 1 sink (median of {runs}): {:.2} s direct, {:.2} s with {} ms per request",
        plain.as_secs_f64(),
        delayed.as_secs_f64(),
        delay.as_millis()
    );
    println!(
        "added {:.2} s = about {round_trips:.1} round trips per bucket (target: at most 3)",
        added.as_secs_f64()
    );
}
