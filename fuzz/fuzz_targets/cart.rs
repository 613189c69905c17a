//! Fuzzes `POST /v1/cart/items` as the server reads it: decoding, then the price check against
//! the live price of a product on a show with a running flash deal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use live_shop_core::cart::check_price;
use live_shop_core::deal::Show;
use live_shop_core::json::decode;
use live_shop_core::protocol::CartItemRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = decode::<CartItemRequest>(data) else {
        return;
    };
    let show = Show::default();
    if let Some((live, _)) = show.price_now(&request.product_id, 1_000) {
        let _ = check_price(request.offer.as_ref(), live);
    }
    // Against itself the offer always holds; against another price it never does.
    if let Some(seen) = &request.offer {
        assert_eq!(check_price(Some(seen), seen), Ok(()));
        if let Some(other) = live_shop_core::protocol::Amount::new(seen.price.get() + 1.0) {
            let live = live_shop_core::protocol::Offer {
                price: other,
                ..seen.clone()
            };
            assert!(check_price(Some(seen), &live).is_err());
        }
    }
    let _ = request.to_json();
});
