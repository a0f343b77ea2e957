//! The HTTP server loop: connections are bounded in number and in time, so slow or idle clients cannot hold
//! file handles and memory (issue 17: 2,000 slow-header connections were accepted and kept for 45 s).
//!
//! - At most `max_connections` at once. When the limit is reached the loop stops accepting (the kernel's
//!   backlog holds the rest) and logs one warning per burst (until connections fall below half the limit).
//! - A connection must deliver each request head within `header_read_timeout` of its first byte (and a new
//!   connection its first head within that time of being accepted): slow-header clients are closed.
//! - A keep-alive connection with no request for `idle_timeout` is closed.
//! - Each request is answered within the request timeout (`lib.rs`, `time_limit`).
//!
//! The timing is watched here ([`watch`]) rather than with hyper's `header_read_timeout`, whose timer also runs
//! while a keep-alive connection waits for its next request, so the two limits could not differ.
//! Hyper answers requests it cannot parse (a URI over 64 KiB, a head over its buffer) itself, with an empty
//! body; [`refusals`] replaces exactly those answers with problem+json, like every other refusal.

mod refusals;
mod watch;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Limits on connections (validated by the CLI).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Longest time from a request's first byte (or a new connection's acceptance) to its complete head.
    pub header_read_timeout: Duration,
    /// Longest time a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = CancellationToken::new();
    let stopping = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.cancel();
    });
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    // Set when the limit is reached; cleared only once connections fall below half the limit, so a burst that
    // keeps the server at its limit logs one line, not one per connection that closes and is replaced.
    let mut saturated = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !saturated {
                    saturated = true;
                    tracing::warn!(
                        max_connections = max,
                        "connection limit reached: not accepting new connections until some close"
                    );
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = stop.cancelled() => break,
                }
            }
        };
        if saturated && slots.available_permits() >= max / 2 {
            saturated = false;
            tracing::info!(
                max_connections = max,
                "connections below half the limit again"
            );
        }
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file handles and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, limits, stop).await;
            drop(permit);
        });
    }
    // Wait for the connections in flight: each holds a permit until it is done.
    let _all = slots.acquire_many(max as u32).await;
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let clock = watch::Activity::new();
    let io = TokioIo::new(refusals::Refusals::new(watch::Watched::new(
        stream,
        clock.clone(),
    )));
    let activity = clock.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            // The peer, for `proxy::strip_untrusted`: only a trusted proxy may say how the request reached it.
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            let router = router.clone();
            let busy = activity.request_started();
            async move {
                let response = router.oneshot(req.map(axum::body::Body::new)).await;
                drop(busy);
                response
            }
        });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    let tick = limits.header_read_timeout.min(limits.idle_timeout) / 4;
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = stop.cancelled(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(tick.max(Duration::from_millis(50))), if !closing => {
                if let Some(why) = clock.expired(limits) {
                    // No request is in flight, so nobody is owed an answer: drop the connection (a graceful
                    // shutdown would wait for a head that is only partly sent).
                    tracing::debug!(why, "closing a connection");
                    break;
                }
            }
        }
    }
}
