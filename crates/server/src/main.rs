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
    let catalog = if config.catalog.is_empty() {
        match Catalog::embedded() {
            Ok(catalog) => catalog,
            Err(e) => {
                eprintln!("live-shop-server: the embedded catalog is invalid: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        // A Shopify list fetched from the store gives the store's origin for its links.
        let store = config.catalog_store.clone().or_else(|| {
            config
                .catalog
                .iter()
                .find(|source| live_shop_server::fetch::is_url(source))
                .and_then(|url| live_shop_core::url::origin_of(url))
        });
        let loaded = live_shop_server::catalog::read_sources(&config.catalog).and_then(|files| {
            Catalog::load(&files, store.as_deref(), config.catalog_currency.as_deref())
                .map_err(|e| e.to_string())
        });
        match loaded {
            Ok((catalog, skipped)) => {
                eprintln!(
                    "live-shop-server: {} products from --catalog{}",
                    catalog.products.len(),
                    if skipped > 0 {
                        format!(" ({skipped} skipped: no id, title or price)")
                    } else {
                        String::new()
                    }
                );
                catalog
            }
            Err(e) => {
                eprintln!("live-shop-server: {e}");
                return ExitCode::from(2);
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
            ) {
                Ok(search) => Some(search),
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
    let stores = match &config.database {
        Some(url) => postgres_stores(url, config.cart_hold_ms).await,
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
    let hub = match &config.bus {
        Some(url) => {
            let shared = match live_shop_server::bus::RedisBus::connect(url).await {
                Ok(bus) => live_shop_server::hub::Hub::shared(&bus, catalog.demo_shelf()).await,
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
async fn postgres_stores(
    url: &str,
    hold_ms: i64,
) -> Result<Stores, live_shop_server::overlays::StoreError> {
    use live_shop_server::postgres::{connect, PgCarts, PgOverlays};
    let pool = connect(url, 16).await?;
    Ok((
        Box::new(PgOverlays::new(pool.clone())),
        live_shop_server::carts::Carts::new(Box::new(PgCarts::new(pool)), hold_ms),
    ))
}
