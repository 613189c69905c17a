//! Components in headless Chromium: given a show, the overlay renders what a shopper should see.
#![cfg(target_arch = "wasm32")]
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::rc::Rc;
use std::time::Duration;

use live_shop::components::{OverlayView, OverlayViewProps};
use live_shop::context::{Env, SharedClock};
use live_shop_core::deal::{Action, Show};
use live_shop_core::geometry::Rect;
use live_shop_core::i18n::Locale;
use live_shop_core::json::decode;
use live_shop_core::protocol::StreamState;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

/// The CSS properties the element's inline style sets, as `name:value;…` (set through the
/// CSSOM, which a page's Content-Security-Policy allows, unlike a `style` attribute).
fn inline_style(el: &Element, names: &[&str]) -> String {
    let style = el.unchecked_ref::<web_sys::HtmlElement>().style();
    names
        .iter()
        .map(|n| format!("{n}:{}", style.get_property_value(n).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(";")
}

const BOX: [&str; 4] = ["left", "top", "width", "height"];

wasm_bindgen_test_configure!(run_in_browser);

fn state_json(now: i64) -> String {
    format!(
        r#"{{"streamId":"demo","epoch":"e","seq":4,"serverTime":{now},"live":true,"pinned":"p1",
        "banner":{{"title":"Fall Deals For You","subtitle":"Live only"}},
        "products":[
          {{"id":"p1","title":"Harbor Wool Jacket","brand":"Nordwind","images":["/media/j.png"],"url":"/products/p1",
            "offers":[{{"price":129,"priceCurrency":"EUR","inventoryLevel":200}}]}},
          {{"id":"p2","title":"Gone Scarf","offers":[{{"price":35,"priceCurrency":"EUR","availability":"SoldOut"}}]}}
        ],
        "flashDeals":[{{"id":"d1","productId":"p1","startsAt":{start},"endsAt":{end},"status":"running","stockLimit":30,
          "offer":{{"price":90.3,"originalPrice":129,"priceCurrency":"EUR","inventoryLevel":12}}}}]}}"#,
        start = now - 5_000,
        end = now + 65_000,
    )
}

fn show(now: i64) -> Rc<Show> {
    let state: StreamState = decode(state_json(now).as_bytes()).unwrap();
    let mut show = Show::default();
    show.apply(Action::Snapshot(state));
    Rc::new(show)
}

struct Mounted {
    host: Element,
    _app: yew::AppHandle<OverlayView>,
}

impl Mounted {
    fn query(&self, selector: &str) -> Option<Element> {
        self.host.query_selector(selector).unwrap()
    }

    fn text(&self, selector: &str) -> String {
        self.query(selector)
            .unwrap_or_else(|| panic!("no {selector} in {}", self.host.inner_html()))
            .text_content()
            .unwrap_or_default()
    }
}

/// A host element in the page and an environment around it, with a backend nobody answers on.
fn host_and_env(locale: &str) -> (Element, Env) {
    let document = gloo_document();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let env = Env {
        backend: "http://127.0.0.1:9".into(),
        stream: "demo".into(),
        locale: Locale::negotiate(Some(locale), None),
        host: host.clone(),
        clock: SharedClock::default(),
        video: None,
        search: Some("max-512".into()),
        video_id: None,
        cart: None,
    };
    (host, env)
}

async fn mount(locale: &str, reconnecting: bool) -> Mounted {
    mount_over(locale, reconnecting, None).await
}

/// The overlay over a picture at `rect` (`None`: a block of its own, without a video).
async fn mount_over(locale: &str, reconnecting: bool, rect: Option<Rect>) -> Mounted {
    mount_with(locale, reconnecting, false, rect).await
}

