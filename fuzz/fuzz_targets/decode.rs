//! Fuzzes the one decode entry for untrusted images, through the whole preparation pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::prep::{prepare, CropBox, PrepLimits, Profile};

fuzz_target!(|data: &[u8]| {
    // Smaller limits than the product's keep each run fast; the checks are the same code.
    let limits = PrepLimits {
        max_bytes: 4 * 1024 * 1024,
        max_pixels: 4_000_000,
        max_alloc: 64 * 1024 * 1024,
    };
    let _ = prepare(data, Profile::Square224, CropBox::FULL, &limits);
});
