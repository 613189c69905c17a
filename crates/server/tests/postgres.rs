//! The PostgreSQL stores, on a PostgreSQL server of the test's own: they do what every store
//! must, and three instances' worth of buyers racing for a deal's units get exactly its units.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use live_shop_server::carts::{self, Add, Added, CartStore, DealStock, Refused};
use live_shop_server::overlays;
use live_shop_server::postgres::{connect, PgCarts, PgOverlays};
use live_shop_testkit::postgres::Postgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stores_do_what_every_store_must_and_never_oversell() {
    let server = Postgres::start().unwrap();

    let made = AtomicUsize::new(0);
    let server_ref = &server;
    carts::conformance::all(|| {
        let name = format!("carts{}", made.fetch_add(1, Ordering::Relaxed));
        async move {
            let url = server_ref.database(&name).unwrap();
            Box::new(PgCarts::new(connect(&url, 4).await.unwrap())) as Box<dyn CartStore>
        }
    })
    .await;

    let url = server.database("overlays").unwrap();
    let store = PgOverlays::new(connect(&url, 4).await.unwrap());
    overlays::conformance::versions_grow_and_a_stale_writer_gets_the_current_one(&store).await;

    // Three instances, each with its own pool, as three servers would have; the schema is
    // brought up to date by whichever comes first.
    let url = server.database("race").unwrap();
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(Arc::new(PgCarts::new(connect(&url, 8).await.unwrap())));
    }
    let deal = DealStock {
        deal_id: "race".into(),
        product_id: "p02".into(),
        units: 100,
        limit_per_shopper: Some(1),
        ends_at: i64::MAX / 2,
    };
    for instance in &instances {
        instance.open_deal(&deal).await.unwrap();
    }
    let buyers: Vec<_> = (0..1500)
        .map(|n| {
            let store = instances[n % 3].clone();
            tokio::spawn(async move {
                let key = format!("buyer-{n}");
                store
                    .add(&Add {
                        cart: None,
                        key: &key,
                        request: &key,
                        product_id: "p02",
                        quantity: 1,
                        deal: Some("race"),
                        stale_price: false,
                        new_token: &key,
                        now: 1_000,
                        hold_ms: 600_000,
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    let (mut sold, mut sold_out) = (0, 0);
    for buyer in buyers {
        match buyer.await.unwrap() {
            Ok(Added::New { .. }) => sold += 1,
            Err(Refused::SoldOut) => sold_out += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((sold, sold_out), (100, 1400));
    for instance in &instances {
        assert_eq!(instance.left("race").await.unwrap(), Some(0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_sells_the_catalog_in_the_database() {
    use live_shop_server::catalog::Catalog;
    use live_shop_server::postgres::{shared_catalog, store_catalog};
    let server = Postgres::start().unwrap();
    let url = server.database("catalog").unwrap();
    let sample = Catalog::embedded().unwrap();

    // Three instances start at once on an empty database: one stores the sample shop, all
    // three read it whole, in its order.
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let pool = connect(&url, 2).await.unwrap();
                shared_catalog(&pool, || Ok(Catalog::embedded().unwrap()))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut stored = 0;
    for start in starts {
        let (catalog, seeded) = start.await.unwrap();
        stored += usize::from(seeded);
        assert_eq!(catalog.products, sample.products);
        assert_eq!(catalog.demo_shelf(), sample.demo_shelf());
    }
    assert_eq!(stored, 1);

    // An instance started with a shop's own list replaces it; one started later without a list
    // sells that list, not the sample shop, and never seeds over it.
    let shopify = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../e2e/fixtures/shopify-products.json"
    ))
    .unwrap();
    let (own, _) = Catalog::load(
        &[("products.json".into(), shopify)],
        Some("https://shop.example"),
        Some("EUR"),
    )
    .unwrap();
    assert_ne!(own.products, sample.products);
    let pool = connect(&url, 2).await.unwrap();
    store_catalog(&pool, &own, "products.json").await.unwrap();
    let later = connect(&url, 2).await.unwrap();
    let (catalog, seeded) = shared_catalog(&later, || panic!("the database has a catalog"))
        .await
        .unwrap();
    assert!(!seeded);
    assert_eq!(catalog.products, own.products);
    assert_eq!(catalog.demo_shelf(), own.demo_shelf());

    // Replacing it again leaves exactly the new list, not the two mixed.
    let smaller = Catalog::from_parts(own.products[..1].to_vec(), 1);
    store_catalog(&pool, &smaller, "one.json").await.unwrap();
    let (catalog, _) = shared_catalog(&later, || panic!("the database has a catalog"))
        .await
        .unwrap();
    assert_eq!(catalog.products, smaller.products);
}
