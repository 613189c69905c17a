//! The search panel as its own app: `mountPart("search", root, host, options)` in the
//! `live-shop-parts` module. Options: `backend`, `stream`, `locale`, `video` (selector), `profile`,
//! `onClose` (called when the shopper closes the panel). Returns `{destroy()}`.
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
}

/// The panel with its environment.
#[component]
pub fn SearchApp(props: &SearchAppProps) -> Html {
    let show = use_memo((), |_| Show::default());
    html! {
        <ContextProvider<Env> context={props.env.clone()}>
            <div dir={props.env.locale.lang.dir()} lang={props.env.locale.tag.clone()}>
                <SearchPanel show={Rc::new((*show).clone())} on_close={props.on_close.clone()} />
            </div>
        </ContextProvider<Env>>
    }
}

crate::part_styles!("../static/search.css", "live-shop-search-css");

/// Mounts the panel in `root`, dispatching cart events on `host`.
pub fn mount(root: Element, host: Element, options: &JsValue) -> Result<JsValue, JsValue> {
    add_part_styles(&root)?;
    let mut env = part::env(options, host)?;
    // Empty: the backend's choice.
    env.search = Some(part::option(options, "profile").unwrap_or_default());
    let on_close = js::field(options, "onClose");
    let on_close = Callback::from(move |()| {
        if let Some(f) = on_close.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&JsValue::NULL);
        }
    });
    Ok(part::render::<SearchApp>(
        root,
        SearchAppProps { env, on_close },
    ))
}
