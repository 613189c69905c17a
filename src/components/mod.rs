//! The overlay's components. They render core's view model and dispatch actions; the rules live
//! in `live-shop-core`.
mod card;
mod cart_button;
mod hotspots;
mod overlay;
mod search;
mod shelf;

pub use card::{DealCard, DealCardProps, DealClock, StockLine};
pub use cart_button::{CartButton, CartButtonProps};
pub use hotspots::{Hotspots, HotspotsProps};
pub use overlay::{
    Overlay, OverlayProps, OverlayView, OverlayViewProps, PartSlot, PartSlotProps, StudioOptions,
    Widget,
};
pub use search::{SearchPanel, SearchPanelProps};
pub use shelf::{Shelf, ShelfProps};
