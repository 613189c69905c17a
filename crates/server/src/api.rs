//! The HTTP surface: `/v1` (see `openapi.yaml`), `/media`, and the widget's files at `/`.
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use live_shop_core::hotspot::Manifest;
use live_shop_core::ics;
use live_shop_core::json::decode;
use live_shop_core::protocol::{
    parse_sse_id, CartItemRequest, CatalogPage, Change, EventList, StreamEvent, CART_TOKEN_HEADER,
    SERVER_TIME_HEADER,
};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeader;

use crate::carts::Carts;
use crate::catalog::{upcoming_events, Catalog};
use crate::config::Config;
use crate::error::{quoted, ApiError};
use crate::hub::{CatchUp, Hub, LiveStream};
use crate::now_ms;
use crate::overlays::{Expect, OverlayStore, SqliteStore, Stored};
use crate::search::{SearchError, VisualSearch};

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    /// The shop.
    pub catalog: Catalog,
    /// Live streams.
    pub hub: Hub,
    /// Shoppers' carts and flash-deal stock.
    pub carts: Carts,
    /// Tokens allowed to control streams.
    pub creator_tokens: Vec<String>,
    /// Visual search, when the server has a model.
    pub search: Option<Arc<VisualSearch>>,
    /// Hotspot manifests of videos.
    pub overlays: Box<dyn OverlayStore>,
}

impl AppState {
    /// State with the embedded catalog and a `demo` stream whose shelf is the demo shelf.
    pub fn new(
        creator_tokens: Vec<String>,
    ) -> Result<Arc<Self>, live_shop_core::error::BackendError> {
        Self::with_search(creator_tokens, None)
    }

    /// State with visual search.
    pub fn with_search(
        creator_tokens: Vec<String>,
        search: Option<VisualSearch>,
    ) -> Result<Arc<Self>, live_shop_core::error::BackendError> {
        let store = |e: crate::overlays::StoreError| {
            live_shop_core::error::BackendError::Protocol(e.to_string())
        };
        let overlays = SqliteStore::in_memory().map_err(store)?;
        Ok(Self::build(
            Catalog::embedded()?,
            creator_tokens,
            search,
            Box::new(overlays),
            Carts::in_memory().map_err(store)?,
        ))
    }

    /// State with every part given; the `demo` stream's shelf is the catalog's demo shelf.
    pub fn build(
        catalog: Catalog,
        creator_tokens: Vec<String>,
        search: Option<VisualSearch>,
        overlays: Box<dyn OverlayStore>,
        carts: Carts,
    ) -> Arc<Self> {
        let hub = Hub::local(catalog.demo_shelf());
        Self::with_hub(catalog, creator_tokens, search, overlays, carts, hub)
    }

    /// State with every part given, and the live streams (`Hub::local` or `Hub::shared`).
    pub fn with_hub(
        catalog: Catalog,
        creator_tokens: Vec<String>,
        search: Option<VisualSearch>,
        overlays: Box<dyn OverlayStore>,
        carts: Carts,
        hub: Hub,
    ) -> Arc<Self> {
        Arc::new(Self {
            catalog,
            hub,
            carts,
            creator_tokens,
            search: search.map(Arc::new),
            overlays,
        })
    }

    fn stream(&self, id: &str) -> Result<Arc<LiveStream>, ApiError> {
        self.hub
            .get(id)
            .ok_or_else(|| ApiError::NotFound(format!("stream {}", quoted(id))))
    }
}

type ApiRoute = (
    &'static str,
    &'static [&'static str],
    axum::routing::MethodRouter<Arc<AppState>>,
);

/// The API's routes under `/v1`: each path, the methods it answers, and its handlers.
fn api_routes() -> Vec<ApiRoute> {
    vec![
        ("/streams/{id}/state", &["GET"], get(stream_state)),
        ("/streams/{id}/events", &["GET"], get(stream_events)),
        (
            "/streams/{id}/changes",
            &["POST"],
            post(post_change).layer(DefaultBodyLimit::max(CHANGE_LIMIT)),
        ),
        ("/catalog", &["GET"], get(catalog)),
        ("/catalog/{id}", &["GET"], get(product)),
        ("/events", &["GET"], get(events)),
        ("/events/{file}", &["GET"], get(event_ics)),
        ("/cart/items", &["POST"], post(add_to_cart)),
        (
            "/videos/{id}/overlay",
            &["GET", "PUT"],
            get(get_overlay).put(put_overlay),
        ),
        (
            "/videos/{id}/overlay/versions",
            &["GET"],
            get(overlay_versions),
        ),
        (
            "/search/image",
            &["GET", "POST"],
            get(search_options)
                .post(search_image)
                .layer(DefaultBodyLimit::max(SEARCH_UPLOAD_LIMIT)),
        ),
    ]
}

