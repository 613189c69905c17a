//! Live streams shared over Redis (`--bus`), on a Redis server each test starts itself
//! (Debian's `redis-server`): the bus keeps every rule of this process's own bus, and instances
//! sharing it show viewers one show, in one order, with one numbering.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use live_shop_core::protocol::Change;
use live_shop_server::api::{router, AppState};
use live_shop_server::bus::{RedisBus, SNAPSHOT_EVERY};
use live_shop_server::carts::Carts;
use live_shop_server::catalog::Catalog;
use live_shop_server::config::Config;
use live_shop_server::hub::{conformance, Hub, LiveStream};
use live_shop_server::overlays::SqliteStore;
use live_shop_server::serve::{listen, serve, Limits};
use live_shop_testkit::redis::Redis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "producer";

fn shelf() -> Vec<live_shop_core::protocol::Product> {
    Catalog::embedded().unwrap().demo_shelf()
}

/// An instance's view of stream `id`, over a connection of its own.
async fn instance(redis: &Redis, id: &str) -> Arc<LiveStream> {
    let bus = RedisBus::connect(&redis.url(0)).await.unwrap();
    bus.join(id, shelf()).await.unwrap()
}

#[tokio::test]
async fn deals_start_once_and_end_once() {
    let redis = Redis::start().unwrap();
    conformance::deals_start_once_and_end_once(instance(&redis, "a").await).await;
}

#[tokio::test]
async fn counts_go_down_and_sell_out_once() {
    let redis = Redis::start().unwrap();
    conformance::counts_go_down_and_sell_out_once(instance(&redis, "a").await).await;
}

#[tokio::test]
async fn a_viewer_resumes_from_its_last_event() {
    let redis = Redis::start().unwrap();
    conformance::a_viewer_resumes_from_its_last_event(instance(&redis, "a").await).await;
}

#[tokio::test]
async fn three_instances_run_a_deal_on_time_once() {
    let redis = Redis::start().unwrap();
    let first = instance(&redis, "a").await;
    let others = [instance(&redis, "a").await, instance(&redis, "a").await];
    // All three time the deal; the bus lets one start and one end through.
    conformance::deals_run_on_time_once(first, &others).await;
}

#[tokio::test]
async fn an_instance_that_joins_late_has_the_same_show_and_history() {
    let redis = Redis::start().unwrap();
    let first = instance(&redis, "a").await;
    let price = |v: f64| Change::PriceChanged {
        product_id: "p01".into(),
        price: live_shop_core::protocol::Amount::new(v).unwrap(),
        original_price: None,
    };
    // Past a snapshot, so the late one starts from it and reads the entries after it.
    let total = SNAPSHOT_EVERY + 40;
    for n in 0..total {
        first.publish(price(100.0 + n as f64)).await.unwrap();
    }
    conformance::settled(&first, total).await;
    // An instance wrote the show's state at an event past the first snapshot point.
    let mut conn = redis::Client::open(redis.url(0))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let kept: u64 = redis::cmd("HGET")
        .arg("live-shop:{a}:snap")
        .arg("seq")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(kept >= SNAPSHOT_EVERY, "snapshot at {kept}");
    let late = instance(&redis, "a").await;
    let (mut a, mut b) = (first.state(), late.state());
    a.server_time = 0;
    b.server_time = 0;
    assert_eq!(a, b);
    assert_eq!(b.seq, total);
    assert_eq!(
        b.products[0].offers[0].price.get(),
        100.0 + (total - 1) as f64
    );
    // A viewer of the first that saw the 280th event resumes on the late one from the 281st.
    match late.subscribe(Some((&a.epoch, 280))).0 {
        live_shop_server::hub::CatchUp::Replay(events) => {
            let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, (281..=total).collect::<Vec<_>>());
        }
        other => panic!("expected a replay, got {other:?}"),
    }
}

/// An instance serving HTTP on a free port, sharing `redis`.
async fn serve_instance(redis: &Redis) -> SocketAddr {
    let bus = RedisBus::connect(&redis.url(0)).await.unwrap();
    let catalog = Catalog::embedded().unwrap();
    let hub = Hub::shared(&bus, catalog.demo_shelf()).await.unwrap();
    let state = AppState::with_hub(
        catalog,
        vec![TOKEN.into()],
        None,
        Box::new(SqliteStore::in_memory().unwrap()),
        Carts::in_memory().unwrap(),
        hub,
    );
    let limits = Limits {
        max_connections: 64,
        header_timeout: Duration::from_secs(10),
        backlog: 128,
    };
    let listener = listen("127.0.0.1:0".parse().unwrap(), limits.backlog).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state, &Config::default());
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    addr
}

