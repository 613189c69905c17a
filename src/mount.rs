//! The public JS surface, version 1: `<live-shop>` and `window.LiveShop`.
//!
//! - `LiveShop.version`: `"1"`.
//! - `LiveShop.mount(element, options) → handle`: renders into `element`'s shadow root.
//!   `options`: `backend` (base URL; default the page's origin), `stream` (required), `locale`
//!   (BCP 47; default the page's `lang`), `video` (CSS selector; default a `<video>` child).
//! - `handle.update(options)`: re-renders with new options (a new backend or stream reconnects).
//! - `handle.destroy()`: closes the live link and removes the overlay.
//! - `LiveShop.prepareImage(blob, { profile, box }) → Promise`: visual search's pipeline in a
//!   worker. Resolves `{ blob, width, height, box, bytes, hash, original }` (a metadata-free
//!   JPEG; `box` in fractions of the upright image; `hash` a 64-bit dHash in hex); rejects with
//!   an `Error` whose `code` is `decode`, `limits`, `unsupported` (with `format`), `parameter`,
//!   `load` or `aborted`.
//! - `LiveShop.warmUp()`: starts that worker ahead of time and lets the browser optimise its
//!   code (the search panel does this when it opens); a page with its own camera UI can call it
//!   when that UI opens.
//! - `mode="studio"` (with `video-id`, and `src` for the video to edit): the creator studio, its
//!   own module loaded on demand; the option `token` passes a creator token from script.
//! - `video-id` (option `videoId`): shows that video's shoppable hotspots
//!   (`GET /v1/videos/{id}/overlay`) in sync with its picture.
//! - Attributes/options for visual search: `search` (`off` hides the camera button),
//!   `search-profile` (by default the one the backend asks for at `GET /v1/search/image`, else
//!   `max-512`).
//! - `cart` (`shopify` or `woocommerce`) and `cart-root` (option `cartRoot`; default `/`, on
//!   Shopify `Shopify.routes.root`): adds the page leaves unanswered go to the shop's own cart
//!   on the page's origin instead of the backend's; a product without a `variantId` opens its
//!   page. After such an add the element fires `live-shop:cart-updated`.
//! - Events on the element (bubbling, composed): `live-shop:add-to-cart` (cancelable; detail
//!   `{product, offer, quantity, idempotencyKey, stream, respondWith(promise)}`; `product` has
//!   `variantId` when the backend gave one),
//!   `live-shop:impression` and `live-shop:click` (detail `{productId, …}`).
use std::cell::RefCell;
use std::rc::Rc;

use live_shop_core::adapter::ShopCart;
use live_shop_core::i18n::Locale;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CssStyleSheet, Element, ShadowRootInit, ShadowRootMode};

use crate::components::{OverlayProps, StudioOptions, Widget};
use crate::js;
use crate::styles;

/// The overlay's styles (`static/widget.css`, minified), inside each shadow root so page CSS
/// cannot reach in.
pub const CSS: &str = crate::stylesheet!("../static/widget.css");

thread_local! {
    /// [`CSS`] as one constructed sheet that every instance's shadow root adopts.
    static SHEET: Option<CssStyleSheet> = styles::sheet(CSS);
}

/// Options of `LiveShop.mount`, read leniently: a wrong type is as if unset.
#[derive(Default)]
struct Options {
    backend: Option<String>,
    stream: Option<String>,
    locale: Option<String>,
    video: Option<String>,
    search: Option<String>,
    search_profile: Option<String>,
    video_id: Option<String>,
    mode: Option<String>,
    src: Option<String>,
    token: Option<String>,
    cart: Option<String>,
    cart_root: Option<String>,
}