/// The paths the router answers under `/v1` (as written in the router, `{name}` for a
/// parameter), each with its methods: what `openapi.yaml` must document.
pub fn api_paths() -> Vec<(&'static str, &'static [&'static str])> {
    api_routes()
        .into_iter()
        .map(|(path, methods, _)| (path, methods))
        .collect()
}

/// The whole application.
pub fn router(state: Arc<AppState>, config: &Config) -> Router {
    let api = api_routes()
        .into_iter()
        .fold(Router::new(), |api, (path, _, route)| {
            api.route(path, route)
        })
        .fallback(|| async { ApiError::NotFound("route".into()) })
        .layer(Extension(PublicUrl(config.public_url().into())))
        .with_state(state);

    let mut app = Router::new().nest("/v1", api);
    if let Some(media) = &config.media {
        app = app.nest_service("/media", ServeDir::new(media));
    }
    if let Some(dist) = &config.dist {
        // The build writes brotli and gzip copies beside each file; each browser gets the
        // smallest it accepts, and the file itself where there is none.
        let page = |name: &str| {
            ServeFile::new(dist.join(name))
                .precompressed_br()
                .precompressed_gzip()
        };
        app = app
            .route_service("/products/{id}", widget_file(page("index.html")))
            .route_service("/studio", widget_file(page("studio.html")))
            .route_service("/replay", widget_file(page("replay.html")))
            .fallback_service(widget_file(
                ServeDir::new(dist)
                    .precompressed_br()
                    .precompressed_gzip()
                    .fallback(page("index.html")),
            ));
    }
    if config.forwarded_for {
        app = app.layer(axum::middleware::map_request(peer_from_forwarded_for));
    }
    app.layer(axum::middleware::map_response(stamp_server_time))
        .layer(cors(&config.cors_origins))
}

/// The headers of the widget's files. Their body depends on `Accept-Encoding`, which shared
/// caches must know; and their names stay the same from one build to the next, so browsers
/// check with the server (`Last-Modified`) before using a copy, and a new build is seen at once.
fn widget_file<S>(service: S) -> SetResponseHeader<SetResponseHeader<S, HeaderValue>, HeaderValue> {
    SetResponseHeader::appending(
        SetResponseHeader::overriding(
            service,
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ),
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    )
}

/// Largest producer change: a pinned product in full with its photos and offers fits many
/// times over; every viewer receives and keeps each change.
const CHANGE_LIMIT: usize = 64 * 1024;

/// Largest visual-search request: the upload and its query part.
const SEARCH_UPLOAD_LIMIT: usize = crate::search::UPLOAD_LIMIT + 64 * 1024;

/// The address of a connection's peer, put on each request by [`crate::serve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub std::net::IpAddr);

/// With `--forwarded-for`: the client is the address the proxy put last in
/// `X-Forwarded-For`, not the proxy itself.
async fn peer_from_forwarded_for(mut request: axum::extract::Request) -> axum::extract::Request {
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        // Only the last entry is the proxy's; those before it are the client's to write.
        .next_back()
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok());
    if let Some(client) = forwarded {
        request.extensions_mut().insert(Peer(client));
    }
    request
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.is_empty() {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::IF_MATCH,
            header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(CART_TOKEN_HEADER),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            HeaderName::from_static(SERVER_TIME_HEADER),
            HeaderName::from_static("idempotent-replayed"),
            header::RETRY_AFTER,
        ])
}

/// Every response tells the client the server's time, for countdowns.
async fn stamp_server_time(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&now_ms().to_string()) {
        response.headers_mut().insert(SERVER_TIME_HEADER, value);
    }
    response
}

