//! The creator studio, a part that only studio pages load (`live-shop-studio`): a video with
//! a timeline, hotspots placed and dragged on its picture, products attached from the catalog,
//! undo/redo, a draft kept in the browser, JSON and WebVTT export/import, saving with
//! conflict merge and an offline queue, and a live tab to pin products and start flash deals.
//! The rules are core's [`live_shop_core::studio`] and [`live_shop_core::hotspot`].
use std::rc::Rc;

use live_shop_core::geometry::css_number;
use live_shop_core::geometry::Rect;
use live_shop_core::hotspot::{from_webvtt, merge, to_webvtt, Conflict, Keep, Manifest, Merged};
use live_shop_core::i18n::{fill, Digits, Lang, StudioText as L};
use live_shop_core::json::{decode_value, quote};
use live_shop_core::protocol::{CatalogPage, Product};
use live_shop_core::studio::{
    change_json, clock, flash_deal, local_clock, moved_range, shortcut, DealProblem, Document,
    Draft, Edit, Saved, Shortcut,
};
use live_shop_core::url::{api_url, encode_component, overlay_path};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlVideoElement};
use yew::prelude::*;

use crate::context::Env;
use crate::hooks::{use_video_boxes, use_video_time};
use crate::js::{self, Js};
use crate::part;
use crate::{net, search_js};

/// Props of [`StudioApp`].
#[derive(Properties, PartialEq, Clone)]
pub struct StudioAppProps {
    /// The environment (backend, locale, stream, video id).
    pub env: Env,
    /// The element the studio renders in (the picture layer is placed relative to it).
    pub root: Element,
    /// The video to start with.
    pub src: Option<String>,
    /// A creator token given by the page, if any.
    pub token: Option<String>,
}