async fn post_change(addr: SocketAddr, change: &str) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /v1/streams/demo/changes HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
         authorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{change}",
        change.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    answer
}

/// What a viewer of `addr` that last saw `last` receives within `wait`.
async fn watch(addr: SocketAddr, last: Option<&str>, wait: Duration) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let resume = last.map_or(String::new(), |id| format!("last-event-id: {id}\r\n"));
    let request = format!("GET /v1/streams/demo/events HTTP/1.1\r\nhost: x\r\n{resume}\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, socket.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn ids(sse: &str) -> Vec<String> {
    sse.lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_viewer_on_one_instance_gets_a_change_posted_on_another() {
    let redis = Redis::start().unwrap();
    let (a, b) = (serve_instance(&redis).await, serve_instance(&redis).await);
    let viewer = tokio::spawn(watch(b, None, Duration::from_millis(1500)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posted = post_change(a, r#"{"type":"showStarted"}"#).await;
    assert!(posted.starts_with("HTTP/1.1 202"), "{posted}");
    let seen = viewer.await.unwrap();
    assert!(seen.contains("event: snapshot"), "{seen}");
    assert!(seen.contains(r#""type":"showStarted""#), "{seen}");
    // The id the viewer got from B names the event A answered with.
    let event_id = ids(&seen).pop().unwrap();
    let (epoch, seq) = event_id.split_once('.').unwrap();
    assert!(
        posted.contains(&format!(r#""epoch":"{epoch}","seq":{seq}"#)),
        "{posted}"
    );

    // A viewer of B that saw that event resumes on A with the events after it, each once.
    for n in 0..3 {
        let banner = format!(r#"{{"type":"bannerChanged","banner":{{"title":"Round {n}"}}}}"#);
        assert!(post_change(b, &banner).await.starts_with("HTTP/1.1 202"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resumed = watch(a, Some(&event_id), Duration::from_millis(800)).await;
    assert!(!resumed.contains("event: snapshot"), "{resumed}");
    let seq: u64 = seq.parse().unwrap();
    let want: Vec<String> = (seq + 1..=seq + 3)
        .map(|s| format!("{epoch}.{s}"))
        .collect();
    assert_eq!(ids(&resumed), want, "{resumed}");
}

#[tokio::test]
async fn a_change_while_the_bus_is_down_gets_a_clear_503() {
    let redis = Redis::start().unwrap();
    let a = serve_instance(&redis).await;
    drop(redis);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = post_change(a, r#"{"type":"showStarted"}"#).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains(r#""code":"bus""#), "{answer}");
    assert!(answer.contains("the live bus (Redis) failed"), "{answer}");
}

#[tokio::test]
async fn a_shoppers_search_pace_is_shared_by_every_instance() {
    use live_shop_server::admission::{Admission, Policy, Refusal};
    let redis = Redis::start().unwrap();
    let policy = Policy {
        running: 4,
        waiting: 4,
        per_minute: 2,
        burst: 2,
    };
    let mut instances = Vec::new();
    for _ in 0..2 {
        let mut admission = Admission::new(policy);
        admission.share_pace(RedisBus::connect(&redis.url(0)).await.unwrap());
        instances.push(admission);
    }
    let shopper = "203.0.113.7".parse().unwrap();
    // Two at once on either instance, then the next has to wait, wherever it lands.
    let first = instances[0].admit(shopper).await.unwrap();
    let second = instances[1].admit(shopper).await.unwrap();
    for instance in &instances {
        match instance.admit(shopper).await.unwrap_err() {
            // Two a minute: the next place comes 30 s after the first.
            Refusal::TooFast(wait) => assert!(
                wait > Duration::from_secs(28) && wait <= Duration::from_secs(30),
                "{wait:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
    // Another shopper is not held back by this one.
    assert!(instances[1]
        .admit("198.51.100.1".parse().unwrap())
        .await
        .is_ok());
    drop((first, second));
}
