//! Serving connections, hardened for a crowd: a listen backlog sized for reconnect storms, a
//! cap on open connections (past it, a clear 503 and the socket closed), a deadline for a
//! request's head that also closes connections left idle between requests, accept errors
//! logged (running out of file descriptors backs off instead of spinning), and a shutdown that
//! lets requests in flight finish for a few seconds.
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Semaphore};

/// How the server treats its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most; SSE viewers count, each holds one.
    pub max_connections: usize,
    /// A client must send a request's whole head within this, on a new connection and
    /// between the requests of a kept-alive one; else the connection closes.
    pub header_timeout: Duration,
    /// Connections the kernel queues before they are accepted (capped by `net.core.somaxconn`).
    pub backlog: u32,
}

/// File descriptors kept for everything that is not a client: the database, media files,
/// fetches, the listener itself.
const SPARE_FDS: usize = 64;

impl Limits {
    /// Defaults: as many connections as the process's file-descriptor limit leaves room for,
    /// 10 s for a request's head, a backlog of 4096.
    pub fn for_this_process() -> Self {
        let fds = open_files_limit().unwrap_or(1024);
        Self {
            max_connections: fds.saturating_sub(SPARE_FDS).max(16),
            header_timeout: Duration::from_secs(10),
            backlog: 4096,
        }
    }
}

/// The soft limit on open files (`ulimit -n`), read from `/proc/self/limits` on Linux.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Binds `addr` with a listen backlog of `backlog`.
pub fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Serves `app` on `listener` until `shutdown` resolves; then requests in flight get up to
/// five seconds to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or memory): accepting again at once would spin.
                    eprintln!("live-shop-server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = socket.set_nodelay(true);
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let (app, mut stopping) = (app.clone(), stopping.clone());
                tokio::spawn(async move {
                    // Handlers know the client by its address (`api::Peer`).
                    let app = tower::ServiceExt::map_request(
                        app,
                        move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                            request.extensions_mut().insert(crate::api::Peer(peer.ip()));
                            request
                        },
                    );
                    let service = TowerToHyperService::new(app);
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_timeout)
                        .serve_connection(TokioIo::new(socket), service)
                        .with_upgrades();
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        _ = stopping.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
                        }
                    }
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(refuse(socket));
            }
        }
    }
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: wait for them all, or five seconds.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), permits.acquire_many(all)).await;
}

/// The answer past the connection cap.
const OVERLOADED: &str = "{\"error\":{\"code\":\"overloaded\",\"message\":\"this server has as many connections as it can hold; retry shortly\"}}";

/// Tells a client past the cap to come back, then closes. The request is read first (briefly),
/// so the client reads the answer instead of a reset connection.
async fn refuse(mut socket: TcpStream) {
    let mut head = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(500), socket.read(&mut head)).await;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 2\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{OVERLOADED}",
        OVERLOADED.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = socket.write_all(answer.as_bytes()).await;
        let _ = socket.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_the_servers_own_files() {
        let limits = Limits::for_this_process();
        assert!(limits.max_connections >= 16);
        if let Some(fds) = open_files_limit() {
            assert_eq!(
                limits.max_connections,
                fds.saturating_sub(SPARE_FDS).max(16)
            );
        }
    }
}
