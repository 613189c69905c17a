//! Shoppable hotspots of a replay: the video's manifest (`GET /v1/videos/{id}/overlay`) drawn
//! over the picture in sync with it. Each hotspot is a button named by its label, else after its
//! product (`GET /v1/catalog/{id}`); it opens the product's card with add-to-cart through the
//! cart bridge. A labelled hotspot shows while its product cannot be looked up, and lookups that
//! failed are tried again until they answer.
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use live_shop_core::deal::Show;
use live_shop_core::geometry::{css_number, Crop};
use live_shop_core::hotspot::{lookup_retry_ms, Manifest};
use live_shop_core::i18n::Text;
use live_shop_core::protocol::Product;
use live_shop_core::url::{api_url, encode_component, overlay_path};
use live_shop_core::view::Card;
use yew::prelude::*;

use super::DealCard;
use crate::context::Env;
use crate::hooks::use_video_time;
use crate::{js, net};

/// Props of [`Hotspots`].
#[derive(Properties, PartialEq, Clone)]
pub struct HotspotsProps {
    /// The video whose manifest to show.
    pub video_id: String,
    /// The live show, so a product's running deal shows on its card.
    pub show: Rc<Show>,
    /// The lowest a hotspot's centre may sit, as a fraction of the picture's height: above the
    /// browser's controls where they cover the picture (core's `VideoBoxes::lowest_hotspot`).
    #[prop_or(1.0)]
    pub lowest: f64,
    /// How the video's whole picture, where hotspots are saved, lies over the visible one this
    /// layer covers (core's `VideoBoxes::crop`): hotspots the crop cut away are not drawn.
    #[prop_or_default]
    pub crop: Crop,
}

async fn load(env: &Env, path: &str) -> Option<String> {
    let answer = net::send("GET", &api_url(&env.backend, path), &[], None, 8_000)
        .await
        .ok()?;
    (answer.status == 200).then_some(answer.body)
}

/// What looking up a hotspot's product gave.
enum Lookup {
    Found(Box<Product>),
    /// Not in the catalog, or unreadable: asking again would not help.
    Absent,
    /// The network or the backend failed: asked again later.
    Failed,
}

async fn look_up(env: &Env, id: &str) -> Lookup {
    let path = format!("/v1/catalog/{}", encode_component(id));
    match net::send("GET", &api_url(&env.backend, &path), &[], None, 8_000).await {
        Ok(answer) if answer.status == 200 => js::decode::<Product>(&answer.body)
            .map_or(Lookup::Absent, |p| Lookup::Found(Box::new(p))),
        Ok(answer) if answer.status == 404 || answer.status == 410 => Lookup::Absent,
        _ => Lookup::Failed,
    }
}

/// The hotspot layer.
#[component]
pub fn Hotspots(props: &HotspotsProps) -> Html {
    let env = use_context::<Env>();
    let manifest = use_state(|| None::<Rc<Manifest>>);
    let products = use_state(HashMap::<String, Product>::new);
    let open = use_state(|| None::<String>);
    let time = use_video_time(env.clone());
    {
        let (manifest, products, env) = (manifest.clone(), products.clone(), env.clone());
        use_effect_with(props.video_id.clone(), move |video_id| {
            let video_id = video_id.clone();
            // Lookups still retried stop when the layer goes or shows another video.
            let alive = Rc::new(Cell::new(true));
            let running = alive.clone();
            if let Some(env) = env {
                wasm_bindgen_futures::spawn_local(async move {
                    let path = overlay_path(&video_id);
                    let Some(loaded) = load(&env, &path)
                        .await
                        .and_then(|body| js::decode::<Manifest>(&body).ok())
                    else {
                        return;
                    };
                    let mut ids: Vec<String> = loaded
                        .hotspots
                        .iter()
                        .map(|h| h.product_id.clone())
                        .collect();
                    ids.sort();
                    ids.dedup();
                    manifest.set(Some(Rc::new(loaded)));
                    // Labelled hotspots show meanwhile; the others appear as their products
                    // come. Lookups that failed are asked again, ever more slowly.
                    let mut found = HashMap::new();
                    let mut wanted = ids;
                    let mut failures = 0;
                    loop {
                        let mut failed = Vec::new();
                        for id in wanted {
                            match look_up(&env, &id).await {
                                Lookup::Found(product) => {
                                    found.insert(id, *product);
                                }
                                Lookup::Absent => {}
                                Lookup::Failed => failed.push(id),
                            }
                        }
                        if !running.get() {
                            return;
                        }
                        products.set(found.clone());
                        if failed.is_empty() {
                            return;
                        }
                        failures += 1;
                        TimeoutFuture::new(lookup_retry_ms(failures)).await;
                        if !running.get() {
                            return;
                        }
                        wanted = failed;
                    }
                });
            }
            move || alive.set(false)
        });
    }
    let (Some(env), Some(manifest)) = (env, (*manifest).clone()) else {
        return html! {};
    };
    let now = env.now();
    let visible = manifest.at(time);
    let opened = (*open)
        .clone()
        .and_then(|id| manifest.get(&id).filter(|h| h.shows_at(time)).cloned());
    html! {
        <div class="hotspots" aria-label={env.text(Text::Hotspots)} role="group">
            { for visible.iter().filter_map(|(hotspot, (x, y))| {
                let (x, y) = props.crop.to_visible((*x, *y))?;
                let name = hotspot.name(products.get(&hotspot.product_id).map(|p| p.title.as_str()))?;
                let id = hotspot.id.clone();
                let expanded = opened.as_ref().is_some_and(|h| h.id == id);
                let onclick = {
                    let open = open.clone();
                    Callback::from(move |_: MouseEvent| {
                        open.set(if expanded { None } else { Some(id.clone()) })
                    })
                };
                let y = y.min(props.lowest);
                let style = format!("left:{}%;top:{}%", css_number(x * 100.0), css_number(y * 100.0));
                Some(html! {
                    <button key={hotspot.id.clone()} type="button" class="hotspot" ~style={style}
                        aria-expanded={expanded.to_string()} data-hotspot={hotspot.id.clone()} {onclick}>
                        <span class="dot" aria-hidden="true"></span>
                        <span class="hotspot-label" dir="auto">{name}</span>
                    </button>
                })
            }) }
            if let Some(hotspot) = opened {
                if let Some(card) = products
                    .get(&hotspot.product_id)
                    .and_then(|p| Card::new(&props.show, p, &env.backend, now))
                {
                    <div class="hotspot-card" onkeydown={
                        let open = open.clone();
                        Callback::from(move |e: KeyboardEvent| if e.key() == "Escape" { open.set(None) })
                    }>
                        <DealCard {card} compact=true />
                        if let Some(cta) = hotspot.cta.clone() {
                            <p class="cta" dir="auto">{cta}</p>
                        }
                        <button type="button" class="close" aria-label={env.text(Text::Close)}
                            onclick={let open = open.clone(); Callback::from(move |_: MouseEvent| open.set(None))}>{"×"}</button>
                    </div>
                }
            }
        </div>
    }
}
