//! The server's connections as a crowd meets them, over real sockets on 127.0.0.1: idle
//! sockets are closed, a full server answers 503 at once and serves again when room is made.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use live_shop_server::api::{router, AppState};
use live_shop_server::config::Config;
use live_shop_server::serve::{listen, serve, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server with these limits on a free port; it stops when the test's runtime ends.
async fn start(limits: Limits) -> SocketAddr {
    start_with(limits).await.0
}

async fn start_with(limits: Limits) -> (SocketAddr, Arc<AppState>) {
    let listener = listen("127.0.0.1:0".parse().unwrap(), limits.backlog).unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(vec![]).unwrap();
    let app = router(state.clone(), &Config::default());
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    (addr, state)
}

/// Everything the server sends until it closes the connection (or `wait` passes).
async fn read_all(socket: &mut TcpStream, wait: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, socket.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

const GET_CATALOG: &[u8] =
    b"GET /v1/catalog?limit=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn silent_and_idle_connections_are_closed_after_the_header_deadline() {
    let addr = start(Limits {
        max_connections: 64,
        header_timeout: Duration::from_millis(400),
        backlog: 128,
    })
    .await;
    // Connected, never a byte.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // One request kept alive, then nothing.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /v1/events HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let silent_got = read_all(&mut silent, Duration::from_secs(5)).await;
    let idle_got = read_all(&mut idle, Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "both closed by the server"
    );
    assert!(
        silent_got.is_empty() || silent_got.contains("408"),
        "{silent_got}"
    );
    assert!(idle_got.starts_with("HTTP/1.1 200"), "{idle_got}");
}

#[tokio::test]
async fn a_full_server_answers_503_and_serves_again_when_room_is_made() {
    let addr = start(Limits {
        max_connections: 3,
        header_timeout: Duration::from_secs(30),
        backlog: 128,
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the server accept them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra.write_all(GET_CATALOG).await.unwrap();
    let refused = read_all(&mut extra, Duration::from_secs(5)).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("retry-after: 2"), "{refused}");
    assert!(refused.contains("\"code\":\"overloaded\""), "{refused}");

    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut next = TcpStream::connect(addr).await.unwrap();
    next.write_all(GET_CATALOG).await.unwrap();
    let served = read_all(&mut next, Duration::from_secs(5)).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

#[tokio::test]
async fn a_viewer_watching_the_stream_outlives_the_header_deadline() {
    let (addr, state) = start_with(Limits {
        max_connections: 64,
        header_timeout: Duration::from_millis(300),
        backlog: 128,
    })
    .await;
    let mut viewer = TcpStream::connect(addr).await.unwrap();
    viewer
        .write_all(b"GET /v1/streams/demo/events HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let event = state
        .hub
        .get("demo")
        .unwrap()
        .publish(live_shop_core::protocol::Change::ShowStarted)
        .await
        .unwrap()
        .unwrap();
    let seen = read_all(&mut viewer, Duration::from_millis(500)).await;
    assert!(seen.contains("event: snapshot"), "{seen}");
    assert!(seen.contains(&format!("id: {}", event.sse_id())), "{seen}");
}
