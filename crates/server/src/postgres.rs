//! PostgreSQL, for any number of server instances behind a load balancer: the shop's catalog,
//! the shoppers' carts, the flash deals' stock and the videos' manifests live in one database,
//! so every instance sells the same products, any instance answers any shopper and no deal
//! oversells across them. The schema comes from
//! `crates/server/migrations/`, applied in order at start-up by whichever instance starts first.
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use live_shop_core::protocol::{CartItemResponse, Millis, Product};
use tokio_postgres::NoTls;

use crate::carts::{
    answer_for, count, Add, Added, CartStore, DealStock, Refused, Returned, CART_KEPT_MS,
    MOST_OF_ONE,
};
use crate::catalog::Catalog;
use crate::overlays::{Expect, OverlayStore, StoreError, Stored};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_carts_and_overlays.sql")),
    (2, include_str!("../migrations/0002_catalog.sql")),
];

/// Any number for the advisory lock that lets one instance migrate at a time.
const MIGRATION_LOCK: i64 = 0x6c69_7665_7368_6f70;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::new(format!("postgres: {e}"))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::new(format!("postgres pool: {e}"))
    }
}

/// Connects a pool of at most `size` connections to `url` (`postgres://user@host:port/db`) and
/// brings the schema up to date.
pub async fn connect(url: &str, size: usize) -> Result<Pool, StoreError> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::new(format!("--database {url}: {e}")))?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| StoreError::new(format!("postgres pool: {e}")))?;
    migrate(&pool).await?;
    Ok(pool)
}

async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await?;
        for (version, sql) in MIGRATIONS {
            let tx = client.transaction().await?;
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
            }
            tx.commit().await?;
        }
        Ok::<(), StoreError>(())
    }
    .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result
}

/// Makes `catalog` the database's catalog, replacing the one before, in one transaction: an
/// instance that reads meanwhile gets the old catalog or the new one, never a mix.
/// `source` says where it was read from.
pub async fn store_catalog(pool: &Pool, catalog: &Catalog, source: &str) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE catalog IN EXCLUSIVE MODE; DELETE FROM catalog_products")
        .await?;
    tx.execute(
        "INSERT INTO catalog (source, shelf_step, stored_at) VALUES ($1, $2, $3)
         ON CONFLICT (only_one) DO UPDATE
         SET source = EXCLUDED.source, shelf_step = EXCLUDED.shelf_step,
             stored_at = EXCLUDED.stored_at",
        &[&source, &big(catalog.shelf_step()), &crate::now_ms()],
    )
    .await?;
    insert_products(&tx, catalog).await?;
    tx.commit().await?;
    Ok(())
}

/// The database's catalog. A database that has none yet gets `seed()` (the sample shop), once
/// however many instances start at the same moment; the flag says whether this call stored it.
pub async fn shared_catalog(
    pool: &Pool,
    seed: impl FnOnce() -> Result<Catalog, StoreError>,
) -> Result<(Catalog, bool), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // Read under a share lock: a --catalog instance replacing the catalog waits, and so do we.
    tx.batch_execute("LOCK TABLE catalog IN SHARE MODE").await?;
    if let Some(catalog) = read_catalog(&tx).await? {
        tx.commit().await?;
        return Ok((catalog, false));
    }
    tx.rollback().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE catalog IN EXCLUSIVE MODE")
        .await?;
    // Another instance may have stored it between the two transactions.
    if let Some(catalog) = read_catalog(&tx).await? {
        tx.commit().await?;
        return Ok((catalog, false));
    }
    let catalog = seed()?;
    tx.execute(
        "INSERT INTO catalog (source, shelf_step, stored_at) VALUES ('the sample shop', $1, $2)",
        &[&big(catalog.shelf_step()), &crate::now_ms()],
    )
    .await?;
    insert_products(&tx, &catalog).await?;
    tx.commit().await?;
    Ok((catalog, true))
}

/// A count or position as PostgreSQL's BIGINT.
fn big(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn insert_products(
    tx: &deadpool_postgres::Transaction<'_>,
    catalog: &Catalog,
) -> Result<(), StoreError> {
    let mut positions = Vec::with_capacity(catalog.products.len());
    let mut ids = Vec::with_capacity(catalog.products.len());
    let mut jsons = Vec::with_capacity(catalog.products.len());
    for (position, product) in catalog.products.iter().enumerate() {
        positions.push(big(position));
        ids.push(product.id.clone());
        jsons.push(
            serde_json::to_string(product)
                .map_err(|e| StoreError::new(format!("product {:?}: {e}", product.id)))?,
        );
    }
    tx.execute(
        "INSERT INTO catalog_products (position, id, json)
         SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[])",
        &[&positions, &ids, &jsons],
    )
    .await?;
    Ok(())
}