async fn stream_state(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let state = app.stream(&id)?.state();
    let etag = format!("\"{}-{}\"", state.epoch, state.seq);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag_header = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, etag_header).into_response());
    }
    Ok((etag_header, Json(state)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventsQuery {
    /// For clients that cannot set `Last-Event-ID` on a new connection.
    last_event_id: Option<String>,
}

async fn stream_events(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let stream = app.stream(&id)?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query.last_event_id);
    let (catch_up, rx) = stream.subscribe(last.as_deref().and_then(parse_sse_id));
    let (first, from_seq) = match catch_up {
        CatchUp::Replay(events) => {
            let seq = events.last().map(|e| e.seq);
            (
                events.iter().map(|e| change_event(e)).collect::<Vec<_>>(),
                seq,
            )
        }
        CatchUp::Snapshot(state) => {
            let seq = state.seq;
            (vec![snapshot_event(&state)], Some(seq))
        }
    };
    let start_seq = from_seq.unwrap_or(0);
    let live = stream::unfold(
        (rx, stream, start_seq),
        |(mut rx, stream, mut last)| async move {
            loop {
                match rx.recv().await {
                    Ok(event) if event.seq <= last => continue,
                    Ok(event) => {
                        last = event.seq;
                        return Some((change_event(&event), (rx, stream, last)));
                    }
                    // Too slow to keep up: send the whole state and carry on from there.
                    Err(RecvError::Lagged(_)) => {
                        let state = stream.state();
                        last = state.seq;
                        return Some((snapshot_event(&state), (rx, stream, last)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    let events = stream::iter(first).chain(live).map(Ok);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

fn change_event(event: &StreamEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_default();
    Event::default()
        .id(event.sse_id())
        .data(data)
        .retry(std::time::Duration::from_millis(1000))
}

fn snapshot_event(state: &live_shop_core::protocol::StreamState) -> Event {
    let data = serde_json::to_string(state).unwrap_or_default();
    Event::default()
        .event("snapshot")
        .id(format!("{}.{}", state.epoch, state.seq))
        .data(data)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Creators' writes need a configured bearer token; reads stay public.
fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if app.creator_tokens.is_empty() {
        return Err(ApiError::Forbidden(
            "creator writes are off: start the server with --creator-token",
        ));
    }
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    if !token_matches(&app.creator_tokens, token) {
        return Err(ApiError::Unauthorized);
    }
    Ok(())
}

/// Whether `given` is one of `tokens`, in a time that does not tell how much of it was right:
/// both sides are hashed to 32 bytes and compared whole, against every token, with no early
/// exit. The one place a creator token is compared.
pub fn token_matches(tokens: &[String], given: &str) -> bool {
    use sha2::Digest;
    let given = sha2::Sha256::digest(given.as_bytes());
    tokens.iter().fold(false, |found, token| {
        let token = sha2::Sha256::digest(token.as_bytes());
        let difference = token
            .iter()
            .zip(given.iter())
            .fold(0u8, |d, (a, b)| d | (a ^ b));
        found | (std::hint::black_box(difference) == 0)
    })
}

async fn post_change(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let mut change: Change = decode(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(problem) = change.oversized() {
        return Err(ApiError::Unprocessable(problem));
    }
    let stream = app.stream(&id)?;
    let on_shelf = |product_id: &str| stream.with_show(|s| s.product(product_id).is_some());
    // A producer names the product to pin; its data comes from the shelf or the catalog.
    if let Change::OfferPinned { product } = &mut change {
        let known = stream
            .with_show(|s| s.product(&product.id).cloned())
            .or_else(|| app.catalog.get(&product.id).cloned());
        match known {
            Some(known) => *product = known,
            None => {
                return Err(ApiError::Unprocessable(format!(
                    "product {} is not in the catalog",
                    quoted(&product.id)
                )))
            }
        }
    }
    match &change {
        Change::Unknown => return Err(ApiError::Unprocessable("unknown change type".into())),
        Change::PriceChanged { product_id, .. } | Change::StockChanged { product_id, .. }
            if !on_shelf(product_id) =>
        {
            return Err(ApiError::Unprocessable(format!(
                "product {} is not on this stream",
                quoted(product_id)
            )));
        }
        Change::FlashDealScheduled { deal } => {
            if !on_shelf(&deal.product_id) {
                return Err(ApiError::Unprocessable(format!(
                    "product {} is not on this stream",
                    quoted(&deal.product_id)
                )));
            }
            if deal.ends_at <= deal.starts_at {
                return Err(ApiError::Unprocessable(
                    "a deal must end after it starts".into(),
                ));
            }
            app.carts.run_deal(&stream, deal.clone()).await?;
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        _ => {}
    }
    // `null` when the guard held it back: a deal that had already ended, say.
    let event = stream.publish(change).await?;
    Ok((StatusCode::ACCEPTED, Json(event)).into_response())
}

#[derive(Deserialize)]
struct CatalogQuery {
    #[serde(default)]
    query: String,
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn catalog(
    State(app): State<Arc<AppState>>,
    query: Result<Query<CatalogQuery>, QueryRejection>,
) -> Result<Json<CatalogPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let offset: usize = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse()
            .map_err(|_| ApiError::BadRequest("invalid cursor".into()))?,
    };
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let hits: Vec<_> = app.catalog.search(&q.query).collect();
    let now = now_ms();
    let page: Vec<_> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| priced(&app, p, now))
        .collect();
    let next = offset + page.len();
    Ok(Json(CatalogPage {
        products: page,
        next_cursor: (next < hits.len()).then(|| next.to_string()),
        server_time: now_ms(),
    }))
}

async fn product(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<live_shop_core::protocol::Product>, ApiError> {
    app.catalog
        .get(&id)
        .map(|p| Json(priced(&app, p, now_ms())))
        .ok_or_else(|| ApiError::NotFound(format!("product {}", quoted(&id))))
}

/// `product` as it sells now (core's `Show::priced` on every live stream): the shelf's live
/// price, a running deal's offer first, so a hotspot's card or a search result shows the price
/// the cart takes.
fn priced(
    app: &AppState,
    product: &live_shop_core::protocol::Product,
    now: live_shop_core::protocol::Millis,
) -> live_shop_core::protocol::Product {
    app.hub.streams().iter().fold(product.clone(), |p, stream| {
        stream.with_show(|show| show.priced(&p, now))
    })
}

async fn events() -> Json<EventList> {
    let now = now_ms();
    Json(EventList {
        events: upcoming_events(now),
        server_time: now,
    })
}

/// The address shoppers reach this server at, for the links it writes.
#[derive(Clone, Debug)]
struct PublicUrl(Arc<str>);

async fn event_ics(
    Path(file): Path<String>,
    Extension(PublicUrl(public)): Extension<PublicUrl>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::NotFound(quoted(&file)))?;
    let now = now_ms();
    let event = upcoming_events(now)
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("event {}", quoted(id))))?;
    // Never the request's Host: a calendar file outlives the request, and a forged Host would
    // put another site's address in it.
    let origin = live_shop_core::url::origin_of(&public).unwrap_or_default();
    let host = origin.split("://").nth(1).unwrap_or("live-shop.invalid");
    let url = event.url.as_deref().map(|u| format!("{public}{u}"));
    let body = ics::calendar(&event, host, url.as_deref(), now);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.ics\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn add_to_cart(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or(ApiError::MissingHeader("Idempotency-Key"))?
        .to_string();
    let cart = headers
        .get(CART_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 64);
    let request: CartItemRequest =
        decode(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (answer, replayed) = app
        .carts
        .add(&app.hub, &app.catalog, cart, &key, &request)
        .await?;
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if replayed {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// How photos should be prepared for this backend's model.
async fn search_options(
    State(app): State<Arc<AppState>>,
) -> Result<Json<live_shop_core::protocol::SearchOptions>, ApiError> {
    let search = app.search.as_ref().ok_or(ApiError::Unavailable(
        "visual search is off: start the server with --model and --media",
    ))?;
    Ok(Json(search.options()))
}

async fn search_image(
    State(app): State<Arc<AppState>>,
    peer: Option<axum::Extension<Peer>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<live_shop_core::protocol::SearchResults>, ApiError> {
    use crate::admission::Refusal;
    use live_shop_core::prep::CropBox;
    use live_shop_core::protocol::{SearchHit, SearchResults};
    use live_shop_core::search::Query;

    let search = app.search.clone().ok_or(ApiError::Unavailable(
        "visual search is off: start the server with --model and --media",
    ))?;
    // Admitted before the upload is read: a refused search costs no memory.
    let client = peer.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |p| p.0 .0);
    let ticket = search
        .admission()
        .admit(client)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Busy(wait) => {
                ApiError::Busy("visual search has as many searches as it can hold", wait)
            }
            Refusal::TooFast(wait) => {
                ApiError::TooFast("too many searches from this address", wait)
            }
        })?;
    let mut multipart = multipart.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (mut image, mut query) = (None, None);
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "the upload is over {} KiB: send the photo prepared with a profile from GET /v1/search/image",
                crate::search::UPLOAD_LIMIT / 1024
            ))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("image") => image = Some(field.bytes().await.map_err(bad)?),
            Some("query") => {
                let text = field.text().await.map_err(bad)?;
                query = Some(Query::from_json(&text).map_err(ApiError::BadRequest)?);
            }
            _ => {}
        }
    }
    let query = query.unwrap_or_default();
    let crop = CropBox::from(query.region)
        .clamped()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // No box given: the backend picks the part of the photo to search.
    let crop = query.boxed.then_some(crop);
    let (query_id, limit) = (query.query_id, query.limit as usize);
    if image.is_none() && query_id.is_none() {
        return Err(ApiError::BadRequest(
            "send an image part, or a queryId from an earlier search".into(),
        ));
    }
    let asked = query_id.clone();
    let found = ticket
        .run(move || search.search(image.as_deref(), query_id.as_deref(), crop, limit))
        .await
        .map_err(|_| ApiError::Unavailable("visual search failed"))?;
    let hits = match found {
        Ok(Some(hits)) => hits,
        Ok(None) => {
            return Err(ApiError::NotFound(format!(
                "query {} (it has expired: upload the image again)",
                quoted(&asked.unwrap_or_default())
            )))
        }
        Err(SearchError::Prep(e)) => return Err(ApiError::Image(e)),
        Err(SearchError::Model(_)) => return Err(ApiError::Unavailable("visual search failed")),
    };
    // Each product as it sells now: a live show's price, a running deal's offer.
    let now = now_ms();
    let results = hits
        .products
        .into_iter()
        .filter_map(|hit| {
            let product = priced(&app, app.catalog.get(&hit.id)?, now);
            Some(SearchHit {
                product,
                similarity: hit.similarity,
                close: Some(hit.close),
            })
        })
        .collect();
    Ok(Json(SearchResults {
        query_id: hits.query_id,
        results,
        server_time: now_ms(),
    }))
}

fn manifest_response(status: StatusCode, stored: &Stored) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, stored.etag()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        stored.json.clone(),
    )
        .into_response()
}

/// `GET /v1/videos/{id}/overlay`: the latest manifest, with its ETag (304 when unchanged); 204
/// when nothing is saved for the video, which is no error (a browser logs every 404 in the
/// console of each page that shows a video without hotspots).
async fn get_overlay(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(stored) = app.overlays.latest(&id).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == stored.etag()));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, stored.etag())]).into_response());
    }
    Ok(manifest_response(StatusCode::OK, &stored))
}