/// What the save button last achieved.
#[derive(Clone, Debug, PartialEq)]
enum SaveState {
    Idle,
    Saving,
    Saved(String),
    Queued,
    Conflict(Rc<Merged>, String, Rc<Manifest>),
    Failed(String),
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn draft_key(env: &Env) -> String {
    format!(
        "live-shop-studio:{}:{}",
        env.backend,
        env.video_id.as_deref().unwrap_or_default()
    )
}

fn save_draft(env: &Env, draft: &Draft) {
    if let Some(s) = storage() {
        let _ = s.set_item(&draft_key(env), &draft.to_json());
    }
}

/// The stored draft; a missing or damaged one is no draft.
fn load_draft(env: &Env) -> Option<Draft> {
    let text = storage()?.get_item(&draft_key(env)).ok().flatten()?;
    js::decode(&text).ok()
}

fn input_value(e: &Event) -> String {
    e.target_dyn_into::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn number(text: &str) -> Option<f64> {
    live_shop_core::json::parse_decimal(text.trim().trim_end_matches('s'))
}

/// The studio.
#[component]
pub fn StudioApp(props: &StudioAppProps) -> Html {
    let env = props.env.clone();
    let manifest_id = env.video_id.clone().unwrap_or_default();
    let doc = use_mut_ref(|| Document::new(Manifest::new(&manifest_id)));
    let base = use_mut_ref(|| None::<Manifest>);
    let etag = use_mut_ref(|| None::<String>);
    let redraw = use_force_update();
    let save_state = use_state(|| SaveState::Idle);
    let notice = use_state(String::new);
    let tab_live = use_state(|| false);
    let src = use_state(|| props.src.clone().unwrap_or_default());
    let token = use_state(|| props.token.clone().unwrap_or_default());
    let query = use_state(String::new);
    let found = use_state(Vec::<Product>::new);
    let known = use_mut_ref(std::collections::HashMap::<String, Product>::new);
    // The saved manifest (or the draft) has been read: until then an empty list means nothing.
    let loaded = use_mut_ref(|| false);
    let drag = use_mut_ref(|| None::<String>);
    // A range handle being dragged: the hotspot, and whether it is the start.
    let range_drag = use_mut_ref(|| None::<(String, bool)>);
    let ranges_ref = use_node_ref();
    let video_ref = use_node_ref();
    let studio_ref = use_node_ref();
    let picture_ref = use_node_ref();
    let deal_form = use_state(|| ("".to_string(), "60".to_string(), "".to_string()));
    // The studio's own video is the one inside `root`.
    let time = use_video_time(Some(Env {
        host: props.root.clone(),
        video: None,
        ..env.clone()
    }));
    // The picture layer follows the video's picture through loads, resizes and fullscreen.
    let boxes = use_video_boxes(props.root.clone(), None);
    let picture = boxes.map(|b| b.picture);
    // Hotspots are points of the whole picture; the layer covers what the player shows of it.
    let crop = boxes.map(|b| b.crop()).unwrap_or_default();

    // Loads the saved manifest, or restores the draft (and resends a queued save).
    let persist = {
        let (env, doc, base, etag) = (env.clone(), doc.clone(), base.clone(), etag.clone());
        Rc::new(move |queued: bool| {
            let draft = Draft {
                manifest: doc.borrow().manifest.clone(),
                base: base.borrow().clone(),
                etag: etag.borrow().clone(),
                queued,
            };
            save_draft(&env, &draft);
        })
    };
    let save: Rc<dyn Fn()> = {
        let (env, doc, base, etag, save_state, token, persist) = (
            env.clone(),
            doc.clone(),
            base.clone(),
            etag.clone(),
            save_state.clone(),
            token.clone(),
            persist.clone(),
        );
        let (notice, redraw) = (notice.clone(), redraw.clone());
        Rc::new(move || {
            let (env, doc, base, etag, save_state, token, persist) = (
                env.clone(),
                doc.clone(),
                base.clone(),
                etag.clone(),
                save_state.clone(),
                (*token).clone(),
                persist.clone(),
            );
            let (notice, redraw) = (notice.clone(), redraw.clone());
            save_state.set(SaveState::Saving);
            wasm_bindgen_futures::spawn_local(async move {
                let lang = env.locale.lang;
                let video = env.video_id.clone().unwrap_or_default();
                let url = api_url(&env.backend, &overlay_path(&video));
                let json = doc.borrow().manifest.to_json();
                let auth = format!("Bearer {}", token.trim());
                let tag = etag.borrow().clone();
                let mut headers = vec![("authorization", auth.as_str())];
                match &tag {
                    Some(tag) => headers.push(("if-match", tag.as_str())),
                    None => headers.push(("if-none-match", "*")),
                }
                let answer = net::send("PUT", &url, &headers, Some(&json), 10_000).await;
                let answer = match answer {
                    Ok(answer) => answer,
                    Err(_) => {
                        // Kept in the browser and sent again when the network is back.
                        persist(true);
                        save_state.set(SaveState::Queued);
                        return;
                    }
                };
                match answer.status {
                    200 | 201 => {
                        *etag.borrow_mut() = answer.etag.clone();
                        *base.borrow_mut() = Some(doc.borrow().manifest.clone());
                        persist(false);
                        save_state.set(SaveState::Saved(answer.etag.unwrap_or_default()));
                    }
                    412 => {
                        let value = js_sys::JSON::parse(&answer.body).unwrap_or(JsValue::NULL);
                        let theirs: Option<Manifest> =
                            decode_value(&Js(js::field(&value, "current"))).ok();
                        let their_tag = js::field(&value, "etag").as_string().unwrap_or_default();
                        match theirs {
                            Some(theirs) => {
                                let empty = Manifest::new(&video);
                                let merged = merge(
                                    base.borrow().as_ref().unwrap_or(&empty),
                                    &doc.borrow().manifest,
                                    &theirs,
                                );
                                match merged.clean() {
                                    // The merge is the document, edited from the saved
                                    // version, so the next Save sends its ETag.
                                    Some(clean) => {
                                        *base.borrow_mut() = Some(theirs);
                                        *etag.borrow_mut() = Some(their_tag);
                                        doc.borrow_mut().apply(Edit::Replace(clean));
                                        persist(false);
                                        notice.set(L::StudioMerged.get(lang).into());
                                        save_state.set(SaveState::Idle);
                                        redraw.force_update();
                                    }
                                    None => save_state.set(SaveState::Conflict(
                                        Rc::new(merged),
                                        their_tag,
                                        Rc::new(theirs),
                                    )),
                                }
                            }
                            // A 412 without the current version: say so plainly.
                            None => save_state.set(SaveState::Failed(fill(
                                L::StudioRefused.get(lang),
                                "n",
                                "412",
                            ))),
                        }
                    }
                    401 | 403 => {
                        save_state.set(SaveState::Failed(L::StudioNeedToken.get(lang).into()))
                    }
                    422 => {
                        let value = js_sys::JSON::parse(&answer.body).unwrap_or(JsValue::NULL);
                        let problems = js::field(&value, "problems");
                        let list: Vec<String> = js_sys::Array::from(&problems)
                            .iter()
                            .filter_map(|p| js::field(&p, "message").as_string())
                            .collect();
                        save_state.set(SaveState::Failed(list.join(" ")));
                    }
                    status => save_state.set(SaveState::Failed(fill(
                        L::StudioRefused.get(lang),
                        "n",
                        &status.to_string(),
                    ))),
                }
            });
        })
    };
    {
        let (env, doc, base, etag, notice, redraw, save) = (
            env.clone(),
            doc.clone(),
            base.clone(),
            etag.clone(),
            notice.clone(),
            redraw.clone(),
            save.clone(),
        );
        let (known, loaded) = (known.clone(), loaded.clone());
        use_effect_with((), move |_| {
            let draft = load_draft(&env);
            wasm_bindgen_futures::spawn_local(async move {
                let lang = env.locale.lang;
                let video = env.video_id.clone().unwrap_or_default();
                let url = api_url(&env.backend, &overlay_path(&video));
                let answer = net::send("GET", &url, &[], None, 8_000).await.ok();
                let status = answer.as_ref().map(|a| a.status);
                let read = answer.and_then(|a| {
                    let m: Manifest = js::decode(&a.body).ok()?;
                    Some((m, a.etag))
                });
                let outcome = Saved::of(status, read.is_some());
                let saved = read.filter(|_| outcome == Saved::Found);
                // Unread, the video is not known to be new: an empty studio would say it is.
                let unknown = outcome == Saved::Unknown;
                if unknown && draft.is_none() {
                    notice.set(L::StudioLoadFailed.get(lang).into());
                }
                match (draft, saved) {
                    (Some(draft), _) => {
                        *base.borrow_mut() = draft.base;
                        *etag.borrow_mut() = draft.etag;
                        doc.borrow_mut().apply(Edit::Replace(draft.manifest));
                        notice.set(L::StudioDraftRestored.get(lang).into());
                        if draft.queued {
                            save();
                        }
                    }
                    (None, Some((manifest, tag))) => {
                        *base.borrow_mut() = Some(manifest.clone());
                        *etag.borrow_mut() = tag;
                        *doc.borrow_mut() = Document::new(manifest);
                    }
                    (None, None) => {}
                }
                *loaded.borrow_mut() = !unknown;
                // Product names for the hotspots already there.
                let manifest = doc.borrow().manifest.clone();
                learn_products(&env.backend, &manifest, &known).await;
                redraw.force_update();
            });
        });
    }
    {
        // A queued save goes out again when the browser is back online, and every 10 s.
        let (save, save_state) = (save.clone(), save_state.clone());
        use_effect_with(*save_state == SaveState::Queued, move |queued| {
            let guards = queued.then(|| {
                let again = save.clone();
                let online = web_sys::window()
                    .map(|w| gloo_events::EventListener::new(&w, "online", move |_| again()));
                let again = save.clone();
                let timer = gloo_timers::callback::Interval::new(10_000, move || again());
                (online, timer)
            });
            let _ = save_state;
            move || drop(guards)
        });
    }

    let edit = {
        let (doc, redraw, persist) = (doc.clone(), redraw.clone(), persist.clone());
        Callback::from(move |edit: Edit| {
            if doc.borrow_mut().apply(edit) {
                persist(false);
            }
            redraw.force_update();
        })
    };

    // Product search, debounced.
    {
        let (env, found, known) = (env.clone(), found.clone(), known.clone());
        use_effect_with((*query).clone(), move |q| {
            let q = q.trim().to_string();
            let timer = (!q.is_empty()).then(|| {
                gloo_timers::callback::Timeout::new(250, move || {
                    wasm_bindgen_futures::spawn_local(async move {
                        let url = api_url(
                            &env.backend,
                            &format!("/v1/catalog?limit=8&query={}", encode_component(&q)),
                        );
                        if let Ok(a) = net::send("GET", &url, &[], None, 8_000).await {
                            // The live tab's deals start on the server's clock.
                            if let Some((sent, received, server)) = a.clock {
                                env.clock
                                    .0
                                    .borrow_mut()
                                    .observe_round_trip(sent, received, server);
                            }
                            if let Ok(page) = js::decode::<CatalogPage>(&a.body) {
                                for p in &page.products {
                                    known.borrow_mut().insert(p.id.clone(), p.clone());
                                }
                                found.set(page.products);
                            }
                        }
                    });
                })
            });
            move || drop(timer)
        });
    }

    let document = doc.borrow().clone();
    let selected = document.selection().cloned();
    let duration = video_ref
        .cast::<HtmlVideoElement>()
        .map(|v| v.duration())
        .filter(|d| d.is_finite());
    if let Some(d) = duration {
        if document.manifest.duration != Some(d) {
            let mut m = document.manifest.clone();
            m.duration = Some(d);
            // The video's length is a fact, not an edit: no undo step.
            doc.borrow_mut().manifest = m;
        }
    }
    let names = known.borrow().clone();
    let problems = doc.borrow().manifest.validate(&|id| names.contains_key(id));
    let lang = env.locale.lang;
    let digits = env.locale.digits();

    let video = || video_ref.cast::<HtmlVideoElement>();
    let play = {
        let video_ref = video_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(v) = video_ref.cast::<HtmlVideoElement>() {
                if v.paused() {
                    let _ = v.play();
                } else {
                    let _ = v.pause();
                }
            }
        })
    };
    let step = |by: f64| {
        let video_ref = video_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(v) = video_ref.cast::<HtmlVideoElement>() {
                let _ = v.pause();
                v.set_current_time((v.current_time() + by).max(0.0));
            }
        })
    };
    let scrub = {
        let video_ref = video_ref.clone();
        Callback::from(move |e: InputEvent| {
            if let (Some(v), Some(t)) = (
                video_ref.cast::<HtmlVideoElement>(),
                number(&input_value(&e)),
            ) {
                v.set_current_time(t);
            }
        })
    };
    let fraction = {
        let picture_ref = picture_ref.clone();
        move |e: &PointerEvent| -> Option<(f64, f64)> {
            let el = picture_ref.cast::<Element>()?;
            let r = el.get_bounding_client_rect();
            (r.width() > 0.0 && r.height() > 0.0).then(|| {
                crop.to_frame((
                    (f64::from(e.client_x()) - r.left()) / r.width(),
                    (f64::from(e.client_y()) - r.top()) / r.height(),
                ))
            })
        }
    };
    let on_picture_down = {
        let (edit, drag, fraction) = (edit.clone(), drag.clone(), fraction.clone());
        Callback::from(move |e: PointerEvent| {
            let on_dot = e
                .target_dyn_into::<Element>()
                .and_then(|t| t.closest(".studio-dot").ok().flatten())
                .and_then(|d| d.get_attribute("data-hotspot"));
            match on_dot {
                Some(id) => {
                    if let Some(t) = e.target_dyn_into::<Element>() {
                        let _ = t.set_pointer_capture(e.pointer_id());
                    }
                    *drag.borrow_mut() = Some(id);
                }
                None => {
                    if let Some(at) = fraction(&e) {
                        edit.emit(Edit::Add { t: time, at });
                    }
                }
            }
        })
    };
    let on_picture_move = {
        let (edit, drag, fraction) = (edit.clone(), drag.clone(), fraction.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(id) = drag.borrow().clone() else {
                return;
            };
            if let Some(at) = fraction(&e) {
                edit.emit(Edit::Move { id, t: time, at });
            }
        })
    };
    let on_range_move = {
        let (edit, range_drag, ranges_ref, doc) = (
            edit.clone(),
            range_drag.clone(),
            ranges_ref.clone(),
            doc.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            let Some((id, is_start)) = range_drag.borrow().clone() else {
                return;
            };
            let (Some(el), Some(d)) = (ranges_ref.cast::<Element>(), duration) else {
                return;
            };
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 {
                return;
            }
            let at = ((f64::from(e.client_x()) - r.left()) / r.width()).clamp(0.0, 1.0) * d;
            let Some(h) = doc.borrow().manifest.get(&id).cloned() else {
                return;
            };
            let (start, end) = moved_range(&h, is_start, at, Some(d));
            edit.emit(Edit::Range { id, start, end });
        })
    };
    let on_range_up = {
        let range_drag = range_drag.clone();
        Callback::from(move |_: PointerEvent| *range_drag.borrow_mut() = None)
    };
    let range_handle = |id: String, is_start: bool, value: f64| {
        let (range_drag, edit, doc) = (range_drag.clone(), edit.clone(), doc.clone());
        let down = {
            let (range_drag, id) = (range_drag.clone(), id.clone());
            Callback::from(move |e: PointerEvent| {
                e.stop_propagation();
                if let Some(t) = e.target_dyn_into::<Element>() {
                    let _ = t.set_pointer_capture(e.pointer_id());
                }
                *range_drag.borrow_mut() = Some((id.clone(), is_start));
            })
        };
        // Arrows move a handle by a tenth of a second (Shift: a second).
        let key = {
            let id = id.clone();
            Callback::from(move |e: KeyboardEvent| {
                let step = if e.shift_key() { 1.0 } else { 0.1 };
                let delta = match e.key().as_str() {
                    "ArrowLeft" | "ArrowDown" => -step,
                    "ArrowRight" | "ArrowUp" => step,
                    _ => return,
                };
                e.prevent_default();
                e.stop_propagation();
                let Some(h) = doc.borrow().manifest.get(&id).cloned() else {
                    return;
                };
                let at = if is_start { h.start } else { h.end } + delta;
                let (start, end) = moved_range(&h, is_start, at, duration);
                edit.emit(Edit::Range {
                    id: id.clone(),
                    start,
                    end,
                });
            })
        };
        let label = if is_start {
            L::StudioFrom.get(lang)
        } else {
            L::StudioTo.get(lang)
        };
        html! {
            <span class={classes!("range-handle", if is_start { "range-start" } else { "range-end" })}
                role="slider" tabindex="0" aria-label={format!("{id} {}", label.trim())}
                aria-valuemin="0" aria-valuemax={duration.unwrap_or(0.0).to_string()}
                aria-valuenow={format!("{value:.1}")} aria-valuetext={digits.apply(&clock(value))}
                onpointerdown={down} onkeydown={key}></span>
        }
    };
    let on_picture_up = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let on_key = {
        let (doc, edit, redraw, persist) =
            (doc.clone(), edit.clone(), redraw.clone(), persist.clone());
        let studio_ref = studio_ref.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_field = e
                .target_dyn_into::<Element>()
                .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if in_field {
                return;
            }
            let Some(cut) = shortcut(&e.key(), e.ctrl_key() || e.meta_key(), e.shift_key()) else {
                return;
            };
            let selected = doc.borrow().selected.clone();
            e.prevent_default();
            match (cut, selected) {
                (Shortcut::Undo, _) => {
                    doc.borrow_mut().undo();
                    persist(false);
                    redraw.force_update();
                }
                (Shortcut::Redo, _) => {
                    doc.borrow_mut().redo();
                    persist(false);
                    redraw.force_update();
                }
                (Shortcut::Delete, Some(id)) => {
                    edit.emit(Edit::Delete(id));
                    // The focused dot is gone: keep focus in the studio so shortcuts still work.
                    if let Some(studio) = studio_ref.cast::<web_sys::HtmlElement>() {
                        let _ = studio.focus();
                    }
                }
                (Shortcut::Nudge(dx, dy), Some(id)) => edit.emit(Edit::Nudge { id, dx, dy }),
                _ => {}
            }
        })
    };
    let undo = {
        let (doc, redraw, persist) = (doc.clone(), redraw.clone(), persist.clone());
        Callback::from(move |_: MouseEvent| {
            doc.borrow_mut().undo();
            persist(false);
            redraw.force_update();
        })
    };
    let redo = {
        let (doc, redraw, persist) = (doc.clone(), redraw.clone(), persist.clone());
        Callback::from(move |_: MouseEvent| {
            doc.borrow_mut().redo();
            persist(false);
            redraw.force_update();
        })
    };
    let select = |id: String| {
        let (doc, redraw) = (doc.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            doc.borrow_mut().selected = Some(id.clone());
            redraw.force_update();
        })
    };
    // Tabbing to a hotspot selects it, so the keyboard alone can nudge or delete it.
    let select_on_focus = |id: String| {
        let (doc, redraw) = (doc.clone(), redraw.clone());
        Callback::from(move |_: FocusEvent| {
            if doc.borrow().selected.as_deref() != Some(id.as_str()) {
                doc.borrow_mut().selected = Some(id.clone());
                redraw.force_update();
            }
        })
    };
    let on_src = {
        let src = src.clone();
        Callback::from(move |e: Event| src.set(input_value(&e)))
    };
    let on_file = {
        let src = src.clone();
        Callback::from(move |e: Event| {
            let file = search_js::file_from_event(&e);
            if file.is_object() {
                src.set(search_js::object_url(&file));
            }
        })
    };
    let on_token = {
        let token = token.clone();
        Callback::from(move |e: InputEvent| token.set(input_value(&e)))
    };
    let on_query = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| query.set(input_value(&e)))
    };
    let on_save = {
        let save = save.clone();
        Callback::from(move |_: MouseEvent| save())
    };
    let resolve = |keep: Option<Keep>| {
        let (save_state, doc, base, etag, redraw, persist) = (
            save_state.clone(),
            doc.clone(),
            base.clone(),
            etag.clone(),
            redraw.clone(),
            persist.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if let SaveState::Conflict(merged, tag, theirs) = &*save_state {
                let resolved = merged.resolve(&|c: &Conflict| {
                    keep.unwrap_or(if c.mine.is_some() {
                        Keep::Mine
                    } else {
                        Keep::Theirs
                    })
                });
                *base.borrow_mut() = Some((**theirs).clone());
                *etag.borrow_mut() = Some(tag.clone());
                doc.borrow_mut().apply(Edit::Replace(resolved));
                persist(false);
                save_state.set(SaveState::Idle);
                redraw.force_update();
            }
        })
    };
    let export_json = js::data_url("application/json", &document.manifest.to_json());
    let export_vtt = js::data_url("text/vtt", &to_webvtt(&document.manifest));
    let on_import = {
        let (edit, notice, manifest_id) = (edit.clone(), notice.clone(), manifest_id.clone());
        let (known, redraw, backend) = (known.clone(), redraw.clone(), env.backend.clone());
        Callback::from(move |e: Event| {
            let file = search_js::file_from_event(&e);
            let (edit, notice, manifest_id) = (edit.clone(), notice.clone(), manifest_id.clone());
            let (known, redraw, backend) = (known.clone(), redraw.clone(), backend.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let text = match file.dyn_into::<web_sys::Blob>() {
                    Ok(blob) => wasm_bindgen_futures::JsFuture::from(blob.text())
                        .await
                        .ok()
                        .and_then(|t| t.as_string()),
                    Err(_) => None,
                };
                let Some(text) = text else { return };
                let imported = if text.trim_start().starts_with("WEBVTT") {
                    from_webvtt(&text, &manifest_id).ok()
                } else {
                    js::decode::<Manifest>(&text).ok().map(|mut m| {
                        m.video_id = manifest_id.clone();
                        m
                    })
                };
                match imported {
                    Some(m) => {
                        edit.emit(Edit::Replace(m.clone()));
                        notice.set(L::StudioImported.get(lang).into());
                        // The imported hotspots' products, by name, before they count as gone.
                        learn_products(&backend, &m, &known).await;
                        redraw.force_update();
                    }
                    None => notice.set(L::StudioBadImport.get(lang).into()),
                }
            });
        })
    };

    let dots = document.manifest.at(time);
    let picture_style = picture.map(Rect::css_box);
    let title_of = |id: &str| {
        names
            .get(id)
            .map_or_else(|| id.to_string(), |p| p.title.clone())
    };
    let live = *tab_live;

    html! {
        <div class="studio" ref={studio_ref} dir={lang.dir()} lang={env.locale.tag.clone()} onkeydown={on_key} tabindex="-1">
            <div class="studio-tabs">
                <div class="tabs" role="tablist">
                    <button type="button" role="tab" aria-selected={(!live).to_string()}
                        onclick={let t = tab_live.clone(); Callback::from(move |_: MouseEvent| t.set(false))}>{L::StudioTabHotspots.get(lang)}</button>
                    <button type="button" role="tab" aria-selected={live.to_string()}
                        onclick={let t = tab_live.clone(); Callback::from(move |_: MouseEvent| t.set(true))}>{L::StudioTabLive.get(lang)}</button>
                </div>
                // Beside the tabs, not among them: a tab list holds tabs only.
                <label class="token">{L::StudioToken.get(lang)}
                    <input type="password" dir="ltr" value={(*token).clone()} oninput={on_token} autocomplete="off" />
                </label>
            </div>
            if live {
                <LivePanel env={env.clone()} token={(*token).clone()} found={(*found).clone()}
                    on_query={on_query.clone()} deal={(*deal_form).clone()}
                    on_deal={let f = deal_form.clone(); Callback::from(move |d| f.set(d))} />
            } else {
            <div class="studio-main">
                <div class="studio-video-box">
                    <video class="studio-video" ref={video_ref.clone()} src={(*src).clone()} preload="auto" playsinline=true muted=true></video>
                </div>
                <div class="studio-picture" ref={picture_ref} ~style={picture_style}
                    onpointerdown={on_picture_down} onpointermove={on_picture_move}
                    onpointerup={on_picture_up.clone()} onpointercancel={on_picture_up}
                    role="group" aria-label={L::StudioPicture.get(lang)}>
                    { for dots.iter().filter_map(|(h, at)| Some((h, crop.to_visible(*at)?))).map(|(h, (x, y))| {
                        let style = format!("left:{}%;top:{}%", css_number(x * 100.0), css_number(y * 100.0));
                        let chosen = selected.as_ref().is_some_and(|s| s.id == h.id);
                        html! {
                            <button type="button" key={h.id.clone()} class={classes!("studio-dot", chosen.then_some("selected"))}
                                data-hotspot={h.id.clone()} ~style={style} onclick={select(h.id.clone())}
                                onfocus={select_on_focus(h.id.clone())}
                                aria-label={format!("{}: {}", fill(L::StudioHotspot.get(lang), "n", &h.id), title_of(&h.product_id))}>
                            </button>
                        }
                    }) }
                </div>
                <div class="studio-controls">
                    <button type="button" class="play" onclick={play}>
                        { if video().is_some_and(|v| !v.paused()) { L::StudioPause.get(lang) } else { L::StudioPlay.get(lang) } }
                    </button>
                    <button type="button" class="frame-back" onclick={step(-1.0 / 30.0)} aria-label={L::StudioPrevFrame.get(lang)}>{"◀|"}</button>
                    <button type="button" class="frame-forward" onclick={step(1.0 / 30.0)} aria-label={L::StudioNextFrame.get(lang)}>{"|▶"}</button>
                    <input type="range" class="timeline" dir="ltr" min="0" max={duration.unwrap_or(0.0).to_string()} step="0.033"
                        value={time.to_string()} oninput={scrub} aria-label={L::StudioTimeline.get(lang)} />
                    <output class="time">{local_clock(time, digits)}{" / "}{local_clock(duration.unwrap_or(0.0), digits)}</output>
                </div>
                <div class="ranges" ref={ranges_ref} onpointermove={on_range_move}
                    onpointerup={on_range_up.clone()} onpointercancel={on_range_up}>
                    { for document.manifest.hotspots.iter().map(|h| {
                        let d = duration.unwrap_or(h.end.max(1.0)).max(0.001);
                        let style = format!(
                            "left:{}%;width:{}%",
                            css_number(h.start / d * 100.0),
                            css_number((h.end - h.start).max(0.0) / d * 100.0)
                        );
                        let chosen = selected.as_ref().is_some_and(|s| s.id == h.id);
                        html! {
                            <div key={h.id.clone()} class="range-row">
                                <div class={classes!("range", chosen.then_some("selected"))} ~style={style} data-hotspot={h.id.clone()}>
                                    {range_handle(h.id.clone(), true, h.start)}
                                    <span class="range-name">{h.id.clone()}</span>
                                    {range_handle(h.id.clone(), false, h.end)}
                                </div>
                            </div>
                        }
                    }) }
                </div>
                <div class="studio-source">
                    <label>{L::StudioVideoUrl.get(lang)}<input type="url" dir="ltr" value={(*src).clone()} onchange={on_src} /></label>
                    <label>{L::StudioVideoFile.get(lang)}<input type="file" accept="video/*" onchange={on_file} /></label>
                </div>
            </div>
            <aside class="studio-side">
                <div class="row">
                    <button type="button" class="undo" onclick={undo} disabled={!document.can_undo()}>{L::StudioUndo.get(lang)}</button>
                    <button type="button" class="redo" onclick={redo} disabled={!document.can_redo()}>{L::StudioRedo.get(lang)}</button>
                    <button type="button" class="save" onclick={on_save}>{L::StudioSave.get(lang)}</button>
                    <a class="export-json" href={export_json} download={format!("{manifest_id}.overlay.json")}>{L::StudioExportJson.get(lang)}</a>
                    <a class="export-vtt" href={export_vtt} download={format!("{manifest_id}.hotspots.vtt")}>{L::StudioExportVtt.get(lang)}</a>
                    <label class="import">{L::StudioImport.get(lang)}<input type="file" accept=".json,.vtt,application/json,text/vtt" onchange={on_import} /></label>
                </div>
                <p class="studio-status" role="status">{
                    match &*save_state {
                        SaveState::Idle => (*notice).clone(),
                        SaveState::Saving => L::StudioSaving.get(lang).into(),
                        SaveState::Saved(tag) => fill(L::StudioSaved.get(lang), "n", tag),
                        SaveState::Queued => L::StudioQueued.get(lang).into(),
                        SaveState::Failed(why) => why.clone(),
                        SaveState::Conflict(m, ..) => fill(L::StudioConflicts.get(lang), "n", &digits.apply(&m.conflicts.len().to_string())),
                    }
                }</p>
                if let SaveState::Conflict(merged, ..) = &*save_state {
                    <div class="conflicts">
                        <ul>
                            { for merged.conflicts.iter().map(|c| html! {
                                <li key={c.id.clone()}>
                                    {format!("{}: {} {} · {} {}", c.id,
                                        L::StudioYours.get(lang),
                                        c.mine.as_ref().map_or(L::StudioDeleted.get(lang).into(), |h| title_of(&h.product_id)),
                                        L::StudioTheirs.get(lang),
                                        c.theirs.as_ref().map_or(L::StudioDeleted.get(lang).into(), |h| title_of(&h.product_id)))}
                                </li>
                            }) }
                        </ul>
                        <div class="row">
                            <button type="button" class="merge" onclick={resolve(None)}>{L::StudioMerge.get(lang)}</button>
                            <button type="button" class="keep-mine" onclick={resolve(Some(Keep::Mine))}>{L::StudioKeepMine.get(lang)}</button>
                            <button type="button" class="take-theirs" onclick={resolve(Some(Keep::Theirs))}>{L::StudioTakeTheirs.get(lang)}</button>
                            <button type="button" class="keep-both" onclick={resolve(Some(Keep::Both))}>{L::StudioKeepBoth.get(lang)}</button>
                        </div>
                    </div>
                }
                if *loaded.borrow() && document.manifest.hotspots.is_empty() {
                    <p class="studio-empty">{L::StudioEmpty.get(lang)}</p>
                }
                <ul class="hotspot-list">
                    { for document.manifest.hotspots.iter().map(|h| {
                        let chosen = selected.as_ref().is_some_and(|s| s.id == h.id);
                        html! {
                            <li key={h.id.clone()} class={classes!(chosen.then_some("selected"))}>
                                <button type="button" onclick={select(h.id.clone())} aria-pressed={chosen.to_string()}>
                                    // The product's title isolated, so a Latin title in a
                                    // Persian list keeps its words (and the times) in place.
                                    {format!("{} · ", h.id)}
                                    <bdi>{if h.product_id.is_empty() { L::StudioNoProduct.get(lang).into() } else { title_of(&h.product_id) }}</bdi>
                                    {format!(" · {}–{}", local_clock(h.start, digits), local_clock(h.end, digits))}
                                </button>
                            </li>
                        }
                    }) }
                </ul>
                if let Some(h) = selected.clone() {
                    <HotspotEditor hotspot={h} {lang} {digits} edit={edit.clone()} time={time} found={(*found).clone()}
                        on_query={on_query.clone()} title={title_of(&selected.as_ref().map(|s| s.product_id.clone()).unwrap_or_default())} />
                }
                if !problems.is_empty() {
                    <ul class="problems" aria-label={L::StudioProblems.get(lang)}>
                        { for problems.iter().map(|p| html! {
                            <li>{format!("{}{}", p.hotspot().map(|h| format!("{h}: ")).unwrap_or_default(), p.message(lang))}</li>
                        }) }
                    </ul>
                }
            </aside>
            }
        </div>
    }
}

