//! Prometheus metrics. Every series is prefixed `lpaflow_`. The engine and store record transitions, commit
//! latency, batch sizes, breaker state and step attempts through the `metrics` facade; this module installs
//! the recorder, times every HTTP request by route and status, refreshes the gauges that are read from
//! the database (outbox backlog by status, LPAs by state) when `/metrics` is scraped, and counts the pence of
//! refunds avoided and refunds that became due in the commands the API commits
//! (`lpaflow_fee_refund_avoided_pence_total`, `lpaflow_fee_refund_due_pence_total`: every rise of an LPA's
//! figure, so a refund due and then paid out still counts once). Those two are listed from the start, at 0.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use lpaflow_engine::Outcome;
use lpaflow_lpa::RefundTotals;
use lpaflow_lpa::fee_report::refund_increments;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Pence of refunds avoided by deciding a reduction before overpayment.
pub const FEE_REFUND_AVOIDED: &str = "lpaflow_fee_refund_avoided_pence_total";
/// Pence of refunds that became due.
pub const FEE_REFUND_DUE: &str = "lpaflow_fee_refund_due_pence_total";

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
                    add_refunds(RefundTotals::default());
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

/// Adds the refund figures' rises in the history entries of a committed command (and its follow-ups).
pub(crate) fn record_committed(outcome: &Outcome) {
    let rises = outcome
        .decisions
        .iter()
        .map(|d| refund_increments(d.entry.event.as_str(), &d.entry.changes))
        .fold(RefundTotals::default(), |a, b| a + b);
    add_refunds(rises);
}

fn add_refunds(rises: RefundTotals) {
    let pence = |p: i64| u64::try_from(p).unwrap_or(0);
    metrics::counter!(FEE_REFUND_AVOIDED).increment(pence(rises.refund_avoided_pence));
    metrics::counter!(FEE_REFUND_DUE).increment(pence(rises.refund_due_pence));
}
