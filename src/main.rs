//! The widget binary Trunk builds: defines `<live-shop>` and `window.LiveShop` on load.
fn main() {
    live_shop::start();
}
