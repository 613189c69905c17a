//! The shoppers' parts that load on demand, in one module fetched the first time either is
//! needed: the visual search panel and the replay hotspot layer. The overlay imports it and
//! calls `mountPart(name, root, host, options)`; keeping them out of the overlay's binary keeps
//! its first load small. The creator studio is a module of its own (`studio.rs`), which
//! shoppers never fetch.
live_shop::part_module! {
    "search" => live_shop::search_app::mount,
    "hotspots" => live_shop::hotspots_app::mount,
}

fn main() {}
