//! Fuzzes a producer's `POST /v1/streams/{id}/changes` body as the server reads it: decoding,
//! the size caps every change is held to, and the change applied to a show, as each viewer
//! applies the event the server sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::deal::{Action, Show};
use live_shop_core::json::decode;
use live_shop_core::protocol::{Change, StreamEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(change) = decode::<Change>(data) else {
        return;
    };
    if change.oversized().is_some() {
        return;
    }
    let mut show = Show::default();
    for seq in 1..=2 {
        let event = StreamEvent {
            epoch: "e".into(),
            seq,
            server_time: 1_000,
            change: change.clone(),
        };
        show.apply(Action::Event(event));
    }
    let _ = live_shop_core::view::shelf(&show, "http://127.0.0.1:8080", 1_000);
});
