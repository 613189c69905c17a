//! Fuzzes a shop's product list (`--catalog`): Shopify's products.json, the WooCommerce Store
//! API's list, or anything else, through detection and import with and without the options
//! Shopify needs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::adapter::{import, ImportOptions, Platform};
use live_shop_core::protocol::Currency;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let detected = Platform::detect(&json);
    let options = [
        ImportOptions::default(),
        ImportOptions {
            store: Some("https://shop.example".into()),
            currency: Currency::parse("EUR"),
        },
    ];
    for platform in detected.into_iter().chain([Platform::Shopify, Platform::WooCommerce]) {
        for options in &options {
            let _ = import(platform, &json, options);
        }
    }
});
