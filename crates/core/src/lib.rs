//! live-shop's pure core: everything that runs without a browser window.
//!
//! The widget (Yew, in the root package) and the reference backend (`crates/server`) both build
//! on these types, so the state a shopper sees and the state the server broadcasts are computed
//! by the same code.
#![deny(missing_docs)]

pub mod adapter;
pub mod announce;
pub mod cart;
pub mod clock;
#[cfg(feature = "prep")]
pub mod container;
pub mod css;
pub mod deal;
pub mod error;
pub mod geometry;
pub mod hotspot;
pub mod i18n;
pub mod ics;
#[cfg(feature = "prep")]
pub mod jpeg_scaled;
pub mod json;
pub mod link;
#[cfg(feature = "prep")]
pub mod prep;
pub mod protocol;
pub mod search;
pub mod studio;
pub mod url;
pub mod view;
