//! Connection limits of the gRPC listener, so that idle or half-open connections cannot take the
//! descriptors that the store's commits and the honest nodes need (docs/OPERATIONS.md,
//! "Connections and descriptors").
//!
//! - **A limit on open connections**, below the process's descriptor limit
//!   ([`ConnLimits::from_descriptor_limit`]: the soft limit, raised to the hard one at start,
//!   less a reserve of [`RESERVE`] for the store, the record files, the portal and the logs).
//! - **At the limit, the idlest connection goes**: a new connection evicts the connection that
//!   has sent and received nothing for the longest time, if that is at least [`EVICT_AFTER`];
//!   if every connection is busy, the new one is closed at once (its client retries).
//! - **An idle timeout**: a connection that sent and received nothing for
//!   [`ConnLimits::idle`] is closed (a node's channel reconnects on its next call).
//!
//! Each accepted stream is wrapped in [`Tracked`] before TLS, so a connection that never
//! finishes its handshake, or sent only the HTTP/2 preface, counts and idles like any other.
//! Activity is any byte read or written.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Descriptors kept free of connections: the store (sled's files), the record files of the
/// rounds, the acknowledgement record, the portal's and the metrics' connections, the logs.
pub const RESERVE: u64 = 128;
/// A connection idle for at least this long may be evicted for a new one at the limit.
pub const EVICT_AFTER: Duration = Duration::from_secs(1);
/// Default idle timeout.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(300);
/// Most connections whatever the descriptor limit.
pub const MAX_CONNECTIONS: u64 = 16_384;

/// How many connections, and how long an idle one is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Open connections at most.
    pub max: usize,
    /// A connection without a byte in either direction for this long is closed.
    pub idle: Duration,
}

impl ConnLimits {
    /// Raises the descriptor limit to the hard one (at most 65,536) and leaves [`RESERVE`] of it
    /// to everything but connections; at least 16 connections, at most [`MAX_CONNECTIONS`].
    pub fn from_descriptor_limit(idle: Duration) -> ConnLimits {
        let soft = raise_descriptor_limit();
        let max = soft.saturating_sub(RESERVE).clamp(16, MAX_CONNECTIONS);
        ConnLimits {
            max: usize::try_from(max).unwrap_or(usize::MAX),
            idle,
        }
    }
}

/// Raises the soft limit of open descriptors to the hard limit (at most 65,536, as the systemd
/// unit's `LimitNOFILE`); returns the soft limit in force afterwards.
pub fn raise_descriptor_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let soft = now.current.unwrap_or(u64::MAX);
    let hard = now.maximum.unwrap_or(u64::MAX).min(65_536);
    if soft < hard {
        let raised = Rlimit {
            current: Some(hard),
            maximum: now.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return hard;
        }
    }
    soft
}

/// One open connection's state.
#[derive(Debug)]
struct Conn {
    /// Milliseconds since the tracker's start at the last byte read or written.
    last: AtomicU64,
    /// Set when the tracker closes the connection; its next read or write fails.
    killed: AtomicBool,
    /// The task reading the connection, woken when it is closed.
    waker: AtomicWaker,
}

impl Conn {
    fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// The open connections of a listener.
#[derive(Debug)]
pub struct Tracker {
    limits: ConnLimits,
    epoch: Instant,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
    timed_out: AtomicU64,
}

/// Counts of a tracker, for the log and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnCounts {
    /// Open now.
    pub open: usize,
    /// Closed for a new connection at the limit.
    pub evicted: u64,
    /// New connections closed at once (the limit reached, none idle).
    pub refused: u64,
    /// Closed after the idle timeout.
    pub timed_out: u64,
}

impl Tracker {
    /// A tracker with `limits`.
    pub fn new(limits: ConnLimits) -> Arc<Tracker> {
        Arc::new(Tracker {
            limits,
            epoch: Instant::now(),
            conns: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
        })
    }

