//! Visual search: the camera button, the panel with its sources (camera, file, drop, paste, the
//! video's frame), the crop box, the progress line and the results grid. The rules (regions,
//! phases, cancellation, retries, messages) are core's [`live_shop_core::search`]; this file
//! wires them to the DOM.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use live_shop_core::deal::Show;
use live_shop_core::geometry::css_number;
use live_shop_core::i18n::{fill, SearchText, Text};
use live_shop_core::protocol::{ErrorBody, SearchOptions, SearchResults};
use live_shop_core::search::{
    choose_profile, reveal_status, Arrow, CameraError, Event as SearchEvent, Failure, Found, Phase,
    Plan, Query, Region, RetryPolicy, Reveal, Search,
};
use live_shop_core::url::api_url;
use live_shop_core::view::Card;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, HtmlImageElement, HtmlVideoElement};
use yew::prelude::*;

use super::DealCard;
use crate::context::Env;
use crate::hooks::find_video;
use crate::{js, net, search_js};

/// Results asked for.
const LIMIT: u32 = 12;

/// The photo being searched: the source bytes and a URL to show them.
struct Photo {
    blob: JsValue,
    url: String,
}

impl Drop for Photo {
    fn drop(&mut self) {
        search_js::revoke_url(&self.url);
    }
}

/// A pointer gesture on the crop box.
#[derive(Clone, Copy)]
enum Drag {
    Draw((f64, f64)),
    Move((f64, f64), Region),
    Resize((f64, f64), Region),
}

/// Props of [`SearchPanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct SearchPanelProps {
    /// The live show, so results carry running deals.
    pub show: Rc<Show>,
    /// Closes the panel.
    pub on_close: Callback<()>,
}

/// Everything the async query needs, cloned into it.
#[derive(Clone)]
struct Runner {
    env: Env,
    /// Resolves to the upload profile's name (see [`profile_choice`]).
    profile: js_sys::Promise,
    state: Rc<RefCell<Search>>,
    photo: Rc<RefCell<Option<Photo>>>,
    abort: Rc<RefCell<Option<AbortController>>>,
    dispatch: Callback<SearchEvent>,
}

