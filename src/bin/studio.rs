//! The creator studio as a module of its own, fetched only by studio pages: it is about as large
//! as the shoppers' parts together (`parts.rs`), which it would otherwise weigh down.
live_shop::part_module! {
    "studio" => live_shop::studio_app::mount,
}

fn main() {}
