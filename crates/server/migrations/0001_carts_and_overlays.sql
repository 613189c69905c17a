-- Carts, flash-deal stock and the videos' hotspot manifests, shared by every server instance.
-- Times are milliseconds since the Unix epoch, on the servers' clocks.

CREATE TABLE carts (
    token TEXT PRIMARY KEY,
    -- The idempotency key of the add that opened the cart: a retried first add finds it.
    opened_by TEXT NOT NULL UNIQUE,
    touched_at BIGINT NOT NULL
);
CREATE INDEX carts_touched ON carts (touched_at);

CREATE TABLE cart_lines (
    cart TEXT NOT NULL REFERENCES carts (token) ON DELETE CASCADE,
    product TEXT NOT NULL,
    -- '' for the shelf's price, else the flash deal whose units the line holds.
    deal TEXT NOT NULL DEFAULT '',
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    held_until BIGINT,
    PRIMARY KEY (cart, product, deal)
);
CREATE INDEX cart_lines_held ON cart_lines (held_until) WHERE held_until IS NOT NULL;

CREATE TABLE cart_keys (
    cart TEXT NOT NULL REFERENCES carts (token) ON DELETE CASCADE,
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (cart, key)
);

CREATE TABLE deal_stock (
    deal TEXT PRIMARY KEY,
    product TEXT NOT NULL,
    units BIGINT NOT NULL,
    -- The conditional UPDATE never lets this pass units; the check says so to the database too.
    taken BIGINT NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= units),
    per_shopper BIGINT,
    ends_at BIGINT NOT NULL
);

CREATE TABLE overlay_versions (
    video TEXT NOT NULL,
    version BIGINT NOT NULL,
    json TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (video, version)
);
