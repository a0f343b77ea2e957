//! When a connection has waited too long: the timing half of `server.rs`. The stream wrapper notes when bytes
//! arrive; the service notes when a request starts and ends; [`Activity::expired`] compares them with the
//! limits. No request is ever cut short here: a connection with a request in flight is never expired (the
//! request timeout bounds that).

use super::ConnectionLimits;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Debug)]
struct State {
    /// Requests being answered.
    busy: usize,
    /// Since when the connection waits for a request (its acceptance, or the end of its last request).
    waiting_since: Instant,
    /// The first byte received while waiting: a request head has begun.
    first_byte: Option<Instant>,
    /// Whether a request was answered: then waiting is keep-alive idleness, not a slow first request.
    served_any: bool,
}

/// What one connection has been doing. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Activity(Arc<Mutex<State>>);

/// Held while a request is being answered.
pub(super) struct Busy(Activity);

impl Activity {
    pub(super) fn new() -> Self {
        Self(Arc::new(Mutex::new(State {
            busy: 0,
            waiting_since: Instant::now(),
            first_byte: None,
            served_any: false,
        })))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bytes_read(&self) {
        let mut s = self.state();
        if s.busy == 0 && s.first_byte.is_none() {
            s.first_byte = Some(Instant::now());
        }
    }

    pub(super) fn request_started(&self) -> Busy {
        self.state().busy += 1;
        Busy(self.clone())
    }

    /// Why the connection should be closed now, if it should.
    pub(super) fn expired(&self, limits: ConnectionLimits) -> Option<&'static str> {
        let s = self.state();
        if s.busy > 0 {
            return None;
        }
        let now = Instant::now();
        match s.first_byte {
            Some(first) if now - first >= limits.header_read_timeout => {
                Some("the request head did not arrive in time")
            }
            Some(_) => None,
            None if !s.served_any && now - s.waiting_since >= limits.header_read_timeout => {
                Some("no request arrived in time")
            }
            None if now - s.waiting_since >= limits.idle_timeout => Some("idle"),
            None => None,
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.busy = s.busy.saturating_sub(1);
        if s.busy == 0 {
            s.waiting_since = Instant::now();
            s.first_byte = None;
            s.served_any = true;
        }
    }
}

/// A stream that tells its [`Activity`] when bytes arrive.
pub(super) struct Watched<T> {
    inner: T,
    activity: Activity,
}

impl<T> Watched<T> {
    pub(super) fn new(inner: T, activity: Activity) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
