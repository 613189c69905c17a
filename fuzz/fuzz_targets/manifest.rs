//! Fuzzes what a creator's studio (or anyone with a token) sends to `PUT /v1/videos/{id}/overlay`
//! and what a WebVTT import reads: decoding, validation, the JSON and WebVTT round trips, and
//! the three-way merge a 412 leads to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::hotspot::{from_webvtt, merge, to_webvtt, Manifest};
use live_shop_core::json::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = decode::<Manifest>(data) {
        let _ = manifest.validate(&|id| id.starts_with('p'));
        for t in [0.0, 1.5, f64::MAX] {
            let _ = manifest.at(t);
        }
        // What the server stores reads back the same.
        let stored = manifest.to_json();
        let again = decode::<Manifest>(stored.as_bytes()).expect("the server's own JSON reads back");
        assert_eq!(again.to_json(), stored);
        let vtt = to_webvtt(&manifest);
        let _ = from_webvtt(&vtt, "v");
        let merged = merge(&Manifest::new("v"), &manifest, &again);
        let _ = merged.resolve(&|_| live_shop_core::hotspot::Keep::Mine);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = from_webvtt(text, "v");
    }
});