async fn read_catalog(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<Option<Catalog>, StoreError> {
    let Some(head) = tx.query_opt("SELECT shelf_step FROM catalog", &[]).await? else {
        return Ok(None);
    };
    let shelf_step: i64 = head.get(0);
    let rows = tx
        .query(
            "SELECT id, json FROM catalog_products ORDER BY position",
            &[],
        )
        .await?;
    let products = rows
        .iter()
        .map(|row| {
            let id: &str = row.get(0);
            let json: &str = row.get(1);
            live_shop_core::json::decode::<Product>(json.as_bytes()).map_err(|e| {
                StoreError::new(format!("the database's product {id:?} is unreadable: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Catalog::from_parts(
        products,
        usize::try_from(shelf_step).unwrap_or(1),
    )))
}

/// Carts and deal stock in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgCarts {
    pool: Pool,
}

impl PgCarts {
    /// Carts in the pool's database.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[async_trait::async_trait]
impl CartStore for PgCarts {
    async fn open_deal(&self, deal: &DealStock) -> Result<(), StoreError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO deal_stock (deal, product, units, per_shopper, ends_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deal) DO NOTHING",
                &[
                    &deal.deal_id,
                    &deal.product_id,
                    &i64::from(deal.units),
                    &deal.limit_per_shopper.map(i64::from),
                    &deal.ends_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn add(&self, add: &Add<'_>) -> Result<Result<Added, Refused>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The cart's row is locked for the add: one cart's adds take their turns, so two of
        // them cannot both pass the limit per shopper.
        let named = match add.cart {
            Some(token) => tx
                .query_opt(
                    "SELECT token FROM carts WHERE token = $1 FOR UPDATE",
                    &[&token],
                )
                .await?
                .map(|r| r.get::<_, String>(0)),
            None => None,
        };
        let cart = match named {
            Some(cart) => cart,
            None => {
                tx.execute(
                    "INSERT INTO carts (token, opened_by, touched_at) VALUES ($1, $2, $3)
                     ON CONFLICT (opened_by) DO NOTHING",
                    &[&add.new_token, &add.key, &add.now],
                )
                .await?;
                tx.query_one(
                    "SELECT token FROM carts WHERE opened_by = $1 FOR UPDATE",
                    &[&add.key],
                )
                .await?
                .get(0)
            }
        };
        let earlier = tx
            .query_opt(
                "SELECT request, answer FROM cart_keys WHERE cart = $1 AND key = $2",
                &[&cart, &add.key],
            )
            .await?;
        if let Some(row) = earlier {
            if row.get::<_, &str>(0) != add.request {
                return Ok(Err(Refused::KeyReused));
            }
            let answer =
                live_shop_core::json::decode::<CartItemResponse>(row.get::<_, &str>(1).as_bytes())
                    .map_err(|e| StoreError::new(format!("a stored cart answer: {e}")))?;
            return Ok(Ok(Added::Replayed(answer)));
        }
        if add.stale_price {
            return Ok(Err(Refused::PriceChanged));
        }
        let deal = add.deal.unwrap_or_default();
        let held = count(
            tx.query_one(
                "SELECT COALESCE(SUM(quantity), 0)::BIGINT FROM cart_lines
                 WHERE cart = $1 AND product = $2 AND deal = $3",
                &[&cart, &add.product_id, &deal],
            )
            .await?
            .get(0),
        );
        if held + add.quantity > MOST_OF_ONE {
            return Ok(Err(Refused::LineFull(held)));
        }
        let quantity = i64::from(add.quantity);
        let (mut deal_left, mut held_until) = (None, None);
        if let Some(deal) = add.deal {
            let stock = tx
                .query_opt(
                    "SELECT per_shopper FROM deal_stock WHERE deal = $1",
                    &[&deal],
                )
                .await?;
            if let Some(stock) = stock {
                if let Some(limit) = stock.get::<_, Option<i64>>(0).map(count) {
                    if held + add.quantity > limit {
                        return Ok(Err(Refused::LimitReached(limit)));
                    }
                }
                // The one statement that decides who gets the last units, whichever instance
                // each buyer reached.
                let left = tx
                    .query_opt(
                        "UPDATE deal_stock SET taken = taken + $2
                         WHERE deal = $1 AND taken + $2 <= units
                         RETURNING units - taken",
                        &[&deal, &quantity],
                    )
                    .await?;
                let Some(left) = left else {
                    return Ok(Err(Refused::SoldOut));
                };
                deal_left = Some(count(left.get(0)));
                held_until = Some(add.now + add.hold_ms);
            }
        }
        tx.execute(
            "INSERT INTO cart_lines (cart, product, deal, quantity, held_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (cart, product, deal)
             DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity,
                           held_until = excluded.held_until",
            &[&cart, &add.product_id, &deal, &quantity, &held_until],
        )
        .await?;
        let item_count = count(
            tx.query_one(
                "SELECT COALESCE(SUM(quantity), 0)::BIGINT FROM cart_lines WHERE cart = $1",
                &[&cart],
            )
            .await?
            .get(0),
        );
        let (answer, stored) = answer_for(&cart, add, item_count, held_until)?;
        tx.execute(
            "INSERT INTO cart_keys (cart, key, request, answer) VALUES ($1, $2, $3, $4)",
            &[&cart, &add.key, &add.request, &stored],
        )
        .await?;
        tx.execute(
            "UPDATE carts SET touched_at = $2 WHERE token = $1",
            &[&cart, &add.now],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Added::New { answer, deal_left }))
    }

    async fn expire(&self, now: Millis) -> Result<Vec<Returned>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Every instance runs this each second; the lines are taken by one of them only.
        let ran_out = tx
            .query(
                "DELETE FROM cart_lines WHERE held_until IS NOT NULL AND held_until <= $1
                 RETURNING deal, quantity",
                &[&now],
            )
            .await?;
        let mut by_deal: Vec<(String, i64)> = Vec::new();
        for row in ran_out {
            let (deal, quantity): (String, i64) = (row.get(0), row.get(1));
            match by_deal.iter_mut().find(|(d, _)| *d == deal) {
                Some((_, sum)) => *sum += quantity,
                None => by_deal.push((deal, quantity)),
            }
        }
        let mut returned = Vec::new();
        for (deal, quantity) in by_deal {
            let row = tx
                .query_opt(
                    "UPDATE deal_stock SET taken = GREATEST(taken - $2, 0) WHERE deal = $1
                     RETURNING product, units - taken",
                    &[&deal, &quantity],
                )
                .await?;
            if let Some(row) = row {
                returned.push(Returned {
                    deal_id: deal,
                    product_id: row.get(0),
                    left: count(row.get(1)),
                });
            }
        }
        let forgotten = now - CART_KEPT_MS;
        tx.execute("DELETE FROM carts WHERE touched_at < $1", &[&forgotten])
            .await?;
        tx.execute("DELETE FROM deal_stock WHERE ends_at < $1", &[&forgotten])
            .await?;
        tx.commit().await?;
        Ok(returned)
    }

    async fn left(&self, deal_id: &str) -> Result<Option<u32>, StoreError> {
        Ok(self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT units - taken FROM deal_stock WHERE deal = $1",
                &[&deal_id],
            )
            .await?
            .map(|row| count(row.get(0))))
    }
}

/// Videos' manifests in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgOverlays {
    pool: Pool,
}

impl PgOverlays {
    /// Manifests in the pool's database.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

fn stored(row: &tokio_postgres::Row) -> Stored {
    Stored {
        json: row.get(0),
        version: row.get::<_, i64>(1).unsigned_abs(),
        saved_at: row.get(2),
    }
}

const LATEST: &str = "SELECT json, version, saved_at FROM overlay_versions
                      WHERE video = $1 ORDER BY version DESC LIMIT 1";

#[async_trait::async_trait]
impl OverlayStore for PgOverlays {
    async fn latest(&self, video: &str) -> Result<Option<Stored>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(LATEST, &[&video])
            .await?
            .as_ref()
            .map(stored))
    }

    async fn save(
        &self,
        video: &str,
        json: &str,
        expect: &Expect,
        now: i64,
    ) -> Result<Result<Stored, Option<Stored>>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Saves of one video take their turns, whichever instance each reached.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&video])
            .await?;
        let current = tx.query_opt(LATEST, &[&video]).await?.as_ref().map(stored);
        if !expect.holds(current.as_ref()) {
            return Ok(Err(current));
        }
        let version = current.map_or(1, |c| c.version + 1);
        tx.execute(
            "INSERT INTO overlay_versions (video, version, json, saved_at) VALUES ($1, $2, $3, $4)",
            &[
                &video,
                &i64::try_from(version).unwrap_or(i64::MAX),
                &json,
                &now,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Stored {
            json: json.to_string(),
            version,
            saved_at: now,
        }))
    }

    async fn history(&self, video: &str) -> Result<Vec<(u64, i64)>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query(
                "SELECT version, saved_at FROM overlay_versions WHERE video = $1 ORDER BY version",
                &[&video],
            )
            .await?
            .iter()
            .map(|row| (row.get::<_, i64>(0).unsigned_abs(), row.get(1)))
            .collect())
    }
}