impl Runner {
    /// Starts a query for the current box, superseding any in flight.
    fn start(&self) {
        let Some(blob) = self.photo.borrow().as_ref().map(|p| p.blob.clone()) else {
            return;
        };
        self.stop();
        let (ticket, plan) = self.state.borrow_mut().start();
        let Ok(controller) = AbortController::new() else {
            return;
        };
        *self.abort.borrow_mut() = Some(controller.clone());
        // Redraw with the new phase (the state is not borrowed while the event applies).
        let region = self.state.borrow().region;
        self.dispatch.emit(SearchEvent::Region(region));
        let runner = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            runner.run(ticket, plan, blob, controller).await;
        });
    }

    /// Stops the query in flight: the upload is aborted, the worker's work dropped.
    fn stop(&self) {
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
        js::cancel_prepare();
    }

    fn current(&self, ticket: u64) -> bool {
        self.state.borrow().ticket() == ticket
    }

    async fn run(&self, ticket: u64, mut plan: Plan, blob: JsValue, controller: AbortController) {
        let policy = RetryPolicy::default();
        let url = api_url(&self.env.backend, "/v1/search/image");
        let profile = JsFuture::from(self.profile.clone())
            .await
            .ok()
            .and_then(|p| p.as_string())
            .unwrap_or_else(|| choose_profile(None, None));
        if !self.current(ticket) {
            return;
        }
        loop {
            let (jpeg, region, query_id, uploaded) = match &plan {
                Plan::Upload => {
                    let region = self.state.borrow().region;
                    match self.prepare(&blob, &profile, region).await {
                        Ok((jpeg, long_edge)) => {
                            self.dispatch.emit(SearchEvent::Prepared(ticket));
                            (jpeg, Region::FULL, None, Some((region, long_edge)))
                        }
                        Err(None) => return,
                        Err(Some(failure)) => {
                            self.dispatch
                                .emit(SearchEvent::Failed(Some(ticket), failure));
                            return;
                        }
                    }
                }
                Plan::Reuse { query_id, region } => {
                    (JsValue::NULL, *region, Some(query_id.clone()), None)
                }
            };
            if !self.current(ticket) {
                return;
            }
            let query = Query {
                region,
                boxed: true,
                profile: profile.clone(),
                locale: self.env.locale.tag.clone(),
                query_id,
                limit: LIMIT,
            }
            .to_json();
            let mut attempt = 0;
            let outcome = loop {
                let outcome = self
                    .send(ticket, &url, &jpeg, &query, &controller, &policy)
                    .await;
                let failure = match &outcome {
                    Ok(_) | Err(None) => break outcome,
                    Err(Some(failure)) => failure.clone(),
                };
                match policy.next_delay(attempt, &failure) {
                    Some(delay) => {
                        attempt += 1;
                        gloo_timers::future::TimeoutFuture::new(delay).await;
                        if !self.current(ticket) {
                            return;
                        }
                    }
                    None => break outcome,
                }
            };
            match outcome {
                Ok(results) => {
                    self.dispatch
                        .emit(SearchEvent::Answer(ticket, results, uploaded));
                    return;
                }
                Err(None) => return,
                // The backend no longer holds the upload: send the photo again.
                Err(Some(Failure::Unavailable)) if matches!(plan, Plan::Reuse { .. }) => {
                    self.state.borrow_mut().sent = None;
                    plan = Plan::Upload;
                }
                Err(Some(failure)) => {
                    self.dispatch
                        .emit(SearchEvent::Failed(Some(ticket), failure));
                    return;
                }
            }
        }
    }

    /// The worker's JPEG of `region` and its long edge; `Err(None)` when superseded.
    async fn prepare(
        &self,
        blob: &JsValue,
        profile: &str,
        region: Region,
    ) -> Result<(JsValue, u32), Option<Failure>> {
        let js_region = js::object(&[
            ("x", region.x.into()),
            ("y", region.y.into()),
            ("width", region.width.into()),
            ("height", region.height.into()),
        ]);
        match JsFuture::from(js::prepare_raw(blob, profile, &js_region)).await {
            Ok(result) => {
                let side = |k: &str| js::field(&result, k).as_f64().unwrap_or(0.0);
                let long_edge = side("width").max(side("height")) as u32;
                Ok((js::field(&result, "bytes"), long_edge))
            }
            Err(error) => {
                let code = js::field(&error, "code").as_string().unwrap_or_default();
                if code == "aborted" {
                    return Err(None);
                }
                Err(Some(Failure::Image {
                    code,
                    format: js::field(&error, "format").as_string(),
                }))
            }
        }
    }

    /// One attempt; `Err(None)` when aborted.
    async fn send(
        &self,
        ticket: u64,
        url: &str,
        jpeg: &JsValue,
        query: &str,
        controller: &AbortController,
        policy: &RetryPolicy,
    ) -> Result<SearchResults, Option<Failure>> {
        let progress = {
            let dispatch = self.dispatch.clone();
            Closure::<dyn Fn(f64)>::new(move |f: f64| {
                dispatch.emit(SearchEvent::Progress(ticket, f))
            })
        };
        let uploaded = {
            let dispatch = self.dispatch.clone();
            Closure::<dyn Fn()>::new(move || dispatch.emit(SearchEvent::Uploaded(ticket)))
        };
        let request = search_js::search_request(
            url,
            jpeg,
            query,
            policy.timeout_ms,
            &controller.signal(),
            progress.as_ref().unchecked_ref(),
            uploaded.as_ref().unchecked_ref(),
        );
        let answer = match JsFuture::from(request).await {
            Ok(answer) => answer,
            Err(reason) => {
                return match reason.as_string().as_deref() {
                    Some("aborted") => Err(None),
                    Some("timeout") => Err(Some(Failure::Timeout)),
                    _ => Err(Some(Failure::Network)),
                }
            }
        };
        let status = js::field(&answer, "status").as_f64().unwrap_or(0.0) as u16;
        let body = js::field(&answer, "body").as_string().unwrap_or_default();
        if status == 0 {
            return Err(Some(Failure::Network));
        }
        if !(200..300).contains(&status) {
            return Err(Some(failure_of(status, &body)));
        }
        js::decode::<SearchResults>(&body).map_err(|_| Some(Failure::BadAnswer))
    }
}