/// The overlay, its link reconnecting or its stream unknown to the backend.
async fn mount_with(
    locale: &str,
    reconnecting: bool,
    unknown: bool,
    rect: Option<Rect>,
) -> Mounted {
    let (host, env) = host_and_env(locale);
    let clock = env.clock.clone();
    let props = OverlayViewProps {
        env,
        show: show(clock.now()),
        reconnecting,
        unknown,
        rect,
        player: rect,
    };
    let app = yew::Renderer::<OverlayView>::with_root_and_props(host.clone(), props).render();
    yew::platform::time::sleep(Duration::ZERO).await;
    Mounted { host, _app: app }
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

#[wasm_bindgen_test]
async fn the_pinned_deal_shows_price_original_discount_and_stock() {
    let m = mount("en", false).await;
    assert_eq!(m.text(".pinned .title"), "Harbor Wool Jacket");
    assert_eq!(m.text(".pinned .brand"), "Nordwind");
    assert_eq!(m.text(".pinned .price"), "€90.30");
    assert_eq!(m.text(".pinned s.original"), "€129.00");
    assert_eq!(m.text(".pinned .sr-only"), "Was €129.00");
    assert_eq!(m.text(".pinned .off"), "-30%");
    assert_eq!(m.text(".pinned .stock .left"), "12 left");
    assert!(m
        .text(".pinned .countdown .time")
        .starts_with("Ends in \u{2066}1:0"));
    let photo = m.query(".pinned img.photo").unwrap();
    assert_eq!(
        photo.get_attribute("src").as_deref(),
        Some("http://127.0.0.1:9/media/j.png")
    );
    let bar = m.query(".pinned .bar span").unwrap();
    assert_eq!(inline_style(&bar, &["inline-size"]), "inline-size:40%");
    assert_eq!(m.text(".banner strong"), "Fall Deals For You");
    assert_eq!(m.text(".live-badge"), "Live");
    assert!(m.query(".reconnecting").is_none());
    // No video, so nothing to show full screen: no button that would do nothing.
    assert!(m.query("button.fullscreen").is_none());
}

#[wasm_bindgen_test]
async fn every_control_is_a_named_button_or_link() {
    let m = mount("en", false).await;
    let buy = m.query(".pinned button.buy").unwrap();
    assert_eq!(buy.get_attribute("type").as_deref(), Some("button"));
    assert_eq!(buy.text_content().as_deref(), Some("Add to cart"));
    let link = m.query(".pinned a.link").unwrap();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("http://127.0.0.1:9/products/p1")
    );
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    let toggle = m.query("button.shelf-toggle").unwrap();
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(toggle.text_content().as_deref(), Some("Products (2)"));
}

#[wasm_bindgen_test]
async fn the_shelf_opens_and_shows_sold_out_products_disabled() {
    let m = mount("en", false).await;
    m.query("button.shelf-toggle")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    yew::platform::time::sleep(Duration::ZERO).await;
    assert_eq!(m.text("button.shelf-toggle"), "Hide products");
    let items = m.host.query_selector_all(".shelf-list li").unwrap();
    assert_eq!(items.length(), 2);
    let sold_out = m.query(".shelf-list li:nth-child(2) button.buy").unwrap();
    assert!(sold_out.has_attribute("disabled"));
    assert_eq!(sold_out.text_content().as_deref(), Some("Sold out"));
}

#[wasm_bindgen_test]
async fn over_a_short_picture_the_products_open_as_a_sheet_that_closes_back_to_its_button() {
    // A 16:9 picture on a phone held upright.
    let m = mount_over("ar", false, Some(Rect::new(0.0, 0.0, 342.0, 192.0))).await;
    assert!(m.query(".stage.short").is_some());
    let toggle = m
        .query("button.shelf-toggle")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>();
    // Named with the count it shows, so that a voice command naming it finds it.
    assert_eq!(
        toggle.get_attribute("aria-label").as_deref(),
        Some("المنتجات، ٢")
    );
    assert_eq!(
        toggle.get_attribute("aria-haspopup").as_deref(),
        Some("dialog")
    );
    toggle.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    let sheet = m.query("dialog.shelf-sheet").unwrap();
    assert!(sheet.matches(":modal").unwrap(), "{}", m.host.inner_html());
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(m.text("dialog h2"), "المنتجات (٢)");
    let labelled = sheet.get_attribute("aria-labelledby").unwrap();
    assert_eq!(m.query("dialog h2").unwrap().id(), labelled);
    let items = m.host.query_selector_all("dialog .shelf-list li").unwrap();
    assert_eq!(items.length(), 2);
    // Its close button ends it, and focus goes back to the button that opened it.
    let close = m.query("dialog button.close").unwrap();
    assert_eq!(close.text_content().as_deref(), Some("إغلاق"));
    close.unchecked_into::<web_sys::HtmlElement>().click();
    // The dialog's `close` event comes in a task of its own.
    yew::platform::time::sleep(Duration::from_millis(20)).await;
    assert!(m.query("dialog").is_none(), "{}", m.host.inner_html());
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    let focused = gloo_document().active_element().unwrap();
    assert_eq!(focused.outer_html(), toggle.outer_html());
    assert!(
        focused == Element::from(toggle),
        "another element looks the same"
    );
}

