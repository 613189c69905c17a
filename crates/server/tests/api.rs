//! The `/v1` handlers, driven through the real router: status codes, headers and bodies as a
//! client sees them.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use live_shop_core::json::decode;
use live_shop_core::protocol::{CartItemResponse, CatalogPage, ErrorBody, EventList, StreamState};
use live_shop_server::api::{router, AppState};
use live_shop_server::config::Config;
use serde_json::{json, Value};
use tower::ServiceExt;

const TOKEN: &str = "creator-secret";

fn app() -> (Router, Arc<AppState>) {
    let state = AppState::new(vec![TOKEN.into()]).unwrap();
    (router(state.clone(), &Config::default()), state)
}

async fn send(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn get(uri: &str) -> Request<Body> {
    get_with(uri, &[])
}

fn get_with(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.body(Body::empty()).unwrap()
}

fn post_json(uri: &str, body: Value, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post(uri).header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// Posts a change to stream `demo` as a creator.
async fn post_change(app: &Router, change: Value) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let auth = format!("Bearer {TOKEN}");
    send(
        app,
        post_json(
            "/v1/streams/demo/changes",
            change,
            &[("authorization", &auth)],
        ),
    )
    .await
}

fn error_code(body: &[u8]) -> String {
    decode::<ErrorBody>(body).unwrap().error.code
}

#[tokio::test]
async fn state_has_an_etag_and_answers_304_when_unchanged() {
    let (app, _) = app();
    let (status, headers, body) = send(&app, get("/v1/streams/demo/state")).await;
    assert_eq!(status, StatusCode::OK);
    let state: StreamState = decode(&body).unwrap();
    assert_eq!(state.products.len(), 12);
    assert!(headers.contains_key("x-server-time"));
    let etag = headers["etag"].to_str().unwrap().to_string();

    let request = Request::get("/v1/streams/demo/state")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert!(headers.contains_key("x-server-time"));
}

#[tokio::test]
async fn a_change_moves_the_etag_and_reaches_the_state() {
    let (app, _) = app();
    let (_, headers, _) = send(&app, get("/v1/streams/demo/state")).await;
    let etag = headers["etag"].to_str().unwrap().to_string();
    let change = json!({"type": "priceChanged", "productId": "p01", "price": "12.50"});
    let (status, _, body) = post_change(&app, change).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let request = Request::get("/v1/streams/demo/state")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    let state: StreamState = decode(&body).unwrap();
    assert_eq!(state.products[0].offers[0].price.get(), 12.5);
}

#[tokio::test]
async fn control_needs_a_creator_token() {
    let (app, _) = app();
    let change = json!({"type": "offerUnpinned"});
    let (status, headers, body) = send(
        &app,
        post_json("/v1/streams/demo/changes", change.clone(), &[]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(error_code(&body), "unauthorized");
    let (status, _, _) = send(
        &app,
        post_json(
            "/v1/streams/demo/changes",
            change,
            &[("authorization", "Bearer nope")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn control_refuses_changes_about_unknown_products() {
    let (app, _) = app();
    let change = json!({"type": "priceChanged", "productId": "nope", "price": 1});
    let (status, _, body) = post_change(&app, change).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "unprocessable");
    let (status, _, body) = post_change(&app, json!({"type": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "bad_request");
}

#[tokio::test]
async fn unknown_streams_and_routes_are_json_404s() {
    let (app, _) = app();
    for uri in [
        "/v1/streams/nope/state",
        "/v1/streams/nope/events",
        "/v1/nothing",
        "/v1/events/nope.ics",
    ] {
        let (status, _, body) = send(&app, get(uri)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(error_code(&body), "not_found", "{uri}");
    }
}

#[tokio::test]
async fn catalog_searches_and_pages() {
    let (app, _) = app();
    let (status, _, body) = send(&app, get("/v1/catalog?limit=20")).await;
    assert_eq!(status, StatusCode::OK);
    let first: CatalogPage = decode(&body).unwrap();
    assert_eq!(first.products.len(), 20);
    let cursor = first.next_cursor.unwrap();
    let (_, _, body) = send(&app, get(&format!("/v1/catalog?limit=20&cursor={cursor}"))).await;
    let second: CatalogPage = decode(&body).unwrap();
    assert_ne!(second.products[0].id, first.products[0].id);

    let (_, _, body) = send(&app, get("/v1/catalog?query=tennis")).await;
    let hits: CatalogPage = decode(&body).unwrap();
    assert_eq!(hits.products.len(), 2);
    assert_eq!(hits.next_cursor, None);

    let (status, _, body) = send(&app, get("/v1/catalog?cursor=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "bad_request");
}

#[tokio::test]
async fn events_and_their_calendar_files() {
    let (app, _) = app();
    let (_, _, body) = send(&app, get("/v1/events")).await;
    let list: EventList = decode(&body).unwrap();
    assert_eq!(list.events.len(), 2);
    assert!(list.events.iter().all(|e| e.starts_at > list.server_time));
    let uri = format!("/v1/events/{}.ics", list.events[0].id);
    let (status, headers, body) = send(&app, get(&uri)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("BEGIN:VEVENT") && text.contains("SUMMARY:Fall Deals For You"));
}

#[tokio::test]
async fn calendar_links_use_the_public_url_never_the_requests_host() {
    let state = AppState::new(vec![]).unwrap();
    let config = Config::from_args(
        ["--public-url", "https://live.shop.example"].map(Into::into),
        |_| None,
    )
    .unwrap();
    let app = router(state, &config);
    let (_, _, body) = send(&app, get("/v1/events")).await;
    let id = decode::<EventList>(&body).unwrap().events[0].id.clone();
    let uri = format!("/v1/events/{id}.ics");
    let (_, _, body) = send(&app, get_with(&uri, &[("host", "evil.example")])).await;
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("URL:https://live.shop.example/"), "{text}");
    assert!(text.contains("@live.shop.example"), "{text}");
    assert!(!text.contains("evil.example"), "{text}");
}

#[tokio::test]
async fn a_retried_cart_add_is_counted_once() {
    let (app, _) = app();
    let body = json!({"productId": "p02", "quantity": 1});
    let (status, headers, first) = send(
        &app,
        post_json("/v1/cart/items", body.clone(), &[("idempotency-key", "k1")]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!headers.contains_key("idempotent-replayed"));
    // The first add's answer was lost: the retry has no token yet, and finds the same cart.
    let (status, headers, again) = send(
        &app,
        post_json("/v1/cart/items", body.clone(), &[("idempotency-key", "k1")]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(first, again);
    let token = decode::<CartItemResponse>(&first).unwrap().cart_token;
    let (_, _, other) = send(
        &app,
        post_json(
            "/v1/cart/items",
            body,
            &[("idempotency-key", "k2"), ("cart-token", &token)],
        ),
    )
    .await;
    let other: CartItemResponse = decode(&other).unwrap();
    assert_eq!((other.item_count, other.cart_token), (2, token));
}

#[tokio::test]
async fn cart_errors_say_what_is_wrong() {
    let (app, _) = app();
    let body = json!({"productId": "p02", "quantity": 1});
    let (status, _, b) = send(&app, post_json("/v1/cart/items", body.clone(), &[])).await;
    assert_eq!(
        (status, error_code(&b).as_str()),
        (StatusCode::BAD_REQUEST, "missing_header")
    );
    send(
        &app,
        post_json("/v1/cart/items", body, &[("idempotency-key", "same")]),
    )
    .await;
    let changed = json!({"productId": "p03", "quantity": 1});
    let (status, _, b) = send(
        &app,
        post_json("/v1/cart/items", changed, &[("idempotency-key", "same")]),
    )
    .await;
    assert_eq!(
        (status, error_code(&b).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let zero = json!({"productId": "p02", "quantity": 0});
    let (status, _, _) = send(
        &app,
        post_json("/v1/cart/items", zero, &[("idempotency-key", "z")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let request = Request::post("/v1/cart/items")
        .header("content-type", "application/json")
        .header("idempotency-key", "bad")
        .body(Body::from("{not json"))
        .unwrap();
    let (status, _, b) = send(&app, request).await;
    assert_eq!(
        (status, error_code(&b).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

#[tokio::test]
async fn cors_lets_any_page_embed_the_widget() {
    let (app, _) = app();
    let request = Request::options("/v1/cart/items")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "idempotency-key,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&app, request).await;
    assert!(status.is_success());
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("idempotency-key"));
}

/// What `openapi.yaml` says a backend allows across origins, the reference backend allows: every
/// request header and method the widget sends in a preflight, the headers it reads exposed, and
/// the widget's own files (module scripts) served with `Access-Control-Allow-Origin`.
#[tokio::test]
async fn cors_allows_what_the_spec_says_the_widget_sends() {
    let spec = include_str!("../../../openapi.yaml");
    let sent = [
        "Content-Type",
        "If-None-Match",
        "If-Match",
        "Authorization",
        "Idempotency-Key",
        "Cart-Token",
        "Last-Event-ID",
    ];
    let read = [
        "ETag",
        "X-Server-Time",
        "Idempotent-Replayed",
        "Retry-After",
    ];
    for name in sent.iter().chain(&read) {
        assert!(spec.contains(&format!("`{name}`")), "the spec names {name}");
    }
    let dist = std::env::temp_dir().join(format!("live-shop-cors-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("embed.js"), "export {};").unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
    let state = AppState::new(vec![TOKEN.into()]).unwrap();
    let config = Config {
        dist: Some(dist.clone()),
        ..Config::default()
    };
    let app = router(state, &config);
    for (path, method) in [
        ("/v1/cart/items", "POST"),
        ("/v1/streams/demo/state", "GET"),
        ("/v1/videos/clip/overlay", "PUT"),
    ] {
        let request = Request::options(path)
            .header("origin", "https://shop.example")
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                sent.join(",").to_lowercase(),
            )
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&app, request).await;
        assert!(status.is_success(), "{method} {path}: {status}");
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains(method), "{method} {path}: {methods}");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase();
        for name in sent {
            assert!(
                allowed.contains(&name.to_lowercase()),
                "{name} not allowed: {allowed}"
            );
        }
    }
    let (status, headers, _) = send(
        &app,
        get_with(
            "/v1/streams/demo/state",
            &[("origin", "https://shop.example")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in read {
        assert!(
            exposed.contains(&name.to_lowercase()),
            "{name} not exposed: {exposed}"
        );
    }
    let (status, headers, _) = send(
        &app,
        get_with("/embed.js", &[("origin", "https://shop.example")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let _ = std::fs::remove_dir_all(&dist);
}

#[tokio::test]
async fn cors_can_be_limited_to_named_origins() {
    let state = AppState::new(vec![]).unwrap();
    let config = Config {
        cors_origins: vec!["https://shop.example".into()],
        ..Config::default()
    };
    let app = router(state, &config);
    let request = |origin: &str| get_with("/v1/events", &[("origin", origin)]);
    let (_, headers, _) = send(&app, request("https://shop.example")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example"
    );
    let (_, headers, _) = send(&app, request("https://evil.example")).await;
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn the_event_stream_starts_with_a_snapshot_and_resumes_from_last_event_id() {
    let (app, state) = app();
    let stream = state.hub.get("demo").unwrap();
    for _ in 0..3 {
        stream
            .publish(live_shop_core::protocol::Change::ShowStarted)
            .await
            .unwrap();
    }
    let response = app
        .clone()
        .oneshot(get("/v1/streams/demo/events"))
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let text = String::from_utf8(frame.to_vec()).unwrap();
    assert!(text.starts_with("event: snapshot\n"), "{text}");
    let epoch = stream.state().epoch;
    assert!(text.contains(&format!("id: {epoch}.3\n")), "{text}");

    let resume = Request::get("/v1/streams/demo/events")
        .header("last-event-id", format!("{epoch}.1"))
        .body(Body::empty())
        .unwrap();
    let mut body = app.clone().oneshot(resume).await.unwrap().into_body();
    let mut text = String::new();
    while !text.contains(&format!("id: {epoch}.3")) {
        let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
        text.push_str(std::str::from_utf8(&frame).unwrap());
    }
    assert!(!text.contains("event: snapshot"), "{text}");
    assert!(
        text.contains(&format!("id: {epoch}.2")) && !text.contains(&format!("id: {epoch}.1\n"))
    );

    // A query parameter works too, for clients that open a fresh EventSource.
    let uri = format!("/v1/streams/demo/events?lastEventId={epoch}.2");
    let mut body = app.oneshot(get(&uri)).await.unwrap().into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let text = String::from_utf8(frame.to_vec()).unwrap();
    assert!(
        text.contains(&format!("id: {epoch}.3")) && !text.contains("snapshot"),
        "{text}"
    );
}

#[tokio::test]
async fn a_pin_takes_the_product_from_the_shop_not_the_request() {
    let (app, state) = app();
    let pin = json!({"type": "offerPinned", "product": {"id": "p05", "title": "<b>forged</b>", "offers": []}});
    let (status, _, _) = post_change(&app, pin).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let shown = state.hub.get("demo").unwrap().state();
    assert_eq!(shown.pinned.as_deref(), Some("p05"));
    let product = shown.products.iter().find(|p| p.id == "p05").unwrap();
    assert_eq!(product.title, "Oxford Button-Down Shirt");
    let unknown = json!({"type": "offerPinned", "product": {"id": "zzz", "title": "x"}});
    let (status, _, _) = post_change(&app, unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A path with each parameter as `{}`; a parameter followed by a suffix in its segment
/// (`{eventId}.ics`) is one parameter, as the router captures the whole segment.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `openapi.yaml`'s paths under `/v1`, each with its methods, upper case.
fn documented_paths(spec: &str) -> Vec<(String, Vec<String>)> {
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    for line in spec.lines() {
        if let Some(path) = line.strip_prefix("  /v1").and_then(|l| l.strip_suffix(':')) {
            paths.push((path.to_string(), Vec::new()));
        } else if let (Some(method), Some((_, methods))) = (
            line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')),
            paths.last_mut(),
        ) {
            if ["get", "put", "post", "delete", "patch"].contains(&method) {
                methods.push(method.to_uppercase());
            }
        }
        if line.starts_with("components:") {
            break;
        }
    }
    paths
}

/// `openapi.yaml` documents exactly the router's paths and methods under `/v1`, and the
/// router answers each of them, and no other method, on those paths.
#[tokio::test]
async fn openapi_documents_exactly_the_routers_routes() {
    use live_shop_server::api::api_paths;
    let spec = include_str!("../../../openapi.yaml");
    let shaped = |paths: Vec<(String, Vec<String>)>| {
        let mut paths: Vec<(String, Vec<String>)> = paths
            .into_iter()
            .map(|(p, mut m)| {
                m.sort();
                (shape(&p), m)
            })
            .collect();
        paths.sort();
        paths
    };
    let documented = shaped(documented_paths(spec));
    let routed = shaped(
        api_paths()
            .into_iter()
            .map(|(p, m)| (p.to_string(), m.iter().map(|m| m.to_string()).collect()))
            .collect(),
    );
    assert_eq!(documented, routed);
    assert_eq!(documented.len(), 11);

    let (app, _) = app();
    // A video with an overlay, so its paths answer 200.
    let auth = format!("Bearer {TOKEN}");
    let saved = manifest("clip", json!([hotspot("h1", "p01")]));
    send(
        &app,
        put_overlay("clip", &saved, &[("authorization", &auth)]),
    )
    .await;
    for (path, methods) in api_paths() {
        let uri = format!(
            "/v1{}",
            path.replace("{id}", "demo")
                .replace("{file}", "kitchen-live.ics")
                .replace("/catalog/demo", "/catalog/p01")
                .replace("/videos/demo", "/videos/clip")
        );
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            let request = Request::builder()
                .method(method)
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let status = app.clone().oneshot(request).await.unwrap().status();
            if methods.contains(&method) {
                assert_ne!(status, StatusCode::NOT_FOUND, "{method} {uri}");
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            }
        }
    }
}

#[tokio::test]
async fn without_a_model_search_options_say_search_is_off() {
    let (app, _) = app();
    let (status, _, body) = send(&app, get("/v1/search/image")).await;
    // The widget then prepares with its default profile; the upload would answer 503 too.
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
}

fn put_overlay(video: &str, body: &Value, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::put(format!("/v1/videos/{video}/overlay"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

fn manifest(video: &str, hotspots: Value) -> Value {
    json!({ "version": 1, "videoId": video, "duration": 60.0, "hotspots": hotspots })
}

fn hotspot(id: &str, product: &str) -> Value {
    json!({ "id": id, "productId": product, "start": 1.0, "end": 5.0,
            "keyframes": [{ "t": 1.0, "x": 0.25, "y": 0.5 }, { "t": 4.0, "x": 0.75, "y": 0.5 }] })
}

#[tokio::test]
async fn creators_save_overlays_with_versions_and_stale_saves_get_the_current_one() {
    let (app, _) = app();
    let auth = format!("Bearer {TOKEN}");
    // Nothing saved yet: no content, and no error for the browser to log.
    let (status, headers, body) = send(&app, get("/v1/videos/clip/overlay")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty() && headers.get("etag").is_none());
    assert!(headers.contains_key("x-server-time"));

    // Create: 201 with the first ETag; the manifest reads back, publicly.
    let first = manifest("clip", json!([hotspot("h1", "p01")]));
    let (status, headers, _) = send(
        &app,
        put_overlay("clip", &first, &[("authorization", &auth)]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let v1 = headers["etag"].to_str().unwrap().to_string();
    let (status, headers, body) = send(&app, get("/v1/videos/clip/overlay")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["etag"], v1.as_str());
    let read: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(read["hotspots"][0]["keyframes"][1]["x"], 0.75);
    let conditional = Request::get("/v1/videos/clip/overlay")
        .header("if-none-match", &v1)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, conditional).await.0, StatusCode::NOT_MODIFIED);

    // Studio A saves on top of v1; studio B, still on v1, loses the race and gets A's version.
    let a = manifest("clip", json!([hotspot("h1", "p01"), hotspot("h2", "p02")]));
    let (status, headers, _) = send(
        &app,
        put_overlay("clip", &a, &[("authorization", &auth), ("if-match", &v1)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v2 = headers["etag"].to_str().unwrap().to_string();
    assert_ne!(v1, v2);
    let b = manifest("clip", json!([hotspot("h1", "p03")]));
    let (status, headers, body) = send(
        &app,
        put_overlay("clip", &b, &[("authorization", &auth), ("if-match", &v1)]),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(headers["etag"], v2.as_str());
    let conflict: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(conflict["error"]["code"], "edit_conflict");
    assert_eq!(conflict["etag"], v2.as_str());
    assert_eq!(conflict["current"]["hotspots"][1]["id"], "h2");
    // A write without If-Match on an existing overlay is refused, not applied blindly.
    let (status, _, body) = send(&app, put_overlay("clip", &b, &[("authorization", &auth)])).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error_code(&body), "precondition_required");

    let (_, _, body) = send(&app, get("/v1/videos/clip/overlay/versions")).await;
    let versions: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 2);
    assert_eq!(versions["versions"][1]["etag"], v2.as_str());
}

#[tokio::test]
async fn overlay_writes_need_a_creator_token_and_a_valid_manifest() {
    let (app, _) = app();
    let body = manifest("clip", json!([hotspot("h1", "p01")]));
    let (status, headers, _) = send(&app, put_overlay("clip", &body, &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    let (status, _, _) = send(
        &app,
        put_overlay("clip", &body, &[("authorization", "Bearer nope")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&app, get("/v1/videos/clip/overlay")).await.0,
        StatusCode::NO_CONTENT,
        "nothing was saved"
    );

    let auth = format!("Bearer {TOKEN}");
    let bad = manifest(
        "clip",
        json!([hotspot("h1", "no-such-product"), { "id": "h2", "productId": "p01", "start": 9.0, "end": 3.0, "keyframes": [] }]),
    );
    let (status, _, body) =
        send(&app, put_overlay("clip", &bad, &[("authorization", &auth)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["error"]["code"], "invalid_manifest");
    let problems: Vec<(String, String)> = answer["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().into(),
                p["hotspot"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("unknown_product", "h1"),
            ("empty_range", "h2"),
            ("keyframes", "h2")
        ]
        .map(|(c, h)| (c.to_string(), h.to_string()))
    );
    let (status, _, _) = send(
        &app,
        put_overlay(
            "other",
            &manifest("clip", json!([])),
            &[("authorization", &auth)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = send(
        &app,
        put_overlay("clip", &json!({"hotspots": 3}), &[("authorization", &auth)]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Writes off entirely when the server has no creator tokens.
    let closed = router(AppState::new(vec![]).unwrap(), &Config::default());
    let good = manifest("clip", json!([hotspot("h1", "p01")]));
    let (status, _, body) = send(
        &closed,
        put_overlay("clip", &good, &[("authorization", &auth)]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "forbidden");
}

#[tokio::test]
async fn the_widget_files_go_out_compressed_when_the_browser_accepts_it() {
    let dist = std::env::temp_dir().join(format!("live-shop-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html>page").unwrap();
    std::fs::write(dist.join("app.wasm"), b"raw wasm").unwrap();
    std::fs::write(dist.join("app.wasm.gz"), b"gzip copy").unwrap();
    std::fs::write(dist.join("app.wasm.br"), b"brotli copy").unwrap();
    let state = AppState::new(vec![TOKEN.into()]).unwrap();
    let config = Config {
        dist: Some(dist.clone()),
        ..Config::default()
    };
    let app = router(state, &config);
    let with = |encodings: &str| get_with("/app.wasm", &[("accept-encoding", encodings)]);
    let (status, headers, body) = send(&app, with("gzip, deflate, br")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "br");
    assert_eq!(headers["content-type"], "application/wasm");
    assert_eq!(body, b"brotli copy");
    // Caches keep each encoding apart, and browsers check for a new build before using theirs.
    let vary: Vec<&str> = headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("accept-encoding")),
        "{headers:?}"
    );
    assert_eq!(headers["cache-control"], "no-cache");
    let (_, headers, body) = send(&app, with("gzip")).await;
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(body, b"gzip copy");
    let (_, headers, body) = send(&app, get("/app.wasm")).await;
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(body, b"raw wasm");
    // A file without copies is sent as it is.
    let (status, headers, body) =
        send(&app, get_with("/", &[("accept-encoding", "br, gzip")])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(body, b"<!doctype html>page");
    std::fs::remove_dir_all(&dist).unwrap();
}

/// A flash deal on the demo shelf's first product, running from now for a minute: its id,
/// product and price.
async fn run_deal(
    app: &Router,
    state: &AppState,
    units: u32,
    per_shopper: u32,
) -> (String, String, f64) {
    let product = state.hub.get("demo").unwrap().state().products[0].clone();
    let offer = product.offer().unwrap();
    let price = (offer.price.get() * 0.5 * 100.0).round() / 100.0;
    let now = live_shop_server::now_ms();
    let id = format!("race-{units}-{per_shopper}");
    let (status, _, _) = post_change(
        app,
        json!({"type": "flashDealScheduled", "deal": {
            "id": id, "productId": product.id,
            "offer": {"price": price, "priceCurrency": offer.price_currency.as_str(),
                      "originalPrice": offer.price.get(), "availability": "InStock",
                      "inventoryLevel": units},
            "startsAt": now - 1000, "endsAt": now + 60_000, "status": "scheduled",
            "stockLimit": units, "limitPerShopper": per_shopper}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // The deal's start is published by its own task.
    for _ in 0..100 {
        if state.hub.get("demo").unwrap().deal_status(&id)
            == Some(live_shop_core::protocol::DealStatus::Running)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    (id, product.id, price)
}

/// While a deal runs, every answer about its product carries the deal's offer (the spec: "the
/// backend applies a running deal's price"), so a hotspot's card or a search result shows the
/// price the cart takes.
#[tokio::test]
async fn the_catalog_answers_a_product_at_its_running_deals_price() {
    let (app, state) = app();
    let (_, product, price) = run_deal(&app, &state, 10, 5).await;
    let price_of = |body: &serde_json::Value| {
        let p = &body["offers"][0]["price"];
        p.as_f64()
            .or_else(|| p.as_str().and_then(|p| p.parse().ok()))
    };
    let (status, _, body) = send(&app, get_with(&format!("/v1/catalog/{product}"), &[])).await;
    assert_eq!(status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(price_of(&body), Some(price), "{body}");
    let (_, _, page) = send(&app, get_with("/v1/catalog?limit=100", &[])).await;
    let page: serde_json::Value = serde_json::from_slice(&page).unwrap();
    let listed = page["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == product.as_str())
        .unwrap();
    assert_eq!(price_of(listed), Some(price));
    // And the cart takes that price.
    let (status, _) = add(&app, &product, price, 1, "at-the-listed-price", None).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// Adds `quantity` at `price` (in the deal's currency, EUR) with `key`, in `cart` if given.
async fn add(
    app: &Router,
    product: &str,
    price: f64,
    quantity: u32,
    key: &str,
    cart: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let body = json!({"productId": product, "quantity": quantity,
                      "offer": {"price": price.to_string(), "priceCurrency": "EUR"}});
    let mut headers = vec![("idempotency-key", key)];
    if let Some(cart) = cart {
        headers.push(("cart-token", cart));
    }
    let (status, _, body) = send(app, post_json("/v1/cart/items", body, &headers)).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_buyers_racing_for_fifty_units_get_exactly_fifty() {
    let (app, state) = app();
    let (deal, product, price) = run_deal(&app, &state, 50, 1).await;
    let mut viewer = state.hub.get("demo").unwrap().subscribe(None).1;
    let buyers: Vec<_> = (0..500)
        .map(|n| {
            let (app, product) = (app.clone(), product.clone());
            tokio::spawn(
                async move { add(&app, &product, price, 1, &format!("buyer-{n}"), None).await },
            )
        })
        .collect();
    let (mut sold, mut sold_out) = (0, 0);
    for buyer in buyers {
        let (status, body) = buyer.await.unwrap();
        match status {
            StatusCode::CREATED => sold += 1,
            StatusCode::CONFLICT => {
                assert_eq!(error_code(&body), "sold_out");
                sold_out += 1;
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&body)),
        }
    }
    assert_eq!((sold, sold_out), (50, 450));
    assert_eq!(state.carts.left(&deal).await.unwrap(), Some(0));
    // Every viewer was told the counts in order, down to none, and that the deal sold out.
    let mut levels = Vec::new();
    let mut ended = false;
    while let Ok(event) = viewer.try_recv() {
        match &event.change {
            live_shop_core::protocol::Change::StockChanged {
                inventory_level, ..
            } => levels.push(inventory_level.unwrap()),
            live_shop_core::protocol::Change::FlashDealEnded { reason, .. } => {
                ended = *reason == live_shop_core::protocol::EndReason::SoldOut
            }
            _ => {}
        }
    }
    assert!(ended, "viewers were told the deal sold out");
    assert_eq!(levels.last(), Some(&0));
    assert!(
        levels.windows(2).all(|w| w[0] > w[1]),
        "counts only go down: {levels:?}"
    );
}

#[tokio::test]
async fn a_stale_or_forged_price_is_refused_with_its_code() {
    let (app, state) = app();
    let (_, product, price) = run_deal(&app, &state, 10, 5).await;
    let (status, body) = add(&app, &product, 0.01, 1, "forged", None).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::CONFLICT, "price_changed")
    );
    // The shelf price is stale while the deal runs.
    let shelf = state
        .catalog
        .get(&product)
        .unwrap()
        .offer()
        .unwrap()
        .price
        .get();
    let (status, body) = add(&app, &product, shelf, 1, "stale", None).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::CONFLICT, "price_changed")
    );
    // The refusal carries the offer that applies now: the deal's, to add at.
    let now: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let offered = &now["offer"]["price"];
    let offered = offered
        .as_f64()
        .or_else(|| offered.as_str().and_then(|p| p.parse().ok()));
    assert_eq!(offered, Some(price), "{now}");
    assert_eq!(now["offer"]["priceCurrency"], "EUR");
    assert_eq!(
        state.carts.left("race-10-5").await.unwrap(),
        Some(10),
        "refusals take nothing"
    );
    let (status, _) = add(&app, &product, price, 1, "fair", None).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn one_shopper_buys_at_most_the_deals_limit() {
    let (app, state) = app();
    let (deal, product, price) = run_deal(&app, &state, 10, 2).await;
    let (status, body) = add(&app, &product, price, 2, "a1", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = decode::<CartItemResponse>(&body).unwrap().cart_token;
    let (status, body) = add(&app, &product, price, 1, "a2", Some(&token)).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::CONFLICT, "limit_reached")
    );
    // Another shopper's cart has its own limit.
    let (status, _) = add(&app, &product, price, 2, "b1", None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state.carts.left(&deal).await.unwrap(), Some(6));
}

#[tokio::test]
async fn held_units_go_back_to_the_deal_and_viewers_see_them() {
    let (app, state) = app();
    let (deal, product, price) = run_deal(&app, &state, 5, 5).await;
    let (status, body) = add(&app, &product, price, 2, "a1", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let held_until = decode::<CartItemResponse>(&body)
        .unwrap()
        .held_until
        .unwrap();
    let stream = state.hub.get("demo").unwrap();
    let shown = |stream: &live_shop_server::hub::LiveStream| {
        stream
            .state()
            .flash_deals
            .iter()
            .find(|d| d.id == deal)
            .unwrap()
            .offer
            .inventory_level
    };
    assert_eq!(shown(&stream), Some(3));
    state
        .carts
        .expire(&state.hub, held_until - 1)
        .await
        .unwrap();
    assert_eq!(shown(&stream), Some(3), "still held");
    state.carts.expire(&state.hub, held_until).await.unwrap();
    assert_eq!(shown(&stream), Some(5));
    assert_eq!(state.carts.left(&deal).await.unwrap(), Some(5));
}

#[tokio::test]
async fn a_producers_change_is_capped_in_every_field() {
    let (app, _) = app();
    let long = "x".repeat(300);
    let (status, _, body) = post_change(
        &app,
        json!({"type": "bannerChanged", "banner": {"title": long}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&body).contains("the banner's title is longer than 200"));
    let (status, _, body) = post_change(
        &app,
        json!({"type": "flashDealStarted", "dealId": "d".repeat(129)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&body).contains("the deal id is longer than 128 bytes"));
    let link = format!("https://shop.example/{}", "a".repeat(2100));
    let (status, _, _) = post_change(
        &app,
        json!({"type": "bannerChanged", "banner": {"title": "Fall", "url": link}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = json!({"type": "showStarted", "padding": "p".repeat(70_000)});
    let (status, _, _) = post_change(&app, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = post_change(
        &app,
        json!({"type": "bannerChanged", "banner": {"title": "x".repeat(200)}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_manifest_past_the_limits_gets_its_problem_named() {
    let (app, _) = app();
    let auth = format!("Bearer {TOKEN}");
    let codes = |body: &[u8]| -> Vec<(String, Value)> {
        let answer: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(answer["error"]["code"], "invalid_manifest", "{answer}");
        answer["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().unwrap().to_string(),
                    p["hotspot"].clone(),
                )
            })
            .collect()
    };
    for count in [501, 10_000] {
        let many: Vec<Value> = (0..count)
            .map(|n| hotspot(&format!("h{n}"), "p01"))
            .collect();
        let body = manifest("clip", Value::Array(many));
        let (status, _, answer) = send(
            &app,
            put_overlay("clip", &body, &[("authorization", &auth)]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{count} hotspots");
        assert_eq!(codes(&answer), [("too_many".to_string(), Value::Null)]);
    }
    let keyframes: Vec<Value> = (0..2_001)
        .map(|n| json!({ "t": 1.0 + f64::from(n) * 0.001, "x": 0.5, "y": 0.5 }))
        .collect();
    let mut long = hotspot("long", "p01");
    long["keyframes"] = Value::Array(keyframes);
    let body = manifest("clip", json!([hotspot("h1", "p01"), long]));
    let (status, _, answer) = send(
        &app,
        put_overlay("clip", &body, &[("authorization", &auth)]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&answer), [("keyframes".to_string(), json!("long"))]);
}

#[tokio::test]
async fn an_error_quotes_at_most_a_hundred_characters_of_what_was_sent() {
    let (app, _) = app();
    let id = "x".repeat(1_500_000);
    let body = json!({"productId": id, "quantity": 1});
    let (status, _, answer) = send(
        &app,
        post_json("/v1/cart/items", body, &[("idempotency-key", "long-id")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.len() < 1024, "{} bytes", answer.len());
    let text = String::from_utf8(answer).unwrap();
    assert!(
        text.contains(&format!("\\\"{}\\\"…", "x".repeat(100))),
        "{text}"
    );
}

#[test]
fn a_creator_token_matches_only_itself() {
    use live_shop_server::api::token_matches;
    let tokens = vec!["first-token".to_string(), "second".to_string()];
    assert!(token_matches(&tokens, "first-token"));
    assert!(token_matches(&tokens, "second"));
    for wrong in ["", "first-toke", "first-tokens", "second ", "FIRST-TOKEN"] {
        assert!(!token_matches(&tokens, wrong), "{wrong:?}");
    }
    assert!(!token_matches(&[], "anything"));
}
