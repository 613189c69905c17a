//! `live-shop-server`: runs the reference backend.
use std::process::ExitCode;

use live_shop_server::api::{router, AppState};
use live_shop_server::catalog::Catalog;
use live_shop_server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args_os().skip(1), |k| std::env::var(k).ok()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // With --database every instance shares one pool, and the catalog is the database's.
    let pool = match &config.database {
        Some(url) => match live_shop_server::postgres::connect(url, 16).await {
            Ok(pool) => Some(pool),
            Err(e) => {
                eprintln!("live-shop-server: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let own = if config.catalog.is_empty() {
        None
    } else {
        match read_catalog(&config) {
            Ok(catalog) => Some(catalog),
            Err(e) => {
                eprintln!("live-shop-server: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let catalog = match (&pool, own) {
        (None, Some(catalog)) => catalog,
        (None, None) => match Catalog::embedded() {
            Ok(catalog) => catalog,
            Err(e) => {
                eprintln!("live-shop-server: the embedded catalog is invalid: {e}");
                return ExitCode::FAILURE;
            }
        },
        (Some(pool), Some(catalog)) => {
            let source = config.catalog.join(" ");
            match live_shop_server::postgres::store_catalog(pool, &catalog, &source).await {
                Ok(()) => {
                    eprintln!("live-shop-server: the database's catalog is now --catalog's");
                    catalog
                }
                Err(e) => {
                    eprintln!("live-shop-server: cannot store the catalog: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        (Some(pool), None) => {
            let embedded = || {
                Catalog::embedded().map_err(|e| {
                    live_shop_server::overlays::StoreError::new(format!(
                        "the embedded catalog is invalid: {e}"
                    ))
                })
            };
            match live_shop_server::postgres::shared_catalog(pool, embedded).await {
                Ok((catalog, seeded)) => {
                    eprintln!(
                        "live-shop-server: {} products from the database{}",
                        catalog.products.len(),
                        if seeded {
                            " (the sample shop, stored now)"
                        } else {
                            ""
                        }
                    );
                    catalog
                }
                Err(e) => {
                    eprintln!("live-shop-server: cannot read the catalog: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let search = match (&config.model, &config.media) {
        (Some(model), Some(media)) => {
            match live_shop_server::search::VisualSearch::open(
                model,
                &catalog,
                media,
                config.search_index.as_deref(),
                config.photos,
            ) {
                Ok(mut search) => {
                    let policy = live_shop_server::admission::Policy::for_this_machine();
                    search.set_admission(live_shop_server::admission::Policy {
                        per_minute: config.search_pace,
                        burst: policy.burst.min(config.search_pace),
                        ..policy
                    });
                    Some(search)
                }
                Err(e) => {
                    eprintln!("live-shop-server: visual search is off: {e}");
                    None
                }
            }
        }
        (Some(_), None) => {
            eprintln!(
                "live-shop-server: visual search needs --media to index the catalog's photos"
            );
            None
        }
        _ => None,
    };
    let stores = match pool {
        Some(pool) => Ok(postgres_stores(pool, config.cart_hold_ms)),
        None => sqlite_stores(config.overlay_db.as_deref(), config.cart_hold_ms),
    };
    let (overlays, carts) = match stores {
        Ok(stores) => stores,
        Err(e) => {
            eprintln!("live-shop-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Half a cluster shares only half: say so rather than let a show go wrong quietly.
    match (&config.database, &config.bus) {
        (None, Some(_)) => eprintln!(
            "live-shop-server: warning: --bus without --database: carts and deal stock are \
             this instance's own, so instances sell the same units twice"
        ),
        (Some(_), None) => eprintln!(
            "live-shop-server: warning: --database without --bus: live streams are this \
             instance's own, so viewers of other instances miss its changes"
        ),
        _ => {}
    }
    let mut search = search;
    let hub = match &config.bus {
        Some(url) => {
            let shared = match live_shop_server::bus::RedisBus::connect(url).await {
                Ok(bus) => {
                    // Each shopper's search pace is kept on the bus, alike on every instance.
                    if let Some(search) = &mut search {
                        search.share_pace(bus.clone());
                    }
                    live_shop_server::hub::Hub::shared(&bus, catalog.demo_shelf()).await
                }
                Err(e) => Err(e),
            };
            match shared {
                Ok(hub) => hub,
                Err(e) => {
                    eprintln!("live-shop-server: --bus {url}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => live_shop_server::hub::Hub::local(catalog.demo_shelf()),
    };
    let state = AppState::with_hub(
        catalog,
        config.creator_tokens.clone(),
        search,
        overlays,
        carts,
        hub,
    );
    if config.demo_show {
        tokio::spawn(live_shop_server::demo::run(state.clone(), config.demo_pace));
    }
    // Holds that ran out give their units back to their deals, once a second.
    let expiring = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = expiring
                .carts
                .expire(&expiring.hub, live_shop_server::now_ms())
                .await
            {
                eprintln!("live-shop-server: {e}");
            }
            if let Some(search) = &expiring.search {
                search.admission().forget_idle_clients();
            }
        }
    });
    for (name, dir) in [("--dist", &config.dist), ("--media", &config.media)] {
        if let Some(dir) = dir.as_ref().filter(|d| !d.is_dir()) {
            eprintln!(
                "live-shop-server: warning: {name} {} is not a folder",
                dir.display()
            );
        }
    }
    let listener = match live_shop_server::serve::listen(config.addr, config.limits.backlog) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("live-shop-server: cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    println!("live-shop-server listening on http://{}", config.addr);
    let app = router(state, &config);
    let shutdown = async {
        // Ctrl-C in a terminal, SIGTERM from a service manager.
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    live_shop_server::serve::serve(listener, app, config.limits, shutdown).await;
    ExitCode::SUCCESS
}

type Stores = (
    Box<dyn live_shop_server::overlays::OverlayStore>,
    live_shop_server::carts::Carts,
);

/// One server's own SQLite: in `path`, or in memory.
fn sqlite_stores(
    path: Option<&std::path::Path>,
    hold_ms: i64,
) -> Result<Stores, live_shop_server::overlays::StoreError> {
    use live_shop_server::carts::{Carts, SqliteCarts};
    use live_shop_server::overlays::SqliteStore;
    Ok(match path {
        Some(path) => (
            Box::new(SqliteStore::open(path)?),
            Carts::new(Box::new(SqliteCarts::open(path)?), hold_ms),
        ),
        None => (
            Box::new(SqliteStore::in_memory()?),
            Carts::new(Box::new(SqliteCarts::in_memory()?), hold_ms),
        ),
    })
}

/// PostgreSQL, shared by every instance that names it.
fn postgres_stores(pool: deadpool_postgres::Pool, hold_ms: i64) -> Stores {
    use live_shop_server::postgres::{PgCarts, PgOverlays};
    (
        Box::new(PgOverlays::new(pool.clone())),
        live_shop_server::carts::Carts::new(Box::new(PgCarts::new(pool)), hold_ms),
    )
}

/// The shop's own list from `--catalog`: its files and addresses, read and imported.
fn read_catalog(config: &Config) -> Result<Catalog, String> {
    // A Shopify list fetched from the store gives the store's origin for its links.
    let store = config.catalog_store.clone().or_else(|| {
        config
            .catalog
            .iter()
            .find(|source| live_shop_server::fetch::is_url(source))
            .and_then(|url| live_shop_core::url::origin_of(url))
    });
    let files = live_shop_server::catalog::read_sources(&config.catalog)?;
    let (catalog, skipped) =
        Catalog::load(&files, store.as_deref(), config.catalog_currency.as_deref())
            .map_err(|e| e.to_string())?;
    eprintln!(
        "live-shop-server: {} products from --catalog{}",
        catalog.products.len(),
        if skipped > 0 {
            format!(" ({skipped} skipped: no id, title or price)")
        } else {
            String::new()
        }
    );
    Ok(catalog)
}
