//! live-shop: the embeddable live-deal overlay, as a Yew widget compiled to WebAssembly.
//!
//! Everything that can run without a browser lives in `live-shop-core`; this crate renders its
//! view model, moves bytes over `fetch` and `EventSource`, and exposes the JS API of [`mount`].

pub mod bridge;
pub mod components;
pub mod context;
pub mod hooks;
pub mod hotspots_app;
mod js;
pub mod live;
mod mount;
pub mod net;
pub mod part;
pub mod search_app;
mod search_js;
pub mod studio_app;
mod styles;

pub use mount::{mount, start, CSS};
