//! Shoppers' carts and flash-deal stock: the store behind `POST /v1/cart/items`.
//!
//! Every page session gets its own cart, named by an opaque token the server makes on its first
//! add (no cookie: the widget sends it back as `Cart-Token`). Idempotency keys belong to a cart.
//! An add at a flash deal's price takes units from the deal in one conditional `UPDATE`, so two
//! shoppers can never both get the last unit, and holds them for the cart for a while: a hold
//! that runs out gives its units back to the deal. [`CartStore`] is the seam for other
//! databases; [`SqliteCarts`] is the default, in the server's SQLite file or in memory.
use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex};

use live_shop_core::cart::{check_price, Refusal};
use live_shop_core::protocol::{
    Availability, CartItemRequest, CartItemResponse, Change, DealStatus, EndReason, FlashDeal,
    Millis, StreamEvent,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::bus::BusError;
use crate::catalog::Catalog;
use crate::error::ApiError;
use crate::hub::{Guard, Hub, LiveStream};
use crate::now_ms;
use crate::overlays::StoreError;

/// Most of one product one cart line holds.
pub const MOST_OF_ONE: u32 = 99;

/// A cart nobody added to for this long is forgotten, with its keys.
pub(crate) const CART_KEPT_MS: Millis = 24 * 3600 * 1000;

/// A flash deal's units, as the cart sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealStock {
    /// The deal.
    pub deal_id: String,
    /// Its product.
    pub product_id: String,
    /// Units on sale at the deal price.
    pub units: u32,
    /// Most units one cart may hold.
    pub limit_per_shopper: Option<u32>,
    /// Its scheduled end, server time.
    pub ends_at: Millis,
}

/// One add, as the API read it.
#[derive(Clone, Debug)]
pub struct Add<'a> {
    /// The token the shopper sent, if any. An unknown one (a cart forgotten, a server that
    /// started again) opens a new cart rather than failing the shopper.
    pub cart: Option<&'a str>,
    /// The `Idempotency-Key`.
    pub key: &'a str,
    /// The request, as sent, to tell a retry from a reused key.
    pub request: &'a str,
    /// The product.
    pub product_id: &'a str,
    /// How many.
    pub quantity: u32,
    /// The running flash deal whose units this add takes, if it is at a deal's price.
    pub deal: Option<&'a str>,
    /// The price the shopper saw is not the live one: refused, unless it is a retry of an add
    /// that was taken (its answer stands).
    pub stale_price: bool,
    /// The token a new cart gets.
    pub new_token: &'a str,
    /// Server time.
    pub now: Millis,
    /// How long a deal's units stay held for the cart.
    pub hold_ms: Millis,
}

/// An add the cart took.
#[derive(Clone, Debug, PartialEq)]
pub enum Added {
    /// Added now; `deal_left` is the deal's units left after it, for a deal's add.
    New {
        /// The answer.
        answer: CartItemResponse,
        /// Units of the deal left.
        deal_left: Option<u32>,
    },
    /// The same request with the same key came before: its answer again.
    Replayed(CartItemResponse),
}

/// An add the cart refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The key came before with another request.
    KeyReused,
    /// The price the shopper saw is not the live one.
    PriceChanged,
    /// The line would hold more than [`MOST_OF_ONE`]; it holds this many.
    LineFull(u32),
    /// The deal has fewer units left than asked.
    SoldOut,
    /// The cart would hold more of the deal than one shopper may buy: the limit.
    LimitReached(u32),
}

/// Units that went back to a deal when holds ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returned {
    /// The deal.
    pub deal_id: String,
    /// Its product.
    pub product_id: String,
    /// Units of the deal left now.
    pub left: u32,
}