fn options(value: &JsValue) -> Options {
    let text = |name: &str| {
        js_sys::Reflect::get(value, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if !value.is_object() {
        return Options::default();
    }
    Options {
        backend: text("backend"),
        stream: text("stream"),
        locale: text("locale"),
        video: text("video"),
        search: text("search"),
        search_profile: text("searchProfile").or_else(|| text("search-profile")),
        video_id: text("videoId").or_else(|| text("video-id")),
        mode: text("mode"),
        src: text("src"),
        token: text("token"),
        cart: text("cart"),
        cart_root: text("cartRoot").or_else(|| text("cart-root")),
    }
}

fn props(options: Options, host: &Element) -> Option<OverlayProps> {
    let window = web_sys::window()?;
    let studio = (options.mode.as_deref() == Some("studio")).then(|| StudioOptions {
        src: options.src.clone(),
        token: options.token.clone(),
    });
    let stream = match options.stream {
        Some(stream) => stream,
        // The studio's live tab defaults to the demo stream.
        None if studio.is_some() => "demo".into(),
        None => {
            web_sys::console::error_1(
                &"live-shop: the `stream` option or attribute is required".into(),
            );
            return None;
        }
    };
    let origin = window.location().origin().unwrap_or_default();
    let page_lang = window
        .document()
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"));
    Some(OverlayProps {
        backend: options.backend.unwrap_or(origin),
        stream,
        locale: Locale::negotiate(options.locale.as_deref(), page_lang.as_deref()),
        video: options.video,
        host: host.clone(),
        video_id: options.video_id,
        studio,
        search: match options.search.as_deref() {
            Some("off" | "false" | "none") => None,
            _ => Some(options.search_profile.unwrap_or_default()),
        },
        cart: options
            .cart
            .as_deref()
            .and_then(|name| shop_cart(&window, name, options.cart_root.as_deref())),
    })
}

/// The shop's cart named by `cart`; a name this version does not know is reported and ignored.
fn shop_cart(window: &web_sys::Window, name: &str, root: Option<&str>) -> Option<ShopCart> {
    // A Shopify store under a market's path (`/fr/`) says so in `Shopify.routes.root`.
    let shopify_root = || {
        let shopify = js_sys::Reflect::get(window, &"Shopify".into()).ok()?;
        let routes = js_sys::Reflect::get(&shopify, &"routes".into()).ok()?;
        js_sys::Reflect::get(&routes, &"root".into())
            .ok()?
            .as_string()
    };
    let cart = ShopCart::for_page(name, root, shopify_root);
    if cart.is_none() {
        web_sys::console::warn_2(
            &"live-shop: adds go to the backend, as this version knows no such shop's cart (only shopify, woocommerce):".into(),
            &name.into(),
        );
    }
    cart
}

type App = yew::AppHandle<Widget>;

/// Mounts the overlay in `element`; returns the JS handle.
pub fn mount(element: Element, options_value: JsValue) -> Result<JsValue, JsValue> {
    let shadow = match element.shadow_root() {
        Some(root) => root,
        None => element.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("live-shop: no document"))?;
    shadow.set_inner_html("");
    shadow.set_adopted_style_sheets(&js_sys::Array::new());
    SHEET.with(|sheet| styles::add(&shadow, sheet.as_ref(), CSS, "live-shop-css"))?;
    // Children of the host (such as a wrapped <video>) stay visible under the overlay.
    let slot = document.create_element("slot")?;
    shadow.append_child(&slot)?;
    let root = document.create_element("div")?;
    root.set_class_name("live-shop");
    shadow.append_child(&root)?;

    let app: Rc<RefCell<Option<App>>> = Rc::default();
    if let Some(props) = props(options(&options_value), &element) {
        *app.borrow_mut() =
            Some(yew::Renderer::<Widget>::with_root_and_props(root.clone(), props).render());
    }

    let handle = js_sys::Object::new();
    let update = {
        let (app, root, element) = (app.clone(), root.clone(), element.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            let Some(props) = props(options(&value), &element) else {
                return;
            };
            let mut app = app.borrow_mut();
            match app.as_mut() {
                Some(handle) => handle.update(props),
                None => {
                    *app = Some(
                        yew::Renderer::<Widget>::with_root_and_props(root.clone(), props).render(),
                    )
                }
            }
        })
    };
    let destroy = {
        let app = app.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(handle) = app.borrow_mut().take() {
                handle.destroy();
            }
            shadow.set_inner_html("");
        })
    };
    js_sys::Reflect::set(&handle, &"update".into(), &update.into_js_value())?;
    js_sys::Reflect::set(&handle, &"destroy".into(), &destroy.into_js_value())?;
    Ok(handle.into())
}

/// Defines `<live-shop>` and `window.LiveShop`. Called once when the script loads.
pub fn start() {
    let mount_fn = Closure::<dyn FnMut(Element, JsValue) -> Result<JsValue, JsValue>>::new(mount)
        .into_js_value();
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&api, &"version".into(), &"1".into());
    let _ = js_sys::Reflect::set(&api, &"mount".into(), &mount_fn);
    js::install_api(&api);
    let _ = js_sys::Reflect::set(&window, &"LiveShop".into(), &api);
    if let Some(mount_fn) = mount_fn.dyn_ref::<js_sys::Function>() {
        js::define_element(mount_fn);
    }
}
