//! `POST /v1/search/image` with the real model over real catalog photos (fetched at setup):
//! a photo of a product, cropped, turned and recompressed, finds that product first.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use live_shop_core::json::decode;
use live_shop_core::prep::{prepare, CropBox, PrepLimits, Profile};
use live_shop_core::protocol::{ErrorBody, SearchOptions, SearchResults};
use live_shop_server::api::{router, AppState};
use live_shop_server::catalog::Catalog;
use live_shop_server::config::Config;
use live_shop_server::fetch::Reach;
use live_shop_server::search::VisualSearch;
use tower::ServiceExt;

fn model() -> std::path::PathBuf {
    live_shop_testkit::cache().join("models/efficientnet-lite0.safetensors")
}

/// A shop of a dozen products (indexing all fifty in a debug build is slow, not different).
fn app() -> (Router, Catalog) {
    let mut catalog = Catalog::embedded().unwrap();
    let keep = [
        "p01", "p05", "p10", "p15", "p19", "p24", "p28", "p33", "p38", "p43", "p47", "p51",
    ];
    catalog.products.retain(|p| keep.contains(&p.id.as_str()));
    let search = VisualSearch::open(
        &model(),
        &catalog,
        &live_shop_testkit::cache().join("media"),
        None,
        Reach::PublicHttps,
    )
    .unwrap();
    assert_eq!(search.len(), keep.len());
    let state = AppState::with_search(vec![], Some(search)).unwrap();
    (router(state, &Config::default()), catalog)
}

fn multipart(image: Option<&[u8]>, query: &str) -> Request<Body> {
    let boundary = "live-shop-boundary";
    let mut body = Vec::new();
    if let Some(image) = image {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(image);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"query\"\r\nContent-Type: application/json\r\n\r\n{query}\r\n--{boundary}--\r\n").as_bytes(),
    );
    Request::post("/v1/search/image")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// The product's photo as a shopper might capture it: the centre 80 %, prepared by the widget's
/// pipeline (max-512 JPEG).
fn query_photo(catalog: &Catalog, id: &str) -> Vec<u8> {
    query_photo_as(catalog, id, Profile::Max512)
}

fn query_photo_as(catalog: &Catalog, id: &str, profile: Profile) -> Vec<u8> {
    let product = catalog.get(id).unwrap();
    let path = live_shop_testkit::cache()
        .join("media")
        .join(product.images[0].strip_prefix("/media/").unwrap());
    let bytes = std::fs::read(path).unwrap();
    let crop = CropBox {
        x: 0.1,
        y: 0.1,
        width: 0.8,
        height: 0.8,
    };
    prepare(&bytes, profile, crop, &PrepLimits::default())
        .unwrap()
        .jpeg
}

/// The results' products and similarities, best first, for failure messages.
fn ranking(results: &SearchResults) -> Vec<(&str, f32)> {
    results
        .results
        .iter()
        .map(|r| (r.product.id.as_str(), r.similarity))
        .collect()
}

#[tokio::test]
async fn the_backend_asks_for_the_profile_its_model_reads() {
    let (app, catalog) = app();
    let request = Request::get("/v1/search/image")
        .body(Body::empty())
        .unwrap();
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let options: SearchOptions = decode(&body).unwrap();
    // The model reads a 224 × 224 centre square; every profile is still accepted.
    assert_eq!(options.profile, "square-224");
    let mut accepted = options.profiles.clone();
    accepted.sort();
    let mut all = live_shop_core::search::PROFILES.to_vec();
    all.sort();
    assert_eq!(accepted, all);
    // A photo prepared as asked finds its product first.
    let profile = Profile::parse(&options.profile).unwrap();
    for id in ["p33", "p10"] {
        let photo = query_photo_as(&catalog, id, profile);
        let (status, body) = send(&app, multipart(Some(&photo), "{}")).await;
        assert_eq!(status, StatusCode::OK);
        let results: SearchResults = decode(&body).unwrap();
        assert_eq!(results.results[0].product.id, id);
    }
}

#[tokio::test]
async fn a_photo_of_a_product_finds_it_first() {
    let (app, catalog) = app();
    for id in ["p33", "p19", "p51"] {
        let (status, body) = send(&app, multipart(Some(&query_photo(&catalog, id)), "{}")).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let results: SearchResults = decode(&body).unwrap();
        assert_eq!(results.results[0].product.id, id, "{:?}", ranking(&results));
        assert!(results
            .results
            .windows(2)
            .all(|w| w[0].similarity >= w[1].similarity));
        assert!(!results.query_id.is_empty());
        // And it says so: the product is a close match, and the only one.
        assert_eq!(results.results[0].close, Some(true));
        assert!(results.results[1..].iter().all(|r| r.close == Some(false)));
    }
}

