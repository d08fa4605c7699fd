//! The admin API on a local socket: `admin.sock` in the data directory ([`SOCKET_FILE`]), so that
//! on the serving host an operator command needs nothing but the data directory (no address, no
//! TLS, no certificate), and costs no more than a process start (docs/OPERATIONS.md, "Admin API
//! while serving").
//!
//! The socket is created 0600 inside the 0700 data directory, so only the service account (and
//! root) can connect; requests are still signed by an operator key and bound to this aggregator,
//! exactly as over TCP. A socket left by a server that did not stop cleanly is replaced at start;
//! a clean stop removes it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_stream::wrappers::UnixListenerStream;

use super::client::SOCKET_FILE;
use crate::aggregator::Aggregator;
use crate::error::AggError;

/// The socket file; removed when dropped.
#[derive(Debug)]
pub struct LocalSocket(PathBuf);

impl Drop for LocalSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds the socket in `dir` (0600), replacing a stale one.
fn bind(dir: &Path) -> Result<(tokio::net::UnixListener, LocalSocket), AggError> {
    let path = dir.join(SOCKET_FILE);
    let io = |source| AggError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::remove_file(&path) {
        Ok(()) => tracing::info!(socket = %path.display(), "stale admin socket replaced"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let listener = tokio::net::UnixListener::bind(&path).map_err(io)?;
    let guard = LocalSocket(path.clone());
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok((listener, guard))
}

/// Serves the admin API of `agg` on `admin.sock` in its data directory until `shutdown`
/// completes. The socket is bound before this returns; the returned future serves it. A socket
/// that cannot be made (for example a data directory path longer than a socket path may be)
/// is an error: the caller logs it and serves on without it.
pub fn serve(
    agg: &Arc<Aggregator>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<impl Future<Output = ()> + Send + 'static, AggError> {
    let (listener, guard) = bind(agg.dir())?;
    let admin = super::admin_server(agg)?;
    tracing::info!(socket = %guard.0.display(), "admin API on the local socket");
    Ok(async move {
        let res = tonic::transport::Server::builder()
            .add_service(admin)
            .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
            .await;
        if let Err(e) = res {
            tracing::error!(error = %e, "admin socket stopped");
        }
        drop(guard);
    })
}
