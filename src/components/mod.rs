//! The overlay's components. They render core's view model and dispatch actions; the rules live
//! in `live-shop-core`.
mod card;
mod cart_button;
mod overlay;
mod search;
mod shelf;

pub use card::{DealCard, DealCardProps, DealClock, StockLine};
pub use cart_button::{CartButton, CartButtonProps};
pub use overlay::{Overlay, OverlayProps, OverlayView, OverlayViewProps};
pub use search::{SearchPanel, SearchPanelProps};
pub use shelf::{Shelf, ShelfProps, Upcoming};
