//! The preprocessing worker: `prepare(bytes, profile, box)` for the widget's Web Worker.
//!
//! Trunk builds this binary with `data-type="worker"` (wasm-bindgen's `no-modules` output).
//! The widget starts the worker only when visual search opens, so the codecs never weigh on
//! the overlay's first load. The message loop is `static/live-shop-prep-worker-loop.js`: it
//! calls [`prepare`] and transfers the bytes back.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use js_sys::{Object, Reflect, Uint8Array};
use live_shop_core::prep::{prepare as run, CropBox, PrepError, PrepLimits, Profile};
use wasm_bindgen::prelude::*;

fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a plain property on a fresh object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

fn error(e: &PrepError) -> JsValue {
    let out = Object::new();
    set(&out, "code", e.code());
    set(&out, "message", e.to_string());
    if let PrepError::Unsupported { format } = e {
        set(&out, "format", *format);
    }
    out.into()
}

fn crop(value: &JsValue) -> Result<CropBox, PrepError> {
    if value.is_undefined() || value.is_null() {
        return Ok(CropBox::FULL);
    }
    let number = |key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_f64())
            .ok_or_else(|| PrepError::Parameter(format!("box.{key} is not a number")))
    };
    CropBox {
        x: number("x")?,
        y: number("y")?,
        width: number("width")?,
        height: number("height")?,
    }
    .clamped()
}

/// Prepares `bytes` with `profile` (default [`Profile::default`], `max-512`), cropped to `box` (fractions of the
/// upright image; default the whole). Resolves to `{bytes, width, height, box, original,
/// hash, quality}`; throws `{code, message, format?}`.
#[wasm_bindgen]
pub fn prepare(bytes: &[u8], profile: Option<String>, region: JsValue) -> Result<JsValue, JsValue> {
    let profile = profile
        .as_deref()
        .map_or(Ok(Profile::default()), Profile::parse)
        .map_err(|e| error(&e))?;
    let crop = crop(&region).map_err(|e| error(&e))?;
    let prepared = run(bytes, profile, crop, &PrepLimits::default()).map_err(|e| error(&e))?;
    let out = Object::new();
    set(&out, "bytes", Uint8Array::from(prepared.jpeg.as_slice()));
    set(&out, "width", prepared.width);
    set(&out, "height", prepared.height);
    let region = Object::new();
    set(&region, "x", prepared.crop.x);
    set(&region, "y", prepared.crop.y);
    set(&region, "width", prepared.crop.width);
    set(&region, "height", prepared.crop.height);
    set(&out, "box", region);
    let original = Object::new();
    set(&original, "width", prepared.original.0);
    set(&original, "height", prepared.original.1);
    set(&out, "original", original);
    set(&out, "hash", format!("{:016x}", prepared.hash));
    set(&out, "quality", prepared.quality);
    Ok(out.into())
}

/// Runs the pipeline's hot paths once on a generated photo-sized JPEG, so the browser compiles
/// them with its optimising tier before the shopper's photo arrives. Browsers start wasm on a
/// baseline compiler and optimise a function only after it has run for a while; without this,
/// the first photo takes about twice as long as the next. Called when the search panel opens.
#[wasm_bindgen]
pub fn warm() -> u32 {
    use live_shop_core::prep::warm_up_jpeg;
    let jpeg = warm_up_jpeg(1024, 768);
    let mut done = 0;
    for profile in [Profile::Max512, Profile::Square224, Profile::Max1024] {
        if run(&jpeg, profile, CropBox::FULL, &PrepLimits::default()).is_ok() {
            done += 1;
        }
    }
    // The 1/8-scale path serves photos eight times the output and more; a photo that large
    // would make the warm-up itself slow, so its decoder runs here on the small one.
    for _ in 0..4 {
        if live_shop_core::jpeg_scaled::decode(&jpeg, 8).is_some() {
            done += 1;
        }
    }
    done
}

fn main() {}