/// The version an `If-Match` names (`"v3"`); an unknown tag names no version, so it fails.
fn expected_version(tag: &str) -> Expect {
    let version = tag
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Expect::Version(version)
}

/// `PUT /v1/videos/{id}/overlay`: creators save a manifest. `If-Match` with the ETag they
/// edited (required once a manifest exists), or `If-None-Match: *` to create; a save that lost
/// the race gets 412 with the current manifest so the studio can merge.
async fn put_overlay(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let header_text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let expect = match (
        header_text(header::IF_MATCH),
        header_text(header::IF_NONE_MATCH),
    ) {
        (Some(tag), _) => expected_version(tag),
        (None, Some("*")) => Expect::Nothing,
        (None, _) if app.overlays.latest(&id).await?.is_some() => {
            return Err(ApiError::PreconditionRequired)
        }
        (None, _) => Expect::Nothing,
    };
    let manifest: Manifest = decode(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if manifest.video_id != id {
        return Err(ApiError::Unprocessable(format!(
            "the manifest is for video {}, not {}",
            quoted(&manifest.video_id),
            quoted(&id)
        )));
    }
    let problems = manifest.validate(&|product| app.catalog.get(product).is_some());
    if !problems.is_empty() {
        return Err(ApiError::InvalidManifest(problems));
    }
    match app
        .overlays
        .save(&id, &manifest.to_json(), &expect, now_ms())
        .await?
    {
        Ok(stored) if stored.version == 1 => Ok(manifest_response(StatusCode::CREATED, &stored)),
        Ok(stored) => Ok(manifest_response(StatusCode::OK, &stored)),
        Err(current) => Err(ApiError::EditConflict(current.map(|c| (c.etag(), c.json)))),
    }
}

/// `GET /v1/videos/{id}/overlay/versions`: every saved version, oldest first.
async fn overlay_versions(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let versions: Vec<serde_json::Value> = app
        .overlays
        .history(&id)
        .await?
        .into_iter()
        .map(|(version, saved_at)| {
            serde_json::json!({ "version": version, "etag": format!("\"v{version}\""), "savedAt": saved_at })
        })
        .collect();
    Ok(Json(serde_json::json!({ "videoId": id, "versions": versions })).into_response())
}
