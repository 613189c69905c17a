//! Fuzzes protocol decoding and the show's state machine with whatever a backend might send.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::deal::{Action, Show};
use live_shop_core::json::decode;
use live_shop_core::protocol::{StreamEvent, StreamState};
use live_shop_core::view;

fuzz_target!(|data: &[u8]| {
    let mut show = Show::default();
    for part in data.split(|&b| b == b'\n') {
        if let Ok(state) = decode::<StreamState>(part) {
            show.apply(Action::Snapshot(state));
        } else if let Ok(event) = decode::<StreamEvent>(part) {
            show.apply(Action::Event(event));
        }
        let _ = view::shelf(&show, "http://127.0.0.1:8080", show.server_time);
    }
});