/// Props of [`HotspotEditor`].
#[derive(Properties, PartialEq, Clone)]
pub struct HotspotEditorProps {
    hotspot: live_shop_core::hotspot::Hotspot,
    lang: Lang,
    digits: Digits,
    edit: Callback<Edit>,
    time: f64,
    found: Vec<Product>,
    on_query: Callback<InputEvent>,
    title: String,
}

/// The selected hotspot's product, times and texts.
#[component]
fn HotspotEditor(props: &HotspotEditorProps) -> Html {
    let lang = props.lang;
    let h = &props.hotspot;
    let id = h.id.clone();
    let range = |start: f64, end: f64| {
        let (edit, id) = (props.edit.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            edit.emit(Edit::Range {
                id: id.clone(),
                start,
                end,
            })
        })
    };
    let on_times = |which: &'static str| {
        let (edit, id, start, end) = (props.edit.clone(), id.clone(), h.start, h.end);
        Callback::from(move |e: Event| {
            let Some(v) = number(&input_value(&e)) else {
                return;
            };
            let (start, end) = if which == "start" {
                (v, end)
            } else {
                (start, v)
            };
            edit.emit(Edit::Range {
                id: id.clone(),
                start,
                end,
            });
        })
    };
    let on_text = |which: &'static str| {
        let (edit, id, label, cta) = (
            props.edit.clone(),
            id.clone(),
            h.label.clone().unwrap_or_default(),
            h.cta.clone().unwrap_or_default(),
        );
        Callback::from(move |e: Event| {
            let v = input_value(&e);
            let (label, cta) = if which == "label" {
                (v, cta.clone())
            } else {
                (label.clone(), v)
            };
            edit.emit(Edit::Text {
                id: id.clone(),
                label,
                cta,
            });
        })
    };
    let delete = {
        let (edit, id) = (props.edit.clone(), id.clone());
        Callback::from(move |_: MouseEvent| edit.emit(Edit::Delete(id.clone())))
    };
    html! {
        <section class="hotspot-editor" aria-label={fill(L::StudioHotspot.get(lang), "n", &h.id)}>
            <h2>{fill(L::StudioHotspot.get(lang), "n", &h.id)}</h2>
            <p class="product" dir="auto">{ if h.product_id.is_empty() { L::StudioNoProduct.get(lang).to_string() } else { props.title.clone() } }</p>
            <label>{L::StudioFindProduct.get(lang)}<input type="search" dir="auto" class="product-search" oninput={props.on_query.clone()} /></label>
            <ul class="product-results">
                { for props.found.iter().map(|p| {
                    let (edit, id, pid) = (props.edit.clone(), id.clone(), p.id.clone());
                    html! {
                        <li key={p.id.clone()}>
                            <button type="button" onclick={Callback::from(move |_: MouseEvent| edit.emit(Edit::Product { id: id.clone(), product_id: pid.clone() }))}>
                                <bdi>{p.title.clone()}</bdi>
                            </button>
                        </li>
                    }
                }) }
            </ul>
            <div class="row times">
                <label>{L::StudioFrom.get(lang)}<input class="start" dir="ltr" value={format!("{:.2}", h.start)} onchange={on_times("start")} /></label>
                <label>{L::StudioTo.get(lang)}<input class="end" dir="ltr" value={format!("{:.2}", h.end)} onchange={on_times("end")} /></label>
                <button type="button" class="start-here" onclick={range(props.time, h.end.max(props.time + 0.1))}>{L::StudioStartHere.get(lang)}</button>
                <button type="button" class="end-here" onclick={range(h.start, props.time.max(h.start + 0.1))}>{L::StudioEndHere.get(lang)}</button>
            </div>
            <p class="keyframes">{fill(L::StudioPositions.get(lang), "n", &props.digits.apply(&h.keyframes.len().to_string()))}</p>
            <label>{L::StudioLabel.get(lang)}<input class="label" dir="auto" value={h.label.clone().unwrap_or_default()} onchange={on_text("label")} /></label>
            <label>{L::StudioCta.get(lang)}<input class="cta" dir="auto" value={h.cta.clone().unwrap_or_default()} onchange={on_text("cta")} /></label>
            <button type="button" class="delete" onclick={delete}>{L::StudioDelete.get(lang)}</button>
        </section>
    }
}

