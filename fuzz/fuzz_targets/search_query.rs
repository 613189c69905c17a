//! Fuzzes the `query` part of `POST /v1/search/image` as the server reads it: the region, the
//! id of an earlier upload and the number of results, then the region as the crop box the
//! image pipeline takes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::prep::CropBox;
use live_shop_core::search::Query;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = Query::from_json(text) else {
        return;
    };
    assert!((1..=48).contains(&query.limit));
    if let Ok(crop) = CropBox::from(query.region).clamped() {
        for v in [crop.x, crop.y, crop.width, crop.height] {
            assert!((0.0..=1.0).contains(&v), "{crop:?}");
        }
    }
});