#[wasm_bindgen_test]
async fn a_tall_picture_keeps_the_shelf_in_it() {
    let m = mount_over("en", false, Some(Rect::new(0.0, 0.0, 640.0, 360.0))).await;
    assert!(m.query(".stage.short").is_none());
    let toggle = m
        .query("button.shelf-toggle")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>();
    toggle.click();
    yew::platform::time::sleep(Duration::ZERO).await;
    assert!(m.query("dialog").is_none());
    assert_eq!(
        m.host
            .query_selector_all(".shelf-panel .shelf-list li")
            .unwrap()
            .length(),
        2
    );
}

#[wasm_bindgen_test]
async fn arabic_is_right_to_left_with_arabic_digits() {
    let m = mount("ar", true).await;
    let stage = m.query(".stage").unwrap();
    assert_eq!(stage.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(stage.get_attribute("lang").as_deref(), Some("ar"));
    assert_eq!(m.text(".pinned .stock .left"), "متبقٍ ١٢");
    assert!(m.text(".pinned .countdown .time").contains("\u{2066}١:٠"));
    assert!(
        m.text(".pinned .price").contains("٩٠"),
        "{}",
        m.text(".pinned .price")
    );
    assert_eq!(m.text(".reconnecting"), "جارٍ إعادة الاتصال…");
}

#[wasm_bindgen_test]
async fn a_stream_the_backend_lacks_is_told_instead_of_reconnecting() {
    let m = mount_with("fa", true, true, None).await;
    assert_eq!(m.text(".unavailable"), "این پخش زنده در دسترس نیست.");
    assert!(m.query(".reconnecting").is_none());
}

#[wasm_bindgen_test]
async fn add_to_cart_dispatches_the_event_and_shows_the_pages_answer() {
    let m = mount("en", false).await;
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let listener = {
        let seen = seen.clone();
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            let detail = event.detail();
            let product = js_sys::Reflect::get(&detail, &"product".into()).unwrap();
            let id = js_sys::Reflect::get(&product, &"id".into())
                .unwrap()
                .as_string()
                .unwrap();
            seen.borrow_mut().push(id);
            let respond = js_sys::Reflect::get(&detail, &"respondWith".into()).unwrap();
            let answer = js_sys::Object::new();
            js_sys::Reflect::set(&answer, &"message".into(), &"In your bag".into()).unwrap();
            let promise = js_sys::Promise::resolve(&answer);
            respond
                .unchecked_into::<js_sys::Function>()
                .call1(&detail, &promise)
                .unwrap();
            event.prevent_default();
        })
    };
    m.host
        .add_event_listener_with_callback(
            "live-shop:add-to-cart",
            listener.as_ref().unchecked_ref(),
        )
        .unwrap();
    let buy = m
        .query(".pinned button.buy")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>();
    buy.click();
    buy.click();
    for _ in 0..20 {
        yew::platform::time::sleep(Duration::from_millis(10)).await;
        if m.text(".pinned button.buy") == "Added" {
            break;
        }
    }
    assert_eq!(m.text(".pinned button.buy"), "Added");
    assert_eq!(m.text(".pinned .cart-note"), "In your bag");
    assert_eq!(*seen.borrow(), ["p1"], "a double press adds once");
}