/// Props of [`LivePanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct LivePanelProps {
    env: Env,
    token: String,
    found: Vec<Product>,
    on_query: Callback<InputEvent>,
    deal: (String, String, String),
    on_deal: Callback<(String, String, String)>,
}

/// The producer's live controls: pin or unpin a product, start a flash deal.
#[component]
fn LivePanel(props: &LivePanelProps) -> Html {
    let lang = props.env.locale.lang;
    let digits = props.env.locale.digits();
    let chosen = use_state(|| None::<Product>);
    let status = use_state(String::new);
    let send = {
        let (env, token, status) = (props.env.clone(), props.token.clone(), status.clone());
        Rc::new(move |body: String| {
            let (env, token, status) = (env.clone(), token.clone(), status.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = api_url(
                    &env.backend,
                    &format!("/v1/streams/{}/changes", encode_component(&env.stream)),
                );
                let auth = format!("Bearer {}", token.trim());
                let answer = net::send(
                    "POST",
                    &url,
                    &[("authorization", auth.as_str())],
                    Some(&body),
                    8_000,
                )
                .await;
                status.set(match answer {
                    Ok(a) if (200..300).contains(&a.status) => L::StudioSent.get(lang).into(),
                    Ok(a) if a.status == 401 || a.status == 403 => {
                        L::StudioNeedTokenLive.get(lang).into()
                    }
                    Ok(a) => fill(
                        L::StudioRefusedLive.get(lang),
                        "n",
                        &digits.apply(&a.status.to_string()),
                    ),
                    Err(_) => L::StudioOffline.get(lang).into(),
                });
            });
        })
    };
    let pin = {
        let (send, chosen) = (send.clone(), chosen.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(p) = &*chosen {
                send(format!(
                    r#"{{"type":"offerPinned","product":{{"id":{},"title":{}}}}}"#,
                    quote(&p.id),
                    quote(&p.title)
                ));
            }
        })
    };
    let unpin = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send(r#"{"type":"offerUnpinned"}"#.into()))
    };
    let start_deal = {
        let (send, chosen, status, deal, clock) = (
            send.clone(),
            chosen.clone(),
            status.clone(),
            props.deal.clone(),
            props.env.clock.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(p) = &*chosen else { return };
            let price = number(&deal.0).unwrap_or(f64::NAN);
            let seconds = number(&deal.1).map_or(0, |s| s as u32);
            let stock = number(&deal.2).map(|s| s as u32);
            let now = clock.now();
            match flash_deal(p, price, seconds, stock, now) {
                Ok(change) => send(change_json(&change)),
                Err(problem) => status.set(
                    match problem {
                        DealProblem::Price => L::StudioDealPrice,
                        DealProblem::Duration => L::StudioDealDuration,
                        DealProblem::NoOffer => L::StudioDealNoOffer,
                    }
                    .get(lang)
                    .into(),
                ),
            }
        })
    };
    let field = |i: usize| {
        let (on_deal, deal) = (props.on_deal.clone(), props.deal.clone());
        Callback::from(move |e: InputEvent| {
            let mut d = deal.clone();
            let v = input_value(&e);
            match i {
                0 => d.0 = v,
                1 => d.1 = v,
                _ => d.2 = v,
            }
            on_deal.emit(d);
        })
    };
    html! {
        <section class="live-panel" aria-label={L::StudioLive.get(lang)}>
            <p>{fill(L::StudioStream.get(lang), "n", &props.env.stream)}</p>
            <label>{L::StudioFindProduct.get(lang)}<input type="search" dir="auto" class="product-search" oninput={props.on_query.clone()} /></label>
            <ul class="product-results">
                { for props.found.iter().map(|p| {
                    let (chosen, product) = (chosen.clone(), p.clone());
                    let pressed = chosen.as_ref().is_some_and(|c| c.id == p.id);
                    html! {
                        <li key={p.id.clone()}>
                            <button type="button" aria-pressed={pressed.to_string()}
                                onclick={Callback::from(move |_: MouseEvent| chosen.set(Some(product.clone())))}><bdi>{p.title.clone()}</bdi></button>
                        </li>
                    }
                }) }
            </ul>
            <div class="row">
                <button type="button" class="pin" onclick={pin} disabled={chosen.is_none()}>{L::StudioPin.get(lang)}</button>
                <button type="button" class="unpin" onclick={unpin}>{L::StudioUnpin.get(lang)}</button>
            </div>
            <fieldset class="deal">
                <legend>{L::StudioFlashDeal.get(lang)}</legend>
                <label>{L::StudioPrice.get(lang)}<input class="deal-price" dir="ltr" inputmode="decimal" value={props.deal.0.clone()} oninput={field(0)} /></label>
                <label>{L::StudioSeconds.get(lang)}<input class="deal-seconds" dir="ltr" inputmode="numeric" value={props.deal.1.clone()} oninput={field(1)} /></label>
                <label>{L::StudioStock.get(lang)}<input class="deal-stock" dir="ltr" inputmode="numeric" value={props.deal.2.clone()} oninput={field(2)} /></label>
                <button type="button" class="start-deal" onclick={start_deal} disabled={chosen.is_none()}>{L::StudioStartDeal.get(lang)}</button>
            </fieldset>
            <p class="live-status" role="status">{(*status).clone()}</p>
        </section>
    }
}

