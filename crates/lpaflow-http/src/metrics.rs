//! Prometheus metrics. Every series is prefixed `lpaflow_`. The engine and store record transitions, commit
//! latency, batch sizes, breaker state and step attempts through the `metrics` facade; this module installs
//! the recorder, times every HTTP request by route and status, refreshes the gauges that are read from
//! the database (outbox backlog by status, LPAs by state) when `/metrics` is scraped. The fee refund counters
//! are counted by the service (`lpaflow_app::refunds`) and listed from the start, at 0.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

pub use lpaflow_app::refunds::{FEE_REFUND_AVOIDED, FEE_REFUND_DUE};

/// The process-wide recorder's handle (installed on first use).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &buckets)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("lpaflow_commit_batch_size".to_owned()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                    )
                });
            match builder {
                Ok(b) => {
                    let recorder = b.build_recorder();
                    let handle = recorder.handle();
                    // Another recorder may be installed already (tests); then this handle renders nothing.
                    let _ = metrics::set_global_recorder(recorder);
                    lpaflow_app::refunds::register();
                    handle
                }
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Records `lpaflow_http_request_seconds{route, method, status}`.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("lpaflow_http_request_seconds", "route" => route, "method" => method, "status" => status).record(started.elapsed().as_secs_f64());
    response
}
