//! Connections: serving a router over TCP with a time limit on every stage of a
//! connection's life and a cap on how many are open at once.
//!
//! axum's own `serve` has no timeouts: a client that opens a connection and sends nothing,
//! sends its headers a byte at a time (slowloris) or announces a body that never comes
//! holds a task and a socket for as long as it likes. [`serve_with`] closes each of them:
//!
//! | stage | limit ([`ConnectionLimits`]) | default | what the client sees |
//! |---|---|---|---|
//! | request line and headers | `header_timeout` | 10 s | the connection is closed |
//! | the body, once the headers are in | `body_timeout` | 30 s | 408 `body_timeout`, then closed |
//! | idle between requests (keep-alive) | `idle_timeout` | 60 s | the connection is closed |
//! | open connections | `max_connections` | 10,000 | new ones wait in the kernel's backlog |
//!
//! A connection that has sent nothing at all counts as idle. On shutdown the listener
//! closes, connections between requests (or still receiving a body) close at once, and
//! requests being answered finish first. The body limit reads the whole body (at most
//! `max_body_bytes`; a larger one is answered 413 `body_too_large` here) before the router
//! sees the request; wenda's bodies are small JSON.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::ApiError;

/// Time limits and the connection cap of [`serve_with`] (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send the request line and headers, from the first byte. Default 10 s.
    pub header_timeout: Duration,
    /// Time to send the whole body once the headers are in; after it the request is
    /// answered 408 `body_timeout`. Default 30 s.
    pub body_timeout: Duration,
    /// A connection with no request in flight and no byte read or written for this long
    /// is closed (a new connection that sends nothing included). Default 60 s.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog. Default 10,000.
    pub max_connections: usize,
    /// Largest body read; a larger one is answered 413 `body_too_large` without reaching
    /// the router, so memory per connection stays bounded. Default 64 KiB, as
    /// [`HttpOptions::max_body_bytes`](super::HttpOptions::max_body_bytes) (the router's
    /// own limit, which answers the same).
    pub max_body_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Serves `router` on `listener` with the [`ConnectionLimits`] until `shutdown`
/// completes; then stops accepting, lets requests in flight finish and closes idle
/// connections. Handlers can read the peer's address (`ConnectInfo<SocketAddr>`).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Set on shutdown: connections between requests, or still receiving one, close at
    // once; requests being answered finish first.
    let (stopping, stop_seen) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let service = {
            let activity = Arc::clone(&activity);
            let router = router.clone();
            hyper::service::service_fn(move |req: Request<Incoming>| {
                let router = router.clone();
                let activity = Arc::clone(&activity);
                async move {
                    let _busy = activity.begin_request();
                    Ok::<_, std::convert::Infallible>(
                        handle(router, req, peer, limits, &activity).await,
                    )
                }
            })
        };
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            // hyper's own header clock starts when it waits for the next request, which
            // would make the idle limit the header limit: the watch below keeps both.
            .header_read_timeout(None)
            .keep_alive(true)
            .serve_connection(io, service);
        let conn = graceful.watch(conn);
        let mut stop_seen = stop_seen.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut conn = std::pin::pin!(conn);
            let every = (limits.header_timeout.min(limits.idle_timeout) / 4)
                .clamp(Duration::from_millis(10), Duration::from_secs(1));
            loop {
                let stopping = *stop_seen.borrow();
                tokio::select! {
                    _ = &mut conn => break,
                    () = tokio::time::sleep(every) => {
                        if activity.expired(&limits) || (stopping && activity.interruptible()) {
                            break;
                        }
                    }
                    r = stop_seen.changed(), if !stopping => {
                        if r.is_err() || activity.interruptible() {
                            break;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    graceful.shutdown().await;
    Ok(())
}

/// One request: the peer's address for the router, the body read within its time limit.
async fn handle(
    router: Router,
    req: Request<Incoming>,
    peer: SocketAddr,
    limits: ConnectionLimits,
    activity: &Arc<Activity>,
) -> Response {
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let reading = activity.begin_body();
    let read = tokio::time::timeout(
        limits.body_timeout,
        Limited::new(body, limits.max_body_bytes).collect(),
    )
    .await;
    drop(reading);
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is too large",
            )
            .into_response();
        }
        Ok(Err(_)) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request body could not be read",
            )
            .into_response();
        }
        Err(_) => {
            let mut r = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within {} s",
                    limits.body_timeout.as_secs_f64()
                ),
            )
            .into_response();
            r.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return r;
        }
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// When a connection last read or wrote a byte, when the request now being sent began,
/// and how many requests it has in flight.
struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte read or written.
    last: AtomicU64,
    /// Milliseconds after `start` of the first byte of a request whose headers are not in
    /// yet; `NONE` when there is none.
    head_since: AtomicU64,
    in_flight: AtomicUsize,
    /// Requests in flight whose body is still being received.
    reading: AtomicUsize,
}

/// `Activity::head_since` when no request is being sent.
const NONE: u64 = u64::MAX;

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            head_since: AtomicU64::new(NONE),
            in_flight: AtomicUsize::new(0),
            reading: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn touch(&self) {
        self.last.store(self.now(), Ordering::Relaxed);
    }

    /// Bytes came in: with no request in flight they begin a request's headers.
    fn read_some(&self) {
        let now = self.now();
        self.last.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let _ =
                self.head_since
                    .compare_exchange(NONE, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Whether the connection has outlived a limit: headers begun `header_timeout` ago
    /// and not complete, or nothing sent for `idle_timeout` between requests.
    fn expired(&self, limits: &ConnectionLimits) -> bool {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return false;
        }
        let now = Duration::from_millis(self.now());
        let since = self.head_since.load(Ordering::Relaxed);
        if since != NONE {
            return now.saturating_sub(Duration::from_millis(since)) >= limits.header_timeout;
        }
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        now.saturating_sub(last) >= limits.idle_timeout
    }

    /// Whether closing now loses no answer: no request in flight, or only one whose body
    /// is still arriving.
    fn interruptible(&self) -> bool {
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        in_flight == 0 || self.reading.load(Ordering::Relaxed) >= in_flight
    }

    /// A request's body is being received until the returned guard drops.
    fn begin_body(self: &Arc<Self>) -> Reading {
        self.reading.fetch_add(1, Ordering::Relaxed);
        Reading(Arc::clone(self))
    }

    /// The headers are in: a request is in flight until the returned guard drops.
    fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_since.store(NONE, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }
}

/// A request in flight; its drop marks the connection active again.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A body being received; its drop marks the request as being answered.
struct Reading(Arc<Activity>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.reading.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that records its activity.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
