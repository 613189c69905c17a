//! The widget's stylesheets. The overlay's is in every instance's shadow root from the start;
//! each on-demand part brings its own (`static/search.css`, `hotspots.css`, `studio.css`) and
//! adds it there when it first shows, so the overlay's first load carries none of the parts' styles.
//!
//! Each sheet is adopted by the shadow root, because a page's Content-Security-Policy without
//! `style-src 'unsafe-inline'` refuses `<style>` elements but not sheets built through the
//! CSSOM; a `<style>` element where sheets cannot be adopted.
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, ShadowRoot};

/// A stylesheet in `static/`, minified while it compiles (comments and needless spaces out,
/// see `live_shop_core::css`), as a `&'static str`.
#[macro_export]
macro_rules! stylesheet {
    ($path:literal) => {{
        const SOURCE: &[u8] = include_bytes!($path);
        const MINIFIED: [u8; live_shop_core::css::minified_len(SOURCE)] =
            live_shop_core::css::minify(SOURCE);
        match ::std::str::from_utf8(&MINIFIED) {
            Ok(css) => css,
            Err(_) => panic!(concat!($path, " is not UTF-8")),
        }
    }};
}

/// Defines `fn add_part_styles(root: &Element)`: adds the stylesheet at `$path` (minified while it
/// compiles) to the shadow root that holds `root`, once, as `<style id=$id>` where sheets
/// cannot be adopted. For a part's `mount`.
#[macro_export]
macro_rules! part_styles {
    ($path:literal, $id:literal) => {
        /// This part's styles, added beside the overlay's when it first shows.
        const CSS: &str = $crate::stylesheet!($path);

        thread_local! {
            static SHEET: Option<web_sys::CssStyleSheet> = $crate::styles::sheet(CSS);
        }

        fn add_part_styles(root: &web_sys::Element) -> Result<(), wasm_bindgen::JsValue> {
            SHEET.with(|sheet| $crate::styles::add_for_part(root, sheet.as_ref(), CSS, $id))
        }
    };
}

/// `css` as a constructed sheet, to build once per module; `None` where the browser cannot
/// construct sheets.
pub fn sheet(css: &str) -> Option<CssStyleSheet> {
    CssStyleSheet::new()
        .ok()
        .filter(|sheet| sheet.replace_sync(css).is_ok())
}

/// Adds `sheet` (made of `css`) to `shadow`'s styles, after those it has, unless it is there:
/// adopted, or else a `<style>` element whose id is `id`.
pub fn add(
    shadow: &ShadowRoot,
    sheet: Option<&CssStyleSheet>,
    css: &str,
    id: &str,
) -> Result<(), JsValue> {
    match sheet {
        Some(sheet) if js_sys::Reflect::has(shadow, &"adoptedStyleSheets".into()) == Ok(true) => {
            let sheets = shadow.adopted_style_sheets();
            if !sheets.includes(sheet, 0) {
                sheets.push(sheet);
                shadow.set_adopted_style_sheets(&sheets);
            }
        }
        _ if shadow.get_element_by_id(id).is_none() => {
            let document = web_sys::window()
                .and_then(|w| w.document())
                .ok_or_else(|| JsValue::from_str("live-shop: no document"))?;
            let style = document.create_element("style")?;
            style.set_id(id);
            style.set_text_content(Some(css));
            shadow.append_child(&style)?;
        }
        _ => {}
    }
    Ok(())
}

/// Adds a part's styles to the shadow root that holds `root` (nothing outside one).
pub fn add_for_part(
    root: &web_sys::Element,
    sheet: Option<&CssStyleSheet>,
    css: &str,
    id: &str,
) -> Result<(), JsValue> {
    match wasm_bindgen::JsCast::dyn_into::<ShadowRoot>(root.get_root_node()) {
        Ok(shadow) => add(&shadow, sheet, css, id),
        Err(_) => Ok(()),
    }
}