#[tokio::test]
async fn a_photo_of_nothing_the_shop_sells_has_no_close_match() {
    let (app, _) = app();
    // foolbox's ImageNet photos of a bull mastiff, a jeep and a bald eagle.
    for name in [
        "imagenet_00_243.jpg",
        "imagenet_06_609.jpg",
        "imagenet_17_22.jpg",
    ] {
        let bytes =
            std::fs::read(live_shop_testkit::cache().join("foolbox/data").join(name)).unwrap();
        let photo = prepare(
            &bytes,
            Profile::Square224,
            CropBox::FULL,
            &PrepLimits::default(),
        )
        .unwrap()
        .jpeg;
        let (status, body) = send(&app, multipart(Some(&photo), "{}")).await;
        assert_eq!(status, StatusCode::OK);
        let results: SearchResults = decode(&body).unwrap();
        assert!(!results.results.is_empty());
        assert!(
            results.results.iter().all(|r| r.close == Some(false)),
            "{name}: {:?}",
            ranking(&results)
        );
    }
}

#[tokio::test]
async fn a_new_region_reuses_the_upload() {
    let (app, catalog) = app();
    let photo = query_photo(&catalog, "p33");
    let (_, body) = send(&app, multipart(Some(&photo), r#"{"limit": 3}"#)).await;
    let first: SearchResults = decode(&body).unwrap();
    assert_eq!(first.results.len(), 3);
    let again = format!(
        r#"{{"queryId": "{}", "box": {{"x": 0.2, "y": 0.2, "width": 0.6, "height": 0.6}}}}"#,
        first.query_id
    );
    let (status, body) = send(&app, multipart(None, &again)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let second: SearchResults = decode(&body).unwrap();
    assert_eq!(second.query_id, first.query_id);
    let (status, body) = send(&app, multipart(None, r#"{"queryId": "0000"}"#)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(decode::<ErrorBody>(&body).unwrap().error.code, "not_found");
}

#[tokio::test]
async fn bad_uploads_get_coded_errors() {
    let (app, _) = app();
    let (status, body) = send(&app, multipart(Some(b"not an image"), "{}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        decode::<ErrorBody>(&body).unwrap().error.code,
        "image_decode"
    );
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let (_, body) = send(&app, multipart(Some(&heic), "{}")).await;
    assert_eq!(
        decode::<ErrorBody>(&body).unwrap().error.code,
        "image_unsupported"
    );
    let (status, _) = send(&app, multipart(None, "{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&app, multipart(Some(b"x"), "not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_a_model_search_says_it_is_off() {
    let app = router(AppState::new(vec![]).unwrap(), &Config::default());
    let (status, body) = send(&app, multipart(Some(b"x"), "{}")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        decode::<ErrorBody>(&body).unwrap().error.code,
        "unavailable"
    );
}

/// The test CDN's photos by file name, and the names it was asked for.
type CdnState = (
    std::sync::Arc<std::collections::HashMap<String, Vec<u8>>>,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
);

#[tokio::test(flavor = "multi_thread")]
async fn a_shops_photos_on_its_cdn_are_fetched_and_indexed() {
    use axum::extract::{Path, State};
    use std::sync::{Arc, Mutex};
    // The shop's CDN, on loopback: two catalog photos, and a third address it does not have.
    let sample = Catalog::embedded().unwrap();
    let media = live_shop_testkit::cache().join("media");
    let mut files = std::collections::HashMap::new();
    for id in ["p33", "p19"] {
        let path = sample.get(id).unwrap().images[0]
            .strip_prefix("/media/")
            .unwrap();
        files.insert(
            format!("{id}.png"),
            std::fs::read(media.join(path)).unwrap(),
        );
    }
    let asked = Arc::new(Mutex::new(Vec::new()));
    let cdn = axum::Router::new()
        .route(
            "/files/{name}",
            axum::routing::get(
                |State((files, asked)): State<CdnState>, Path(name): Path<String>| async move {
                    asked.lock().unwrap().push(name.clone());
                    match files.get(&name) {
                        Some(bytes) => (StatusCode::OK, bytes.clone()),
                        None => (StatusCode::NOT_FOUND, Vec::new()),
                    }
                },
            ),
        )
        .with_state((Arc::new(files), asked.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cdn_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, cdn).await });

    // A WooCommerce list whose photos are on that CDN.
    let product = |id: u32, file: &str| {
        serde_json::json!({"id": id, "name": format!("Product {id}"), "type": "simple",
            "prices": {"price": "1000", "currency_code": "USD"},
            "images": [{"src": format!("{cdn_url}/files/{file}")}]})
    };
    let list = serde_json::json!([
        product(101, "p33.png"),
        product(102, "p19.png"),
        product(103, "gone.png")
    ]);
    let (catalog, _) = Catalog::load(
        &[("woo.json".into(), serde_json::to_vec(&list).unwrap())],
        None,
        None,
    )
    .unwrap();
    // By default photos come over https from public addresses only: this CDN is neither, so
    // nothing is fetched and nothing indexed.
    let indexed = catalog.clone();
    let refused = tokio::task::spawn_blocking(move || {
        VisualSearch::open(
            &model(),
            &indexed,
            std::path::Path::new("/nonexistent"),
            None,
            Reach::PublicHttps,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(refused.len(), 0);
    assert!(asked.lock().unwrap().is_empty());

    let indexed = catalog.clone();
    let search = tokio::task::spawn_blocking(move || {
        VisualSearch::open(
            &model(),
            &indexed,
            std::path::Path::new("/nonexistent"),
            None,
            Reach::Anywhere,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        search.len(),
        2,
        "the missing photo is skipped, the others indexed"
    );
    let mut fetched = asked.lock().unwrap().clone();
    fetched.sort();
    assert_eq!(fetched, ["gone.png", "p19.png", "p33.png"]);

    // A shopper's photo of the product finds the shop's product.
    let overlays = live_shop_server::overlays::SqliteStore::in_memory().unwrap();
    let carts = live_shop_server::carts::Carts::in_memory().unwrap();
    let state = AppState::build(catalog, vec![], Some(search), Box::new(overlays), carts);
    let app = router(state, &Config::default());
    let (status, body) = send(&app, multipart(Some(&query_photo(&sample, "p33")), "{}")).await;
    assert_eq!(status, StatusCode::OK);
    let results: SearchResults = decode(&body).unwrap();
    assert_eq!(
        results.results[0].product.id,
        "101",
        "{:?}",
        ranking(&results)
    );
}

#[test]
fn a_restart_embeds_only_new_or_changed_photos() {
    use live_shop_server::search::{Indexed, Vectors};
    let media = live_shop_testkit::cache().join("media");
    let dir = std::env::temp_dir().join(format!("live-shop-reindex-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("img")).unwrap();
    let mut catalog = Catalog::embedded().unwrap();
    catalog.products.truncate(3);
    for product in &mut catalog.products {
        let from = media.join(product.images[0].strip_prefix("/media/").unwrap());
        let name = format!("img/{}.png", product.id);
        std::fs::copy(from, dir.join(&name)).unwrap();
        product.images = vec![format!("/media/{name}")];
    }
    let saved = dir.join("index.json");
    let open =
        || VisualSearch::open(&model(), &catalog, &dir, Some(&saved), Reach::PublicHttps).unwrap();
    let first = open();
    assert_eq!(
        first.indexed,
        Indexed {
            embedded: 3,
            unchanged: 0,
            vectors: Vectors::Exact,
        }
    );
    assert_eq!(
        open().indexed,
        Indexed {
            embedded: 0,
            unchanged: 3,
            vectors: Vectors::Exact,
        }
    );
    // Same name, other bytes (still a PNG: bytes after its end are ignored by decoders).
    let changed = dir.join(format!("img/{}.png", catalog.products[1].id));
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes.extend_from_slice(b"edited");
    std::fs::write(&changed, bytes).unwrap();
    let again = open();
    assert_eq!(
        again.indexed,
        Indexed {
            embedded: 1,
            unchanged: 2,
            vectors: Vectors::Exact,
        }
    );
    assert_eq!(again.len(), 3);
    // An index made by another recipe (pooling, centring, crop) is rebuilt, not misread.
    let json = std::fs::read_to_string(&saved).unwrap();
    let recipe = serde_json::to_string(live_shop_server::search::RECIPE).unwrap();
    assert!(json.contains(&recipe));
    std::fs::write(&saved, json.replace(&recipe, r#""mean pooling""#)).unwrap();
    assert_eq!(open().indexed.embedded, 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_large_catalog_searches_an_hnsw_graph_reloaded_while_its_items_are_the_same() {
    use live_shop_server::search::{IndexOptions, Vectors};
    let media = live_shop_testkit::cache().join("media");
    let dir = std::env::temp_dir().join(format!("live-shop-graph-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut catalog = Catalog::embedded().unwrap();
    catalog.products.truncate(6);
    let saved = dir.join("index.json");
    // Six products count as a large catalog here: the graph path, as from 20,000 products.
    let open = |catalog: &Catalog| {
        let options = IndexOptions {
            saved: Some(&saved),
            photos: Reach::PublicHttps,
            ann_from: 5,
        };
        VisualSearch::open_with(&model(), catalog, &media, options).unwrap()
    };
    // A photo of each product finds that product first.
    let finds_each = |search: &VisualSearch, catalog: &Catalog| {
        for product in &catalog.products {
            let photo = query_photo(catalog, &product.id);
            let hits = search
                .search(Some(&photo), None, Some(CropBox::FULL), 3)
                .unwrap()
                .unwrap();
            assert_eq!(hits.products[0].id, product.id, "{:?}", hits.products);
        }
    };
    let first = open(&catalog);
    assert_eq!(first.indexed.vectors, Vectors::GraphBuilt);
    assert!(dir.join("index.usearch").is_file());
    finds_each(&first, &catalog);
    let again = open(&catalog);
    assert_eq!(again.indexed.vectors, Vectors::GraphReloaded);
    assert_eq!(again.indexed.embedded, 0);
    finds_each(&again, &catalog);
    // The same products in another order: every embedding is reused, but the graph's keys are
    // positions, so it is built again and still names the right products.
    catalog.products.reverse();
    let reordered = open(&catalog);
    assert_eq!(
        (reordered.indexed.embedded, reordered.indexed.vectors),
        (0, Vectors::GraphBuilt)
    );
    finds_each(&reordered, &catalog);
    assert_eq!(open(&catalog).indexed.vectors, Vectors::GraphReloaded);
    // A graph without its fingerprint (a save cut short) is not trusted.
    std::fs::remove_file(dir.join("index.usearch.sha256")).unwrap();
    assert_eq!(open(&catalog).indexed.vectors, Vectors::GraphBuilt);
    // Below the threshold, the exact scan.
    catalog.products.truncate(4);
    assert_eq!(open(&catalog).indexed.vectors, Vectors::Exact);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A search over a one-item index (no catalog to embed), admitted by `policy`.
fn small_search(policy: live_shop_server::admission::Policy) -> (Router, std::sync::Arc<AppState>) {
    small_search_with(policy, &Config::default())
}

fn small_search_with(
    policy: live_shop_server::admission::Policy,
    config: &Config,
) -> (Router, std::sync::Arc<AppState>) {
    use live_shop_server::search::BruteForce;
    let embedder = live_shop_embed::Embedder::load(&model()).unwrap();
    let index = BruteForce::new(vec![("p05".into(), vec![1.0; 1280])]);
    let mut search = VisualSearch::new(embedder, Box::new(index));
    search.set_admission(policy);
    let state = AppState::with_search(vec![], Some(search)).unwrap();
    (router(state.clone(), config), state)
}

/// `request` as if from `client` (the server puts each connection's peer on its requests).
fn from(client: &str, mut request: Request<Body>) -> Request<Body> {
    request
        .extensions_mut()
        .insert(live_shop_server::api::Peer(client.parse().unwrap()));
    request
}

/// A grey PNG of `width` × `height`: a few kilobytes however many pixels it claims.
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::GrayImage::from_pixel(width, height, image::Luma([128]));
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

async fn answer(app: &Router, request: Request<Body>) -> (StatusCode, Option<String>, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let code = decode::<ErrorBody>(&body).map_or(String::new(), |e| e.error.code);
    (status, retry, code)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_searches_is_refused_at_once_with_retry_after() {
    use live_shop_server::admission::Policy;
    let (app, state) = small_search(Policy {
        running: 1,
        waiting: 0,
        per_minute: 2,
        burst: 2,
    });
    let photo = flat_png(64, 48);
    let search = |client: &str| from(client, multipart(Some(&photo), "{}"));

    // A client's pace: two at once, then one each 30 s; another client is not held back.
    for _ in 0..2 {
        assert_eq!(answer(&app, search("203.0.113.7")).await.0, StatusCode::OK);
    }
    let (status, retry, code) = answer(&app, search("203.0.113.7")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // The next place comes 30 s after the first search, less what the two took.
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!((15..=30).contains(&retry), "Retry-After: {retry}");
    assert_eq!(answer(&app, search("198.51.100.1")).await.0, StatusCode::OK);

    // Every place taken: refused at once, told when to come back; served once one is free.
    let held = state
        .search
        .as_ref()
        .unwrap()
        .admission()
        .admit("192.0.2.1".parse().unwrap())
        .await
        .unwrap();
    let (status, retry, code) = answer(&app, search("198.51.100.2")).await;
    assert_eq!(
        (status, retry.as_deref(), code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("1"), "busy")
    );
    drop(held);
    assert_eq!(answer(&app, search("198.51.100.2")).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_held_to_a_phone_photo_and_kept_as_bytes() {
    use live_shop_server::admission::Policy;
    let (app, state) = small_search(Policy {
        per_minute: 0,
        ..Policy::for_this_machine()
    });
    // 49 MP claimed by a few kilobytes: refused before decoding.
    let bomb = flat_png(7000, 7000);
    assert!(bomb.len() < 400 * 1024, "{}", bomb.len());
    let (status, _, code) = answer(&app, multipart(Some(&bomb), "{}")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "image_limits")
    );
    // A 12 MP phone photo is searched; what is kept for re-querying is its bytes.
    let phone = flat_png(4032, 3024);
    let (status, _, _) = answer(&app, multipart(Some(&phone), "{}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state.search.as_ref().unwrap().recent_bytes(), phone.len());
    // More bytes than the largest profile could need: refused, and said so.
    let big = vec![0u8; live_shop_server::search::UPLOAD_LIMIT + 100 * 1024];
    let (status, _, code) = answer(&app, multipart(Some(&big), "{}")).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_proxy_each_shopper_has_a_pace_of_their_own() {
    use live_shop_server::admission::Policy;
    let config = Config {
        forwarded_for: true,
        ..Config::default()
    };
    let (app, _) = small_search_with(
        Policy {
            per_minute: 1,
            burst: 1,
            ..Policy::for_this_machine()
        },
        &config,
    );
    let photo = flat_png(64, 48);
    // Every request comes from the proxy; the proxy puts the shopper last.
    let via_proxy = |forwarded: &str| {
        let mut request = from("127.0.0.1", multipart(Some(&photo), "{}"));
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        request
    };
    assert_eq!(
        answer(&app, via_proxy("203.0.113.7")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        answer(&app, via_proxy("198.51.100.1")).await.0,
        StatusCode::OK
    );
    // The same shopper again, whatever it wrote before the proxy's entry.
    let (status, _, _) = answer(&app, via_proxy("192.0.2.99, 203.0.113.7")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// A product is indexed by every photo it lists and found by whichever the shopper's photo
/// looks like; it comes back once, by its best photo; a photo that cannot be read leaves the
/// product searchable by the others.
#[test]
fn a_product_is_found_by_any_of_its_photos_and_listed_once() {
    let media = live_shop_testkit::cache().join("media");
    let full = Catalog::embedded().unwrap();
    // p10 lists p33's photo second (say, its back), and a photo that is missing; p33 itself
    // is not sold here.
    let mut products: Vec<_> = full
        .products
        .iter()
        .filter(|p| ["p05", "p10", "p19"].contains(&p.id.as_str()))
        .cloned()
        .collect();
    let p33 = full.get("p33").unwrap().images[0].clone();
    products[1].images = vec![
        products[1].images[0].clone(),
        p33,
        "/media/no-such-photo.jpg".into(),
    ];
    let catalog = Catalog::from_parts(products, 1);
    let search = VisualSearch::open(&model(), &catalog, &media, None, Reach::PublicHttps).unwrap();
    assert_eq!((search.len(), search.photos()), (3, 4));
    for (photo_of, found) in [("p33", "p10"), ("p10", "p10"), ("p19", "p19")] {
        let hits = search
            .search(
                Some(&query_photo(&full, photo_of)),
                None,
                Some(CropBox::FULL),
                10,
            )
            .unwrap()
            .unwrap();
        let ids: Vec<&str> = hits.products.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids[0], found, "a photo of {photo_of}: {ids:?}");
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert_eq!(ids.len(), 3);
    }
}

/// A query that gives no box is searched by the photo's centre, the box the widget's panel
/// opens with; one that gives a box, even the whole photo, by that box.
#[tokio::test]
async fn a_query_without_a_box_searches_the_photos_centre() {
    let (app, catalog) = app();
    let photo = query_photo(&catalog, "p19");
    let mut answers = Vec::new();
    for query in [
        "{}",
        r#"{"box":{"x":0.2,"y":0.2,"width":0.6,"height":0.6}}"#,
        r#"{"box":{"x":0,"y":0,"width":1,"height":1}}"#,
    ] {
        let (status, body) = send(&app, multipart(Some(&photo), query)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let results: SearchResults = decode(&body).unwrap();
        answers.push(
            results
                .results
                .iter()
                .map(|r| (r.product.id.clone(), r.similarity))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_ne!(answers[0], answers[2]);
}
