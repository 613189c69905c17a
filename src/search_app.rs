//! The search panel as its own app: `mountPart("search", root, host, options)` in the
//! `live-shop-parts` module. Options: `backend`, `stream`, `locale`, `video` (selector), `profile`,
//! `onClose` (called when the shopper closes the panel), `sheet` (set when the overlay shows the
//! panel in a modal dialog of its own). Returns `{destroy()}`.
use std::rc::Rc;

use live_shop_core::deal::Show;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use crate::components::SearchPanel;
use crate::context::Env;
use crate::js;
use crate::part;

/// Props of [`SearchApp`].
#[derive(Properties, PartialEq, Clone)]
pub struct SearchAppProps {
    /// The environment.
    pub env: Env,
    /// Closes the panel.
    pub on_close: Callback<()>,
    /// In the overlay's modal dialog.
    pub sheet: bool,
}

/// The panel with its environment.
#[component]
pub fn SearchApp(props: &SearchAppProps) -> Html {
    let show = use_memo((), |_| Show::default());
    html! {
        <ContextProvider<Env> context={props.env.clone()}>
            <div dir={props.env.locale.lang.dir()} lang={props.env.locale.tag.clone()}>
                <SearchPanel show={Rc::new((*show).clone())} on_close={props.on_close.clone()} sheet={props.sheet} />
            </div>
        </ContextProvider<Env>>
    }
}

/// Mounts the panel in `root`, dispatching cart events on `host`.
pub fn mount(root: Element, host: Element, options: &JsValue) -> Result<JsValue, JsValue> {
    let mut env = part::env(options, host)?;
    // Empty: the backend's choice.
    env.search = Some(part::option(options, "profile").unwrap_or_default());
    let sheet = part::option(options, "sheet").is_some();
    let on_close = js::field(options, "onClose");
    let on_close = Callback::from(move |()| {
        if let Some(f) = on_close.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&JsValue::NULL);
        }
    });
    Ok(part::render::<SearchApp>(
        root,
        SearchAppProps {
            env,
            on_close,
            sheet,
        },
    ))
}