/// The upload profile, settled once per panel: the page's `search-profile`, else the one the
/// backend asks for at `GET /v1/search/image` (asked as the panel opens, so it is known by the
/// time a photo is taken), else core's default. Resolves to `null` when the backend answered that
/// it has no visual search, so the panel says so before the shopper takes a photo. Never rejects.
fn profile_choice(env: &Env) -> js_sys::Promise {
    let page = env.search.clone().filter(|p| !p.is_empty());
    if let Some(page) = page {
        return js_sys::Promise::resolve(&JsValue::from_str(&page));
    }
    let url = api_url(&env.backend, "/v1/search/image");
    wasm_bindgen_futures::future_to_promise(async move {
        let asked = match net::send("GET", &url, &[], None, 4_000).await {
            Ok(answer) if answer.status == 200 => js::decode::<SearchOptions>(&answer.body).ok(),
            Ok(answer) if Failure::from_status(answer.status) == Failure::Unavailable => {
                return Ok(JsValue::NULL);
            }
            _ => None,
        };
        Ok(JsValue::from_str(&choose_profile(None, asked.as_ref())))
    })
}

/// The failure for a refusal, from its status and error body.
fn failure_of(status: u16, body: &str) -> Failure {
    let code = js::decode::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.code)
        .unwrap_or_default();
    Failure::refused(status, &code)
}