crate::part_styles!("../static/studio.css", "live-shop-studio-css");

/// Mounts the studio in `root`. Options: `backend`, `videoId` (required), `stream`, `locale`,
/// `src` (the video to start with), `token`.
pub fn mount(root: Element, host: Element, options: &JsValue) -> Result<JsValue, JsValue> {
    add_part_styles(&root)?;
    let mut env = part::env(options, host)?;
    if env.video_id.is_none() {
        return Err(JsValue::from_str("video-id is required"));
    }
    if env.stream.is_empty() {
        env.stream = "demo".into();
    }
    env.video = None;
    let props = StudioAppProps {
        env,
        root: root.clone(),
        src: part::option(options, "src"),
        token: part::option(options, "token"),
    };
    Ok(part::render::<StudioApp>(root, props))
}

/// Looks up, once each, the products of `manifest`'s hotspots that the studio does not know yet,
/// so it can name them (and not count them as gone from the catalog).
async fn learn_products(
    backend: &str,
    manifest: &Manifest,
    known: &std::rc::Rc<std::cell::RefCell<std::collections::HashMap<String, Product>>>,
) {
    let mut ids: Vec<String> = manifest
        .hotspots
        .iter()
        .map(|h| h.product_id.clone())
        .filter(|id| !id.is_empty() && !known.borrow().contains_key(id))
        .collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let url = api_url(backend, &format!("/v1/catalog/{}", encode_component(&id)));
        if let Ok(a) = net::send("GET", &url, &[], None, 8_000).await {
            if let Ok(p) = js::decode::<Product>(&a.body) {
                known.borrow_mut().insert(id, p);
            }
        }
    }
}
