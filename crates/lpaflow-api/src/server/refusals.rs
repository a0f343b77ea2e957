//! Hyper refuses a request it cannot parse (bad request line or header: 400; a URI over 64 KiB: 414; a head
//! over its buffer: 431) before any of our code runs, and answers with an empty body. This stream wrapper
//! recognises exactly those answers as they are written (one of these statuses, no `content-type`: every
//! answer of the application is a problem with one) and writes a problem+json answer in their place, so
//! every refusal, whoever makes it, has a body with a stable `code`. Hyper closes the connection after them.

use crate::problem::Problem;
use axum::http::StatusCode;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The answer being written instead of hyper's, how much of it is written, and the length hyper asked for.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    claimed: usize,
}

/// A stream whose hyper-made refusals are rewritten as problems.
pub(super) struct Refusals<T> {
    inner: T,
    replacing: Option<Replacement>,
}

impl<T> Refusals<T> {
    pub(super) fn new(inner: T) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

/// The problem for a head hyper refused with `status`, if `head` is such a refusal.
fn problem_for(head: &[u8]) -> Option<Problem> {
    let (status, code, detail) = if head.starts_with(b"HTTP/1.1 414 ") {
        (
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "the request's URI (path and query) is longer than the server accepts",
        )
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "the request's headers are larger than the server accepts",
        )
    } else if head.starts_with(b"HTTP/1.1 400 ") {
        (
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request is not valid HTTP/1.1 (request line or headers)",
        )
    } else {
        return None;
    };
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    let typed = head[..end]
        .split(|b| *b == b'\n')
        .any(|line| line.to_ascii_lowercase().starts_with(b"content-type:"));
    (!typed).then(|| Problem::new(status, code, detail))
}

fn encode(problem: &Problem) -> Vec<u8> {
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        crate::problem::PROBLEM_JSON,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

impl<T: AsyncWrite + Unpin> Refusals<T> {
    fn drive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(r) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while r.written < r.bytes.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &r.bytes[r.written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => r.written += n,
                other => return other,
            }
        }
        let claimed = r.claimed;
        self.replacing = None;
        Poll::Ready(Ok(claimed))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Refusals<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Refusals<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none() {
            match problem_for(buf) {
                Some(problem) => {
                    self.replacing = Some(Replacement {
                        bytes: encode(&problem),
                        written: 0,
                        claimed: buf.len(),
                    })
                }
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        self.drive(cx)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_made_refusals_are_replaced() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            problem_for(bare).map(|p| p.code),
            Some("headers_too_large".to_owned())
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n\r\n{}";
        assert!(problem_for(ours).is_none());
        assert!(problem_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
