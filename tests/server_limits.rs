//! Connections through the real binary (issue 17, points 1 and 6): slow-header clients are closed after the
//! header-read timeout, a connection limit holds with one log line per burst, a normal request is still
//! answered while hundreds of slow connections are held, and the refusals hyper makes itself (414, 431, 400)
//! carry problem+json bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::Server;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Slow clients held at once: more than the limit below.
const SLOW_CONNECTIONS: usize = 300;
/// Generous bounds for a loaded two-core machine; nothing here measures speed.
const ANSWER_BOUND: Duration = Duration::from_secs(30);

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Sends `request` on a fresh connection and reads until the server closes it.
async fn exchange(server: &Server, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr(server)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(ANSWER_BOUND, stream.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_connections_are_closed_and_a_normal_request_is_still_answered() {
    let server = Server::start_dev(&["--header-read-timeout", "2s", "--max-connections", "256"]);
    let mut slow = Vec::new();
    for _ in 0..SLOW_CONNECTIONS {
        let mut s = TcpStream::connect(addr(&server)).await.unwrap();
        // Half a request head, never finished.
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    let answered = tokio::time::timeout(
        ANSWER_BOUND,
        server.client.get(format!("{}/healthz", server.base)).send(),
    )
    .await
    .expect("a normal request is answered while slow connections are held")
    .unwrap();
    assert!(answered.status().is_success());
    // Every slow connection is closed by the server (EOF or reset), none before the header timeout.
    for mut s in slow {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(ANSWER_BOUND, s.read(&mut buf))
            .await
            .expect("a slow connection is closed");
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "nothing is answered to half a head: {read:?}"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "closed only after the header-read timeout"
    );
    let log = server.log();
    let warnings = log.matches("connection limit reached").count();
    assert!(
        (1..=5).contains(&warnings),
        "the limit is logged once per burst, not per connection ({warnings} times):\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_made_by_the_http_layer_are_problems() {
    let server = Server::start_dev(&[]);
    let long_uri = format!(
        "GET /healthz?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100_000)
    );
    let many_headers: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let cases = [
        (long_uri, "414", "uri_too_long"),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
            "431",
            "headers_too_large",
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_owned(),
            "400",
            "malformed_request",
        ),
    ];
    for (request, status, code) in cases {
        let answer = exchange(&server, request.as_bytes()).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{answer}"
        );
        assert!(
            answer.contains("content-type: application/problem+json"),
            "{answer}"
        );
        assert!(answer.contains(&format!("\"code\":\"{code}\"")), "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let server = Server::start_dev(&["--header-read-timeout", "1s", "--idle-timeout", "4s"]);
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let answered = Instant::now();
    // Longer than the header timeout: a keep-alive wait is not a slow head.
    let early = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    assert!(early.is_err(), "still open 2 s after the answer: {early:?}");
    let closed = tokio::time::timeout(ANSWER_BOUND, stream.read(&mut buf))
        .await
        .expect("closed after the idle timeout");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    assert!(answered.elapsed() >= Duration::from_secs(3));
}