    /// The limits.
    pub fn limits(&self) -> ConnLimits {
        self.limits
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // Every change is one insert or one remove: a poisoned map is still consistent.
        self.conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits a new connection: at the limit it evicts the idlest connection idle for at least
    /// [`EVICT_AFTER`], or refuses the new one (None: the caller drops it, closing it).
    pub fn admit<S>(self: &Arc<Self>, io: S) -> Option<Tracked<S>> {
        let now = self.now_ms();
        let mut conns = self.lock();
        if conns.len() >= self.limits.max {
            let idlest = conns
                .iter()
                .map(|(id, c)| (*id, c.last.load(Ordering::Relaxed)))
                .min_by_key(|(_, last)| *last);
            let evict_after = u64::try_from(EVICT_AFTER.as_millis()).unwrap_or(u64::MAX);
            match idlest {
                Some((id, last)) if now.saturating_sub(last) >= evict_after => {
                    if let Some(c) = conns.remove(&id) {
                        c.kill();
                    }
                    self.evicted.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            last: AtomicU64::new(now),
            killed: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        conns.insert(id, conn.clone());
        Some(Tracked {
            io,
            conn,
            id,
            tracker: self.clone(),
        })
    }

    /// Closes every connection idle for longer than the idle timeout; returns how many.
    pub fn sweep(&self) -> usize {
        let idle = u64::try_from(self.limits.idle.as_millis()).unwrap_or(u64::MAX);
        let now = self.now_ms();
        let mut conns = self.lock();
        let stale: Vec<u64> = conns
            .iter()
            .filter(|(_, c)| now.saturating_sub(c.last.load(Ordering::Relaxed)) > idle)
            .map(|(id, _)| *id)
            .collect();
        for id in &stale {
            if let Some(c) = conns.remove(id) {
                c.kill();
            }
        }
        self.timed_out
            .fetch_add(stale.len() as u64, Ordering::Relaxed);
        stale.len()
    }

    /// The counts so far.
    pub fn counts(&self) -> ConnCounts {
        ConnCounts {
            open: self.lock().len(),
            evicted: self.evicted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
        }
    }

    /// Sweeps every second until `stop` says so; logs a warning when connections were evicted
    /// or refused since the last one.
    pub async fn sweeper(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last = self.counts();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            self.sweep();
            let now = self.counts();
            if now.evicted > last.evicted || now.refused > last.refused {
                tracing::warn!(
                    open = now.open,
                    max = self.limits.max,
                    evicted = now.evicted - last.evicted,
                    refused = now.refused - last.refused,
                    "connection limit reached: idle connections closed for new ones"
                );
            }
            last = now;
        }
    }
}

/// Accepts from `listener`, admitting through `tracker`; an accept error (for example out of
/// descriptors) pauses 100 ms instead of spinning. Sets `TCP_NODELAY` (without it, Nagle's
/// algorithm and delayed ACKs hold small answers back for about 40 ms).
pub async fn accept(listener: &TcpListener, tracker: &Arc<Tracker>) -> Tracked<TcpStream> {
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY not set");
                }
                if let Some(t) = tracker.admit(tcp) {
                    return t;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A connection counted by its [`Tracker`] until dropped.
#[derive(Debug)]
pub struct Tracked<S> {
    io: S,
    conn: Arc<Conn>,
    id: u64,
    tracker: Arc<Tracker>,
}

impl<S> Tracked<S> {
    fn touch(&self) {
        self.conn
            .last
            .store(self.tracker.now_ms(), Ordering::Relaxed);
    }

    fn closed() -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "connection closed by the server (idle, or evicted at the connection limit)",
        )
    }
}

impl<S> Drop for Tracked<S> {
    fn drop(&mut self) {
        self.tracker.lock().remove(&self.id);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.killed.load(Ordering::Acquire) {
            return Poll::Ready(Err(Tracked::<S>::closed()));
        }
        this.conn.waker.register(cx.waker());
        let before = buf.filled().len();
        let res = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.touch();
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.conn.killed.load(Ordering::Acquire) {
            return Poll::Ready(Err(Tracked::<S>::closed()));
        }
        let res = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        res
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

impl<S: tonic::transport::server::Connected> tonic::transport::server::Connected for Tracked<S> {
    type ConnectInfo = S::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

#[cfg(test)]
mod tests;