mod search {
    use super::*;
    use live_shop::search_app::{SearchApp, SearchAppProps};
    use std::cell::Cell;
    use yew::Callback;

    struct Panel {
        host: Element,
        closed: Rc<Cell<u32>>,
        _app: yew::AppHandle<SearchApp>,
    }

    impl Panel {
        fn query(&self, selector: &str) -> Element {
            self.host
                .query_selector(selector)
                .unwrap()
                .unwrap_or_else(|| panic!("no {selector} in {}", self.host.inner_html()))
        }
    }

    async fn panel(locale: &str) -> Panel {
        let (host, env) = host_and_env(locale);
        let closed = Rc::new(Cell::new(0));
        let on_close = {
            let closed = closed.clone();
            Callback::from(move |()| closed.set(closed.get() + 1))
        };
        let app = yew::Renderer::<SearchApp>::with_root_and_props(
            host.clone(),
            SearchAppProps { env, on_close },
        )
        .render();
        yew::platform::time::sleep(Duration::ZERO).await;
        Panel {
            host,
            closed,
            _app: app,
        }
    }

    fn key(target: &Element, key: &str, shift: bool) {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_shift_key(shift);
        init.set_bubbles(true);
        let event =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        target.dispatch_event(&event).unwrap();
    }

    /// A 4 × 2 PNG, as a pasted file.
    fn paste_png() {
        let png: &[u8] = &[
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00,
            0x00, 0x7b, 0x40, 0xe8, 0xdd, 0x00, 0x00, 0x00, 0x13, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x08, 0x19, 0x18, 0xfe, 0x03, 0x00, 0x2f,
            0xe6, 0x05, 0xfb, 0x6a, 0xf7, 0x6a, 0x33, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
            0x44, 0xae, 0x42, 0x60, 0x82,
        ];
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(png));
        let options = web_sys::FilePropertyBag::new();
        options.set_type("image/png");
        let file = web_sys::File::new_with_u8_array_sequence_and_options(&parts, "p.png", &options)
            .unwrap();
        let data = web_sys::DataTransfer::new().unwrap();
        data.items().add_with_file(&file).unwrap();
        let init = web_sys::ClipboardEventInit::new();
        init.set_clipboard_data(Some(&data));
        let event = web_sys::ClipboardEvent::new_with_event_init_dict("paste", &init).unwrap();
        web_sys::window().unwrap().dispatch_event(&event).unwrap();
    }

    #[wasm_bindgen_test]
    async fn the_panel_offers_every_source_as_a_named_control() {
        let p = panel("en").await;
        let dialog = p.query(".search-panel");
        assert_eq!(
            p.query("h2").text_content().as_deref(),
            Some("Find similar products")
        );
        assert_eq!(
            p.query("button.close")
                .get_attribute("aria-label")
                .as_deref(),
            Some("Close")
        );
        assert_eq!(
            p.query("button.camera").text_content().as_deref(),
            Some("Use camera")
        );
        let file = p.query("label.file input[type=file]");
        assert_eq!(file.get_attribute("accept").as_deref(), Some("image/*"));
        // No video on this page: no "search this frame".
        assert!(p.host.query_selector(".source.frame").unwrap().is_none());
        key(&dialog, "Escape", false);
        assert_eq!(p.closed.get(), 1);
    }

    #[wasm_bindgen_test]
    async fn the_panel_is_named_by_its_heading_and_leaves_the_dialog_role_to_its_slot() {
        // The overlay's slot is the one dialog, in the player or as a modal sheet, named by the
        // panel's heading.
        let p = panel("en").await;
        let panel = p.query(".search-panel");
        for name in ["role", "aria-modal", "aria-labelledby"] {
            assert!(
                !panel.has_attribute(name),
                "{name} on {}",
                panel.outer_html()
            );
        }
        assert_eq!(p.query("h2").id(), "live-shop-search-title");
        key(&panel, "Escape", false);
        assert_eq!(p.closed.get(), 1);
    }

    #[wasm_bindgen_test]
    async fn a_pasted_photo_gets_a_crop_box_the_keyboard_moves() {
        let p = panel("ar").await;
        assert_eq!(
            p.query("div[dir]").get_attribute("dir").as_deref(),
            Some("rtl")
        );
        assert_eq!(
            p.query("h2").text_content().as_deref(),
            Some("ابحث عن منتجات مشابهة")
        );
        paste_png();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let area = p.query(".crop-box");
        assert_eq!(area.get_attribute("tabindex").as_deref(), Some("0"));
        // The photo's centre is boxed from the start: the shopper corrects, not draws.
        assert_eq!(
            inline_style(&area, &BOX),
            "left:20%;top:20%;width:60%;height:60%"
        );
        key(&area, "ArrowLeft", true);
        key(&area, "ArrowUp", true);
        key(&area, "ArrowRight", false);
        yew::platform::time::sleep(Duration::ZERO).await;
        assert_eq!(
            inline_style(&p.query(".crop-box"), &BOX),
            "left:22%;top:20%;width:58%;height:58%"
        );
        // The label speaks the locale's digits.
        let label = p.query(".crop-box").get_attribute("aria-label").unwrap();
        assert_eq!(label, "منطقة البحث: ٥٨% × ٥٨%");
        assert_eq!(
            p.query("button.search-now").text_content().as_deref(),
            Some("بحث")
        );
    }
}