/// Where a pointer is over `element`, in fractions of its box.
fn fraction(element: &web_sys::Element, event: &PointerEvent) -> (f64, f64) {
    let rect = element.get_bounding_client_rect();
    let along = |pos: f64, start: f64, len: f64| {
        if len > 0.0 {
            ((pos - start) / len).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    (
        along(f64::from(event.client_x()), rect.left(), rect.width()),
        along(f64::from(event.client_y()), rect.top(), rect.height()),
    )
}

/// The search panel.
#[component]
pub fn SearchPanel(props: &SearchPanelProps) -> Html {
    let env = use_context::<Env>();
    let state = use_mut_ref(Search::default);
    let photo = use_mut_ref(|| None::<Photo>);
    let abort = use_mut_ref(|| None::<AbortController>);
    let drag = use_mut_ref(|| None::<Drag>);
    let redraw = use_force_update();
    let camera = use_node_ref();
    let stage = use_node_ref();
    let panel = use_node_ref();
    let status_line = use_node_ref();
    let header = use_node_ref();
    // A file is being dragged over the panel: it shows where it would land.
    let dropping = use_state_eq(|| false);
    let dispatch = {
        let (state, redraw) = (state.clone(), redraw.clone());
        use_callback((), move |event: SearchEvent, _| {
            if state.borrow_mut().apply(event) {
                redraw.force_update();
            }
        })
    };
    let profile = use_memo((), {
        let env = env.clone();
        move |_| env.as_ref().map(profile_choice)
    });
    let runner = env
        .as_ref()
        .zip((*profile).clone())
        .map(|(env, profile)| Runner {
            env: env.clone(),
            profile,
            state: state.clone(),
            photo: photo.clone(),
            abort: abort.clone(),
            dispatch: dispatch.clone(),
        });
    // A new photo from any source: show it for cropping.
    let take_photo = {
        let (photo, dispatch, runner) = (photo.clone(), dispatch.clone(), runner.clone());
        Callback::from(move |blob: JsValue| {
            if !blob.is_object() {
                return;
            }
            if let Some(runner) = &runner {
                runner.stop();
            }
            let url = search_js::object_url(&blob);
            *photo.borrow_mut() = Some(Photo { blob, url });
            // Size is known when the <img> loads; until then the box covers the whole.
            dispatch.emit(SearchEvent::Photo(0, 0));
        })
    };
    {
        // Opening warms the worker; closing stops the camera and any query in flight.
        let (runner, camera, panel) = (runner.clone(), camera.clone(), panel.clone());
        use_effect_with((), move |_| {
            js::warm_prep_worker();
            if let Some(panel) = panel.cast::<web_sys::HtmlElement>() {
                let _ = panel.focus();
            }
            move || {
                if let Some(runner) = runner {
                    runner.stop();
                }
                if let Some(video) = camera.cast::<HtmlVideoElement>() {
                    search_js::stop_camera(&video);
                }
            }
        });
    }
    {
        // A backend without visual search says so as the panel opens: the shopper learns it
        // before taking a photo.
        let (profile, dispatch) = ((*profile).clone(), dispatch.clone());
        use_effect_with((), move |_| {
            if let Some(profile) = profile {
                wasm_bindgen_futures::spawn_local(async move {
                    if JsFuture::from(profile).await.is_ok_and(|p| p.is_null()) {
                        dispatch.emit(SearchEvent::Failed(None, Failure::Unavailable));
                    }
                });
            }
        });
    }
    {
        // Paste an image anywhere on the page while the panel is open.
        let take_photo = take_photo.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "paste", move |event| {
                    let file = search_js::file_from_event(event);
                    if !file.is_null() {
                        take_photo.emit(file);
                    }
                })
            });
            move || drop(listener)
        });
    }
    let Some(env) = env else { return html! {} };
    let Some(runner) = runner else {
        return html! {};
    };
    let search = state.borrow().clone();
    let text = |t: SearchText| env.text(t);

    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let on_keydown_panel = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                on_close.emit(());
            }
        })
    };
    let on_file = {
        let take_photo = take_photo.clone();
        Callback::from(move |e: Event| take_photo.emit(search_js::file_from_event(&e)))
    };
    let on_drop = {
        let (take_photo, dropping) = (take_photo.clone(), dropping.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dropping.set(false);
            take_photo.emit(search_js::file_from_event(&e));
        })
    };
    let on_dragover = {
        let dropping = dropping.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dropping.set(true);
        })
    };
    let on_dragleave = {
        let (dropping, panel) = (dropping.clone(), panel.clone());
        Callback::from(move |e: DragEvent| {
            // Moving onto one of the panel's own parts is not leaving it.
            let onto = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            let inside = panel
                .cast::<web_sys::Node>()
                .is_some_and(|p| onto.is_some_and(|t| p.contains(Some(&t))));
            if !inside {
                dropping.set(false);
            }
        })
    };
    let on_camera = {
        let (dispatch, camera) = (dispatch.clone(), camera.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(SearchEvent::CameraOn);
            let (dispatch, camera) = (dispatch.clone(), camera.clone());
            // The <video> renders with the camera phase; open it on the next turn.
            wasm_bindgen_futures::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(0).await;
                let Some(video) = camera.cast::<HtmlVideoElement>() else {
                    return;
                };
                if let Err(name) = JsFuture::from(search_js::open_camera(&video)).await {
                    search_js::stop_camera(&video);
                    let name = name.as_string().unwrap_or_default();
                    let error = CameraError::from_dom(&name);
                    dispatch.emit(SearchEvent::Failed(None, Failure::Camera(error)));
                }
            });
        })
    };
    let on_shutter = {
        let (camera, take_photo, dispatch) = (camera.clone(), take_photo.clone(), dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(video) = camera.cast::<HtmlVideoElement>() else {
                return;
            };
            let (take_photo, dispatch) = (take_photo.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let frame = JsFuture::from(search_js::grab_frame(&video)).await;
                search_js::stop_camera(&video);
                match frame {
                    Ok(blob) => take_photo.emit(blob),
                    Err(_) => dispatch.emit(SearchEvent::Failed(
                        None,
                        Failure::Camera(CameraError::Unavailable),
                    )),
                }
            });
        })
    };
    let page_video = find_video(&env.host, env.video.as_deref());
    let on_frame = page_video.clone().map(|video| {
        let (take_photo, dispatch) = (take_photo.clone(), dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            let (video, take_photo, dispatch) =
                (video.clone(), take_photo.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match JsFuture::from(search_js::grab_frame(&video)).await {
                    Ok(blob) => take_photo.emit(blob),
                    Err(_) => dispatch.emit(SearchEvent::Failed(None, Failure::Frame)),
                }
            });
        })
    });
    let back = {
        let (dispatch, camera, photo, runner) = (
            dispatch.clone(),
            camera.clone(),
            photo.clone(),
            runner.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            runner.stop();
            if let Some(video) = camera.cast::<HtmlVideoElement>() {
                search_js::stop_camera(&video);
            }
            *photo.borrow_mut() = None;
            dispatch.emit(SearchEvent::Reset);
        })
    };
    let on_search = {
        let runner = runner.clone();
        Callback::from(move |_: MouseEvent| runner.start())
    };
    let on_img_load = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(img) = e.target_dyn_into::<HtmlImageElement>() {
                dispatch.emit(SearchEvent::PhotoSize(
                    img.natural_width(),
                    img.natural_height(),
                ));
            }
        })
    };
    // A photo the browser cannot show (HEIC in most browsers): the worker says why, or
    // searches it anyway.
    let on_img_error = {
        let runner = runner.clone();
        Callback::from(move |_: Event| runner.start())
    };
    let on_pointer_down = {
        let (stage, drag, state) = (stage.clone(), drag.clone(), state.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(element) = stage.cast::<web_sys::Element>() else {
                return;
            };
            e.prevent_default();
            let _ = element.set_pointer_capture(e.pointer_id());
            let point = fraction(&element, &e);
            let region = state.borrow().region;
            let on_handle = e
                .target_dyn_into::<web_sys::Element>()
                .is_some_and(|t| t.class_list().contains("crop-handle"));
            *drag.borrow_mut() = Some(if on_handle {
                Drag::Resize(point, region)
            } else if region != Region::FULL && region.contains(point) {
                Drag::Move(point, region)
            } else {
                Drag::Draw(point)
            });
        })
    };
    let on_pointer_move = {
        let (stage, drag, dispatch) = (stage.clone(), drag.clone(), dispatch.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(gesture) = *drag.borrow() else {
                return;
            };
            let Some(element) = stage.cast::<web_sys::Element>() else {
                return;
            };
            let (x, y) = fraction(&element, &e);
            let region = match gesture {
                Drag::Draw(start) => Region::spanning(start, (x, y)),
                Drag::Move(start, from) => from.moved(x - start.0, y - start.1),
                Drag::Resize(start, from) => from.resized(x - start.0, y - start.1),
            };
            dispatch.emit(SearchEvent::Region(region));
        })
    };
    let on_pointer_up = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let on_box_key = {
        let (state, dispatch, runner) = (state.clone(), dispatch.clone(), runner.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                runner.start();
                return;
            }
            let Some(arrow) = Arrow::from_key(&e.key()) else {
                return;
            };
            e.prevent_default();
            let region = state.borrow().region.nudged(arrow, e.shift_key());
            dispatch.emit(SearchEvent::Region(region));
        })
    };

    let photo_url = photo.borrow().as_ref().map(|p| p.url.clone());
    let [bx, by, bw, bh] = search.region.percents();
    let box_style = format!(
        "left:{}%;top:{}%;width:{}%;height:{}%",
        css_number(bx),
        css_number(by),
        css_number(bw),
        css_number(bh)
    );
    let box_label = format!(
        "{}: {}% × {}%",
        text(SearchText::CropBox),
        env.count(bw.round() as u32),
        env.count(bh.round() as u32)
    );
    let sources = html! {
        <div class="sources">
            <button type="button" class="source camera" onclick={on_camera}>{text(SearchText::UseCamera)}</button>
            <label class="source file">
                {text(SearchText::ChoosePhoto)}
                <input type="file" accept="image/*" class="sr-only" onchange={on_file} />
            </label>
            if let Some(onclick) = on_frame {
                <button type="button" class="source frame" {onclick}>{text(SearchText::SearchFrame)}</button>
            }
            <p class="hint">{text(SearchText::DropHint)}</p>
        </div>
    };
    let steps = [
        SearchText::StepPreparing,
        SearchText::StepSending,
        SearchText::StepMatching,
    ];
    let progress = search.phase.step().map(|current| {
        let percent = match search.phase {
            Phase::Sending(Some(f)) => format!(" {}%", env.count((f * 100.0).round() as u32)),
            _ => String::new(),
        };
        html! {
            <ol class="steps" aria-label={text(SearchText::SearchTitle)}>
                { for steps.iter().enumerate().map(|(i, step)| {
                    let class = classes!(
                        "step",
                        (i < current).then_some("done"),
                        (i == current).then_some("current")
                    );
                    html! {
                        <li {class} aria-current={(i == current).then_some("step")}>
                            {text(*step)}
                            if i == current && i == 1 { {percent.clone()} }
                        </li>
                    }
                }) }
            </ol>
        }
    });
    let status = match &search.phase {
        Phase::Preparing | Phase::Sending(_) | Phase::Matching => search
            .phase
            .step()
            .map(|i| text(steps[i]).to_string())
            .unwrap_or_default(),
        Phase::Results(r) => match Found::of(r) {
            Found::Nothing => text(SearchText::NoResults).to_string(),
            Found::Match(n) => fill(text(SearchText::ResultsMatch), "n", &env.count(n as u32)),
            Found::Similar(n) => fill(text(SearchText::ResultsCount), "n", &env.count(n as u32)),
            Found::OnlyDistant(n) => {
                fill(text(SearchText::NoCloseMatch), "n", &env.count(n as u32))
            }
        },
        Phase::Failed(f) => f.message(env.locale.lang).to_string(),
        _ => String::new(),
    };
    let now = env.now();
    let results = match &search.phase {
        Phase::Results(r) if !r.results.is_empty() => Some(html! {
            <ul class="results" aria-label={text(SearchText::SearchTitle)}>
                { for r.results.iter().enumerate().filter_map(|(i, hit)| {
                    let card = Card::new(&props.show, &hit.product, &env.backend, now)?;
                    let this_one = Found::this_one(r) == Some(i);
                    let pct = (f64::from(hit.similarity.clamp(0.0, 1.0)) * 100.0).round() as u32;
                    Some(html! {
                        <li key={card.product_id.clone()} class={classes!("result", this_one.then_some("this-one"))}>
                            <DealCard {card} compact=true />
                            if this_one {
                                <p class="this-one">{text(SearchText::ThisOne)}</p>
                            }
                            <p class="match">{fill(text(SearchText::MatchPercent), "n", &env.count(pct))}</p>
                        </li>
                    })
                }) }
            </ul>
        }),
        _ => None,
    };
    let failure = match &search.phase {
        Phase::Failed(f) => Some(f.clone()),
        _ => None,
    };
    let busy = search.phase.busy();
    // Progress, results and failures show under the photo: in a short panel, below its fold.
    // Each new one is scrolled into the panel (never the page).
    let reveal = search.phase.reveal();
    {
        let (panel, line, header) = (panel.clone(), status_line.clone(), header.clone());
        use_effect_with(reveal, move |reveal| {
            let panel = panel.cast::<web_sys::HtmlElement>();
            let line = line.cast::<web_sys::HtmlElement>();
            let header = header
                .cast::<web_sys::HtmlElement>()
                .map_or(0.0, |h| f64::from(h.offset_height()));
            if let (Some(panel), Some(line), true) = (panel, line, *reveal != Reveal::Nothing) {
                let top = reveal_status(
                    f64::from(panel.scroll_top()),
                    f64::from(panel.client_height()),
                    f64::from(line.offset_top()),
                    f64::from(line.offset_height()),
                    *reveal == Reveal::Results,
                    8.0,
                    header,
                );
                panel.set_scroll_top(top.round() as i32);
            }
        });
    }
    html! {
        // A dialog named by its heading: the overlay's slot around it carries the role, in the
        // player or as a modal sheet.
        <section class={classes!("search-panel", dropping.then_some("dropping"))} tabindex="-1" ref={panel}
            onkeydown={on_keydown_panel} ondrop={on_drop} ondragover={on_dragover} ondragleave={on_dragleave}>
            // Stays at the top as the panel scrolls, so its close button is always at hand.
            <header ref={header}>
                <h2 id="live-shop-search-title">{text(SearchText::SearchTitle)}</h2>
                <button type="button" class="close" onclick={close} aria-label={env.text(Text::Close)}>{"×"}</button>
            </header>
            if search.phase == Phase::Camera {
                <div class="camera">
                    <video ref={camera} class="preview" autoplay=true muted=true playsinline=true></video>
                    <div class="row">
                        <button type="button" class="shutter" onclick={on_shutter}>{text(SearchText::Shutter)}</button>
                        <button type="button" class="back" onclick={back.clone()}>{text(SearchText::Back)}</button>
                    </div>
                </div>
            } else if let Some(src) = photo_url {
                <div class="crop">
                    <div class="crop-stage" ref={stage}
                        onpointerdown={on_pointer_down} onpointermove={on_pointer_move}
                        onpointerup={on_pointer_up.clone()} onpointercancel={on_pointer_up}>
                        <img class="crop-photo" {src} alt="" draggable="false"
                            onload={on_img_load} onerror={on_img_error} />
                        <div class="crop-box" ~style={box_style} tabindex="0" role="img"
                            aria-label={box_label} aria-describedby="live-shop-crop-hint"
                            onkeydown={on_box_key}>
                            <span class="crop-handle" aria-hidden="true"></span>
                        </div>
                    </div>
                    <p class="hint" id="live-shop-crop-hint">{text(SearchText::CropHint)}</p>
                    <div class="row">
                        <button type="button" class="search-now" onclick={on_search} aria-busy={busy.then_some("true")}>
                            {text(SearchText::SearchNow)}
                        </button>
                        <button type="button" class="back" onclick={back}>{text(SearchText::Back)}</button>
                    </div>
                </div>
            } else {
                {sources}
            }
            {progress.unwrap_or_default()}
            <p class={classes!("search-status", failure.is_some().then_some("error"))} role="status" ref={status_line}>{status}</p>
            {results.unwrap_or_default()}
        </section>
    }
}
