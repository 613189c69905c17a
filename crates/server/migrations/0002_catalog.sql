-- The shop's products, shared by every instance. An instance started with --catalog replaces
-- them; an instance started without reads them, and the first of all stores the sample shop.

CREATE TABLE catalog (
    -- One catalog per database.
    only_one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_one),
    -- What it was read from: "the sample shop", or the --catalog files and addresses.
    source TEXT NOT NULL,
    -- The demo shelf takes every shelf_step-th product.
    shelf_step BIGINT NOT NULL CHECK (shelf_step > 0),
    stored_at BIGINT NOT NULL
);

CREATE TABLE catalog_products (
    -- Catalog order.
    position BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    -- The product as the protocol's JSON.
    json TEXT NOT NULL
);