mod studio {
    use super::*;
    use live_shop::studio_app::{StudioApp, StudioAppProps};

    async fn studio(locale: &str) -> (Element, yew::AppHandle<StudioApp>) {
        let (host, env) = host_and_env(locale);
        let env = Env {
            search: None,
            video_id: Some("component-test".into()),
            ..env
        };
        let props = StudioAppProps {
            env,
            root: host.clone(),
            src: None,
            token: None,
        };
        let app = yew::Renderer::<StudioApp>::with_root_and_props(host.clone(), props).render();
        yew::platform::time::sleep(Duration::ZERO).await;
        (host, app)
    }

    fn find(host: &Element, selector: &str) -> Element {
        host.query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no {selector} in {}", host.inner_html()))
    }

    #[wasm_bindgen_test]
    async fn the_studio_offers_named_controls_and_nothing_to_undo_yet() {
        let (host, _app) = studio("en").await;
        let tabs = host.query_selector_all("[role=tab]").unwrap();
        assert_eq!(tabs.length(), 2);
        assert_eq!(
            find(&host, "[role=tab][aria-selected=true]")
                .text_content()
                .as_deref(),
            Some("Hotspots")
        );
        assert_eq!(
            find(&host, "button.save").text_content().as_deref(),
            Some("Save")
        );
        assert!(find(&host, "button.undo").has_attribute("disabled"));
        assert_eq!(
            find(&host, "input.timeline")
                .get_attribute("aria-label")
                .as_deref(),
            Some("Timeline")
        );
        let json = find(&host, "a.export-json");
        assert_eq!(
            json.get_attribute("download").as_deref(),
            Some("component-test.overlay.json")
        );
        // The export is the empty manifest of this video.
        let href = json.get_attribute("href").unwrap();
        let decoded =
            String::from(js_sys::decode_uri_component(href.split_once(',').unwrap().1).unwrap());
        assert_eq!(
            decoded,
            r#"{"version":1,"videoId":"component-test","hotspots":[]}"#
        );
        assert!(host.query_selector(".hotspot-editor").unwrap().is_none());
    }

    #[wasm_bindgen_test]
    async fn the_studio_speaks_persian_right_to_left() {
        let (host, _app) = studio("fa").await;
        assert_eq!(
            find(&host, ".studio").get_attribute("dir").as_deref(),
            Some("rtl")
        );
        assert_eq!(
            find(&host, "button.save").text_content().as_deref(),
            Some("ذخیره")
        );
        assert_eq!(
            find(&host, "button.undo").text_content().as_deref(),
            Some("واگرد")
        );
    }
}