/// Where carts and deal stock live.
#[async_trait::async_trait]
pub trait CartStore: Send + Sync + Debug {
    /// Puts a deal's units on sale; a deal already known keeps its count.
    async fn open_deal(&self, deal: &DealStock) -> Result<(), StoreError>;
    /// Adds to a cart, all or nothing: the cart, its key, its line and the deal's units.
    async fn add(&self, add: &Add<'_>) -> Result<Result<Added, Refused>, StoreError>;
    /// Gives back the units of holds that ran out by `now`, and forgets old carts.
    async fn expire(&self, now: Millis) -> Result<Vec<Returned>, StoreError>;
    /// Units of a deal left, if the deal is known.
    async fn left(&self, deal_id: &str) -> Result<Option<u32>, StoreError>;
}

/// SQLite, through rusqlite with SQLite compiled in. The statements are plain SQL that
/// PostgreSQL runs as well.
#[derive(Debug)]
pub struct SqliteCarts {
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS carts (
        token TEXT PRIMARY KEY,
        opened_by TEXT NOT NULL UNIQUE,
        touched_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cart_lines (
        cart TEXT NOT NULL,
        product TEXT NOT NULL,
        deal TEXT NOT NULL DEFAULT '',
        quantity INTEGER NOT NULL,
        held_until INTEGER,
        PRIMARY KEY (cart, product, deal)
    );
    CREATE INDEX IF NOT EXISTS cart_lines_held ON cart_lines (held_until)
        WHERE held_until IS NOT NULL;
    CREATE TABLE IF NOT EXISTS cart_keys (
        cart TEXT NOT NULL,
        key TEXT NOT NULL,
        request TEXT NOT NULL,
        answer TEXT NOT NULL,
        PRIMARY KEY (cart, key)
    );
    CREATE TABLE IF NOT EXISTS deal_stock (
        deal TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        units INTEGER NOT NULL,
        taken INTEGER NOT NULL DEFAULT 0,
        per_shopper INTEGER,
        ends_at INTEGER NOT NULL
    );";

impl SqliteCarts {
    /// Opens (creating) the carts in the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(crate::overlays::open_shared(path)?)
    }

    /// Carts that live as long as the server.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(db: Connection) -> Result<Self, StoreError> {
        db.execute_batch(&format!("PRAGMA journal_mode = WAL; {SCHEMA}"))?;
        Ok(Self { db: Mutex::new(db) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The answer to a new add, and the same as stored with its key for retries.
pub(crate) fn answer_for(
    cart: &str,
    add: &Add<'_>,
    item_count: u32,
    held_until: Option<Millis>,
) -> Result<(CartItemResponse, String), StoreError> {
    let answer = CartItemResponse {
        cart_token: cart.to_string(),
        line_id: match add.deal {
            Some(deal) => format!("{}@{deal}", add.product_id),
            None => add.product_id.to_string(),
        },
        item_count,
        held_until,
        server_time: add.now,
    };
    let stored = serde_json::to_string(&answer).map_err(|e| StoreError::new(e.to_string()))?;
    Ok((answer, stored))
}

/// A count from the database, never negative.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait::async_trait]
impl CartStore for SqliteCarts {
    async fn open_deal(&self, deal: &DealStock) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO deal_stock (deal, product, units, per_shopper, ends_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (deal) DO NOTHING",
            params![
                deal.deal_id,
                deal.product_id,
                deal.units,
                deal.limit_per_shopper,
                deal.ends_at
            ],
        )?;
        Ok(())
    }

    async fn add(&self, add: &Add<'_>) -> Result<Result<Added, Refused>, StoreError> {
        let mut db = self.lock();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The cart: the one named, else the one this key opened (a retried first add), else a
        // new one.
        let named = match add.cart {
            Some(token) => tx
                .query_row(
                    "SELECT token FROM carts WHERE token = ?1",
                    params![token],
                    |r| r.get::<_, String>(0),
                )
                .optional()?,
            None => None,
        };
        let cart = match named {
            Some(cart) => cart,
            None => match tx
                .query_row(
                    "SELECT token FROM carts WHERE opened_by = ?1",
                    params![add.key],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            {
                Some(cart) => cart,
                None => {
                    tx.execute(
                        "INSERT INTO carts (token, opened_by, touched_at) VALUES (?1, ?2, ?3)",
                        params![add.new_token, add.key, add.now],
                    )?;
                    add.new_token.to_string()
                }
            },
        };
        let earlier: Option<(String, String)> = tx
            .query_row(
                "SELECT request, answer FROM cart_keys WHERE cart = ?1 AND key = ?2",
                params![cart, add.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((request, answer)) = earlier {
            if request != add.request {
                return Ok(Err(Refused::KeyReused));
            }
            let answer = live_shop_core::json::decode::<CartItemResponse>(answer.as_bytes())
                .map_err(|e| StoreError::new(format!("a stored cart answer: {e}")))?;
            return Ok(Ok(Added::Replayed(answer)));
        }
        if add.stale_price {
            return Ok(Err(Refused::PriceChanged));
        }
        let deal = add.deal.unwrap_or_default();
        let held: u32 = count(tx.query_row(
            "SELECT COALESCE(SUM(quantity), 0) FROM cart_lines
                 WHERE cart = ?1 AND product = ?2 AND deal = ?3",
            params![cart, add.product_id, deal],
            |r| r.get(0),
        )?);
        if held + add.quantity > MOST_OF_ONE {
            return Ok(Err(Refused::LineFull(held)));
        }
        let mut deal_left = None;
        let mut held_until = None;
        if let Some(deal) = add.deal {
            let stock: Option<Option<i64>> = tx
                .query_row(
                    "SELECT per_shopper FROM deal_stock WHERE deal = ?1",
                    params![deal],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(per_shopper) = stock {
                if let Some(limit) = per_shopper.map(count) {
                    if held + add.quantity > limit {
                        return Ok(Err(Refused::LimitReached(limit)));
                    }
                }
                // The one statement that decides who gets the last units.
                let taken = tx.execute(
                    "UPDATE deal_stock SET taken = taken + ?2
                     WHERE deal = ?1 AND taken + ?2 <= units",
                    params![deal, add.quantity],
                )?;
                if taken == 0 {
                    return Ok(Err(Refused::SoldOut));
                }
                deal_left = Some(count(tx.query_row(
                    "SELECT units - taken FROM deal_stock WHERE deal = ?1",
                    params![deal],
                    |r| r.get(0),
                )?));
                held_until = Some(add.now + add.hold_ms);
            }
        }
        tx.execute(
            "INSERT INTO cart_lines (cart, product, deal, quantity, held_until)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (cart, product, deal)
             DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity,
                           held_until = excluded.held_until",
            params![cart, add.product_id, deal, add.quantity, held_until],
        )?;
        let item_count = count(tx.query_row(
            "SELECT COALESCE(SUM(quantity), 0) FROM cart_lines WHERE cart = ?1",
            params![cart],
            |r| r.get(0),
        )?);
        let (answer, stored) = answer_for(&cart, add, item_count, held_until)?;
        tx.execute(
            "INSERT INTO cart_keys (cart, key, request, answer) VALUES (?1, ?2, ?3, ?4)",
            params![cart, add.key, add.request, stored],
        )?;
        tx.execute(
            "UPDATE carts SET touched_at = ?2 WHERE token = ?1",
            params![cart, add.now],
        )?;
        tx.commit()?;
        Ok(Ok(Added::New { answer, deal_left }))
    }

    async fn expire(&self, now: Millis) -> Result<Vec<Returned>, StoreError> {
        let mut db = self.lock();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ran_out: Vec<(String, i64)> = {
            let mut query = tx.prepare(
                "SELECT deal, SUM(quantity) FROM cart_lines
                 WHERE held_until IS NOT NULL AND held_until <= ?1 GROUP BY deal",
            )?;
            let rows = query.query_map(params![now], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut returned = Vec::new();
        for (deal, quantity) in ran_out {
            tx.execute(
                "UPDATE deal_stock SET taken = CASE WHEN taken > ?2 THEN taken - ?2 ELSE 0 END
                 WHERE deal = ?1",
                params![deal, quantity],
            )?;
            let now_left: Option<(String, i64)> = tx
                .query_row(
                    "SELECT product, units - taken FROM deal_stock WHERE deal = ?1",
                    params![deal],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((product_id, left)) = now_left {
                returned.push(Returned {
                    deal_id: deal,
                    product_id,
                    left: count(left),
                });
            }
        }
        tx.execute(
            "DELETE FROM cart_lines WHERE held_until IS NOT NULL AND held_until <= ?1",
            params![now],
        )?;
        let forgotten = now - CART_KEPT_MS;
        tx.execute(
            "DELETE FROM cart_lines WHERE cart IN (SELECT token FROM carts WHERE touched_at < ?1)",
            params![forgotten],
        )?;
        tx.execute(
            "DELETE FROM cart_keys WHERE cart IN (SELECT token FROM carts WHERE touched_at < ?1)",
            params![forgotten],
        )?;
        tx.execute(
            "DELETE FROM carts WHERE touched_at < ?1",
            params![forgotten],
        )?;
        tx.execute(
            "DELETE FROM deal_stock WHERE ends_at < ?1",
            params![forgotten],
        )?;
        tx.commit()?;
        Ok(returned)
    }

    async fn left(&self, deal_id: &str) -> Result<Option<u32>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT units - taken FROM deal_stock WHERE deal = ?1",
                params![deal_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(count))
    }
}

/// How long a deal's units stay held for a cart by default: long enough to pay, short enough
/// that an abandoned cart gives them back during the show.
pub const DEFAULT_HOLD_MS: Millis = 10 * 60 * 1000;

/// The carts of this server, with the rules around the store: which price applies, which
/// deal an add takes units from, and telling every viewer how many are left.
#[derive(Debug)]
pub struct Carts {
    store: Box<dyn CartStore>,
    hold_ms: Millis,
}

impl Carts {
    /// Carts in `store`, holding deal units for `hold_ms`.
    pub fn new(store: Box<dyn CartStore>, hold_ms: Millis) -> Self {
        Self { store, hold_ms }
    }

    /// Carts in memory, with the default hold.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::new(
            Box::new(SqliteCarts::in_memory()?),
            DEFAULT_HOLD_MS,
        ))
    }

    /// Schedules `deal` on `stream` with its units on sale.
    pub async fn run_deal(
        &self,
        stream: &Arc<LiveStream>,
        deal: FlashDeal,
    ) -> Result<(), ApiError> {
        if let Some(units) = deal.stock_limit {
            self.store
                .open_deal(&DealStock {
                    deal_id: deal.id.clone(),
                    product_id: deal.product_id.clone(),
                    units,
                    limit_per_shopper: deal.limit_per_shopper,
                    ends_at: deal.ends_at,
                })
                .await?;
        }
        stream.run_deal(deal).await?;
        Ok(())
    }

    /// Adds to the shopper's cart at the price that applies now: a running deal's (taking its
    /// units), else the shelf's or the catalog's. The answer, and whether it is a replay.
    pub async fn add(
        &self,
        hub: &Hub,
        catalog: &Catalog,
        cart: Option<&str>,
        key: &str,
        request: &CartItemRequest,
    ) -> Result<(CartItemResponse, bool), ApiError> {
        if !(1..=MOST_OF_ONE).contains(&request.quantity) {
            return Err(ApiError::Unprocessable(format!(
                "quantity must be 1 to {MOST_OF_ONE}"
            )));
        }
        let now = now_ms();
        // The first stream whose show prices the product (a running deal first), else the
        // catalog.
        let streams = hub.streams();
        let quoted = streams
            .iter()
            .filter_map(|stream| {
                stream
                    .with_show(|show| {
                        show.price_now(&request.product_id, now)
                            .map(|(offer, deal)| (offer.clone(), deal.map(|d| d.id.clone())))
                    })
                    .map(|(offer, deal)| (offer, deal.map(|d| (d, stream))))
            })
            .min_by_key(|(_, deal)| deal.is_none());
        let (live, deal) = match quoted {
            Some(quote) => quote,
            None => match catalog.get(&request.product_id).and_then(|p| p.offer()) {
                Some(offer) => (offer.clone(), None),
                None => {
                    return Err(ApiError::Unprocessable(format!(
                        "product {} does not exist",
                        crate::error::quoted(&request.product_id)
                    )))
                }
            },
        };
        // A shopper who pressed at the deal's price as it sold out is told it sold out.
        let seen_sold_out = request.offer.as_ref().is_some_and(|seen| {
            streams.iter().any(|stream| {
                stream.with_show(|show| {
                    show.flash_deals.iter().any(|d| {
                        d.product_id == request.product_id
                            && d.end_reason == Some(EndReason::SoldOut)
                            && check_price(Some(seen), &d.offer).is_ok()
                    })
                })
            })
        });
        let token = new_token();
        let body = request.to_json();
        let add = Add {
            cart,
            key,
            request: &body,
            product_id: &request.product_id,
            quantity: request.quantity,
            deal: deal.as_ref().map(|(id, _)| id.as_str()),
            stale_price: check_price(request.offer.as_ref(), &live).is_err(),
            new_token: &token,
            now,
            hold_ms: self.hold_ms,
        };
        match self.store.add(&add).await? {
            Ok(Added::Replayed(answer)) => Ok((answer, true)),
            Ok(Added::New { answer, deal_left }) => {
                if let (Some((deal_id, stream)), Some(left)) = (&deal, deal_left) {
                    // The add is taken; viewers catch up with the next count if this fails.
                    if let Err(e) = tell_stock(stream, deal_id, left, false).await {
                        eprintln!("live-shop-server: {e}");
                    }
                }
                Ok((answer, false))
            }
            Err(Refused::KeyReused) => Err(ApiError::KeyReused),
            Err(Refused::PriceChanged) if seen_sold_out => Err(ApiError::Refused(
                Refusal::SoldOut,
                "the deal sold out".into(),
                None,
            )),
            Err(Refused::PriceChanged) => Err(ApiError::Refused(
                Refusal::PriceChanged,
                format!(
                    "the price is now {} {}",
                    live.price.get(),
                    live.price_currency.as_str()
                ),
                Some(Box::new(live.clone())),
            )),
            Err(Refused::LineFull(held)) => Err(ApiError::Unprocessable(format!(
                "the cart holds {held} of this product; at most {MOST_OF_ONE} fit"
            ))),
            Err(Refused::SoldOut) => Err(ApiError::Refused(
                Refusal::SoldOut,
                "the deal has fewer units left than asked".into(),
                None,
            )),
            Err(Refused::LimitReached(limit)) => Err(ApiError::Refused(
                Refusal::LimitReached,
                format!("one shopper may buy at most {limit} of this deal"),
                None,
            )),
        }
    }

    /// Gives back the units of holds that ran out, telling the viewers of running deals.
    pub async fn expire(&self, hub: &Hub, now: Millis) -> Result<(), ApiError> {
        for returned in self.store.expire(now).await? {
            for stream in hub.streams() {
                tell_stock(&stream, &returned.deal_id, returned.left, true).await?;
            }
        }
        Ok(())
    }

    /// Units of a deal left, if it has a count.
    pub async fn left(&self, deal_id: &str) -> Result<Option<u32>, StoreError> {
        self.store.left(deal_id).await
    }
}

/// Tells every viewer of `stream` that `left` units of a running deal are left, and that it
/// sold out when none are. An add's count (`returned` false) is told only when it is lower
/// than the one shown, so two adds that finish in either order leave viewers with the lower
/// count; units given back (`returned`) raise it. The bus decides ([`Guard::Stock`]), so this
/// holds across instances too. The events published.
pub async fn tell_stock(
    stream: &Arc<LiveStream>,
    deal_id: &str,
    left: u32,
    returned: bool,
) -> Result<Vec<Arc<StreamEvent>>, BusError> {
    let Some(product_id) = stream.with_show(|show| {
        show.flash_deals
            .iter()
            .find(|d| d.id == deal_id && d.status == DealStatus::Running)
            .map(|d| d.product_id.clone())
    }) else {
        return Ok(Vec::new());
    };
    let mut changes = vec![Change::StockChanged {
        product_id,
        inventory_level: Some(left),
        availability: match left {
            0 => Availability::SoldOut,
            1..=9 => Availability::LimitedAvailability,
            _ => Availability::InStock,
        },
    }];
    if left == 0 {
        changes.push(Change::FlashDealEnded {
            deal_id: deal_id.to_string(),
            reason: EndReason::SoldOut,
        });
    }
    let guard = Guard::Stock {
        deal_id: deal_id.to_string(),
        left,
        returned,
    };
    stream.publish_guarded(changes, guard).await
}

/// 128 random bits, in hex: a cart's token.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: time and a counter still make tokens nobody else holds.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&now_ms().to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What every [`CartStore`] must do, run on SQLite here and on PostgreSQL by the server's
/// tests; each takes a store that holds nothing yet.
#[doc(hidden)]
// A failed unwrap is a failed test.
#[allow(clippy::unwrap_used, clippy::panic, missing_docs)]
pub mod conformance {
    use super::*;

    fn add<'a>(cart: Option<&'a str>, key: &'a str, deal: Option<&'a str>, q: u32) -> Add<'a> {
        Add {
            cart,
            key,
            request: key,
            product_id: "p02",
            quantity: q,
            deal,
            stale_price: false,
            new_token: key,
            now: 1_000,
            hold_ms: 60_000,
        }
    }

    fn deal(units: u32, per_shopper: Option<u32>) -> DealStock {
        DealStock {
            deal_id: "d".into(),
            product_id: "p02".into(),
            units,
            limit_per_shopper: per_shopper,
            ends_at: 50_000,
        }
    }

    fn new(result: Result<Result<Added, Refused>, StoreError>) -> (CartItemResponse, Option<u32>) {
        match result.unwrap() {
            Ok(Added::New { answer, deal_left }) => (answer, deal_left),
            other => panic!("expected a new add, got {other:?}"),
        }
    }

    pub async fn each_page_session_has_its_own_cart(carts: &dyn CartStore) {
        let (first, _) = new(carts.add(&add(None, "a1", None, 1)).await);
        let (other, _) = new(carts.add(&add(None, "b1", None, 2)).await);
        assert_ne!(first.cart_token, other.cart_token);
        let (again, _) = new(carts
            .add(&add(Some(&first.cart_token), "a2", None, 1))
            .await);
        assert_eq!(again.cart_token, first.cart_token);
        assert_eq!((again.item_count, other.item_count), (2, 2));
    }

    pub async fn a_retried_first_add_finds_the_cart_it_opened(carts: &dyn CartStore) {
        let (first, _) = new(carts.add(&add(None, "k", None, 1)).await);
        let retry = Add {
            new_token: "other",
            ..add(None, "k", None, 1)
        };
        assert_eq!(
            carts.add(&retry).await.unwrap(),
            Ok(Added::Replayed(first.clone()))
        );
        let reused = Add {
            request: "another body",
            ..add(Some(&first.cart_token), "k", None, 1)
        };
        assert_eq!(carts.add(&reused).await.unwrap(), Err(Refused::KeyReused));
    }

    pub async fn a_stale_price_is_refused_but_a_retry_of_a_taken_add_stands(carts: &dyn CartStore) {
        let (first, _) = new(carts.add(&add(None, "k", None, 1)).await);
        let stale = |key| Add {
            stale_price: true,
            ..add(Some(&first.cart_token), key, None, 1)
        };
        assert_eq!(
            carts.add(&stale("k")).await.unwrap(),
            Ok(Added::Replayed(first.clone()))
        );
        assert_eq!(
            carts.add(&stale("k2")).await.unwrap(),
            Err(Refused::PriceChanged)
        );
    }

    pub async fn an_unknown_token_opens_a_new_cart(carts: &dyn CartStore) {
        let (answer, _) = new(carts.add(&add(Some("forgotten"), "k", None, 1)).await);
        assert_eq!((answer.cart_token.as_str(), answer.item_count), ("k", 1));
    }

    pub async fn a_deal_never_sells_more_than_its_units(carts: &dyn CartStore) {
        carts.open_deal(&deal(3, None)).await.unwrap();
        let (_, left) = new(carts.add(&add(None, "a", Some("d"), 2)).await);
        assert_eq!(left, Some(1));
        assert_eq!(
            carts.add(&add(None, "b", Some("d"), 2)).await.unwrap(),
            Err(Refused::SoldOut)
        );
        let (_, left) = new(carts.add(&add(None, "c", Some("d"), 1)).await);
        assert_eq!(left, Some(0));
        assert_eq!(carts.left("d").await.unwrap(), Some(0));
        // Opening the deal again (a second instance, a restart) keeps what was taken.
        carts.open_deal(&deal(3, None)).await.unwrap();
        assert_eq!(carts.left("d").await.unwrap(), Some(0));
    }

    pub async fn one_shopper_buys_at_most_the_limit(carts: &dyn CartStore) {
        carts.open_deal(&deal(10, Some(2))).await.unwrap();
        let (first, _) = new(carts.add(&add(None, "a", Some("d"), 2)).await);
        assert_eq!(
            carts
                .add(&add(Some(&first.cart_token), "a2", Some("d"), 1))
                .await
                .unwrap(),
            Err(Refused::LimitReached(2))
        );
        // The refusal took nothing; the same product at its shelf price is another line.
        assert_eq!(carts.left("d").await.unwrap(), Some(8));
        let (shelf, _) = new(carts
            .add(&add(Some(&first.cart_token), "a3", None, 1))
            .await);
        assert_eq!((shelf.item_count, shelf.line_id.as_str()), (3, "p02"));
    }

    pub async fn holds_that_run_out_give_their_units_back(carts: &dyn CartStore) {
        carts.open_deal(&deal(5, None)).await.unwrap();
        let (held, _) = new(carts.add(&add(None, "a", Some("d"), 2)).await);
        assert_eq!(held.held_until, Some(61_000));
        assert!(carts.expire(60_999).await.unwrap().is_empty());
        assert_eq!(
            carts.expire(61_000).await.unwrap(),
            [Returned {
                deal_id: "d".into(),
                product_id: "p02".into(),
                left: 5
            }]
        );
        // The line went with its hold: the cart's next add counts from nothing.
        let (next, _) = new(carts.add(&add(Some(&held.cart_token), "a2", None, 1)).await);
        assert_eq!(next.item_count, 1);
    }

    pub async fn a_line_holds_at_most_99(carts: &dyn CartStore) {
        let (first, _) = new(carts.add(&add(None, "a", None, 98)).await);
        assert_eq!(
            carts
                .add(&add(Some(&first.cart_token), "b", None, 2))
                .await
                .unwrap(),
            Err(Refused::LineFull(98))
        );
    }

    /// Every check above, each on a fresh store from `fresh`.
    pub async fn all<F, Fut>(mut fresh: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Box<dyn CartStore>>,
    {
        each_page_session_has_its_own_cart(&*fresh().await).await;
        a_retried_first_add_finds_the_cart_it_opened(&*fresh().await).await;
        a_stale_price_is_refused_but_a_retry_of_a_taken_add_stands(&*fresh().await).await;
        an_unknown_token_opens_a_new_cart(&*fresh().await).await;
        a_deal_never_sells_more_than_its_units(&*fresh().await).await;
        one_shopper_buys_at_most_the_limit(&*fresh().await).await;
        holds_that_run_out_give_their_units_back(&*fresh().await).await;
        a_line_holds_at_most_99(&*fresh().await).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_carts_do_what_every_store_must() {
        conformance::all(|| async {
            Box::new(SqliteCarts::in_memory().unwrap()) as Box<dyn CartStore>
        })
        .await;
    }
}
