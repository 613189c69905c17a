//! The live-shop reference backend: the `/v1` protocol of `openapi.yaml` over axum, with an
//! embedded sample shop, a scripted demo show, and the widget's files served beside it.
#![deny(missing_docs)]

pub mod admission;
pub mod ann;
pub mod api;
pub mod bus;
pub mod carts;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod error;
pub mod fetch;
pub mod hub;
pub mod overlays;
pub mod postgres;
pub mod search;
pub mod serve;

use std::time::{SystemTime, UNIX_EPOCH};

use live_shop_core::protocol::Millis;

/// Server time in milliseconds since the epoch.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// The most memory this process has held (its peak resident set, Linux's `VmHWM`), in MB; the
/// benchmarks print it. `None` where `/proc` does not say.
pub fn peak_memory_mb() -> Option<f64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<f64>()
        .ok()
        .map(|kb| kb / 1024.0)
}
