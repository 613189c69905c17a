//! The live link: Server-Sent Events with resume, polling with ETags while the stream is down,
//! catch-up when the tab becomes visible again. The show's state machine is core's; this module
//! only moves bytes and timers. Dropping a [`LiveLink`] closes everything.
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use live_shop_core::deal::{Action, Follower, Outcome, Show};
use live_shop_core::error::BackendError;
use live_shop_core::link::{Link, LinkEvent};
use live_shop_core::protocol::{StreamEvent, StreamState};
use live_shop_core::url::api_url;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use crate::context::SharedClock;
use crate::js::decode;
use crate::net;

/// What the overlay renders from the link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveState {
    /// The show, shared until it changes.
    pub show: Rc<Show>,
    /// Whether to show "reconnecting".
    pub reconnecting: bool,
    /// Whether the backend has no stream of this id (shown instead of "reconnecting").
    pub unknown: bool,
}

/// Changes to [`LiveState`].
pub enum LiveAction {
    /// A new show state.
    Show(Rc<Show>),
    /// The link went down or came back: reconnecting, and whether the stream is unknown.
    Link(bool, bool),
}

impl Reducible for LiveState {
    type Action = LiveAction;

    fn reduce(self: Rc<Self>, action: LiveAction) -> Rc<Self> {
        match action {
            LiveAction::Show(show) if Rc::ptr_eq(&show, &self.show) => self,
            LiveAction::Show(show) => Rc::new(Self {
                show,
                ..(*self).clone()
            }),
            LiveAction::Link(reconnecting, unknown)
                if (reconnecting, unknown) == (self.reconnecting, self.unknown) =>
            {
                self
            }
            LiveAction::Link(reconnecting, unknown) => Rc::new(Self {
                show: self.show.clone(),
                reconnecting,
                unknown,
            }),
        }
    }
}

type Handler = Closure<dyn FnMut(JsValue)>;

/// How soon the state is fetched again when the last one left events waiting behind a gap.
const RESYNC_MS: u32 = 1_000;

struct Inner {
    backend: String,
    stream: String,
    clock: SharedClock,
    emit: Callback<LiveAction>,
    show: Follower,
    link: Link,
    etag: Option<String>,
    source: Option<EventSource>,
    handlers: Vec<Handler>,
    /// Handlers of a closed source, kept until the next open: a closure must not be dropped
    /// while it runs.
    retired: Vec<Handler>,
    retry: Option<Timeout>,
    poll: Option<Timeout>,
    /// Another state fetch, while events wait behind a gap the last one did not fill.
    resync: Option<Timeout>,
    fetching: bool,
    _visibility: Option<EventListener>,
}

/// An open live link; dropping it closes the stream and stops every timer.
pub struct LiveLink(Rc<RefCell<Inner>>);

impl Drop for LiveLink {
    fn drop(&mut self) {
        let mut inner = self.0.borrow_mut();
        if let Some(source) = inner.source.take() {
            source.close();
        }
        inner.retry = None;
        inner.poll = None;
        inner.resync = None;
        inner._visibility = None;
    }
}

impl LiveLink {
    /// Connects to `stream` on `backend`, reporting through `emit`.
    pub fn start(
        backend: &str,
        stream: &str,
        clock: SharedClock,
        emit: Callback<LiveAction>,
    ) -> Self {
        let inner = Rc::new(RefCell::new(Inner {
            backend: backend.to_string(),
            stream: stream.to_string(),
            clock,
            emit,
            show: Follower::default(),
            link: Link::default(),
            etag: None,
            source: None,
            handlers: Vec::new(),
            retired: Vec::new(),
            retry: None,
            poll: None,
            resync: None,
            fetching: false,
            _visibility: None,
        }));
        let weak = Rc::downgrade(&inner);
        let visibility = web_sys::window().and_then(|w| w.document()).map(|doc| {
            let weak = weak.clone();
            EventListener::new(&doc, "visibilitychange", move |_| {
                let visible = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
                if visible {
                    catch_up(&weak);
                }
            })
        });
        inner.borrow_mut()._visibility = visibility;
        fetch_state(&weak);
        open_stream(&weak);
        Self(inner)
    }
}

fn open_stream(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    let mut inner = rc.borrow_mut();
    inner.retry = None;
    let mut url = api_url(
        &inner.backend,
        &format!("/v1/streams/{}/events", encode(&inner.stream)),
    );
    let show = inner.show.show();
    if let Some(epoch) = &show.epoch {
        url.push_str(&format!("?lastEventId={}.{}", encode(epoch), show.seq));
    }
    let Ok(source) = EventSource::new(&url) else {
        drop(inner);
        stream_failed(weak);
        return;
    };
    let on_open = handler(weak, |w, _| {
        with_link(w, LinkEvent::StreamOpened);
    });
    let on_message = handler(weak, |w, e| {
        if let Some(data) = e
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
        {
            if let Ok(event) = decode::<StreamEvent>(&data) {
                received_event(w, event);
            }
        }
    });
    let on_snapshot = handler(weak, |w, e| {
        if let Some(data) = e
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
        {
            if let Ok(state) = decode::<StreamState>(&data) {
                if let Some(rc) = w.upgrade() {
                    rc.borrow()
                        .clock
                        .0
                        .borrow_mut()
                        .observe_one_way(js_sys::Date::now(), state.server_time);
                }
                if apply(w, Action::Snapshot(state)) == Outcome::NeedsSnapshot {
                    fetch_state(w);
                }
            }
        }
    });
    let on_error = handler(weak, |w, _| stream_failed(w));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _ =
        source.add_event_listener_with_callback("snapshot", on_snapshot.as_ref().unchecked_ref());
    inner.retired.clear();
    inner.handlers = vec![on_open, on_message, on_snapshot, on_error];
    inner.source = Some(source);
}

fn handler(
    weak: &Weak<RefCell<Inner>>,
    f: impl Fn(&Weak<RefCell<Inner>>, JsValue) + 'static,
) -> Handler {
    let weak = weak.clone();
    Closure::wrap(Box::new(move |e: JsValue| f(&weak, e)) as Box<dyn FnMut(JsValue)>)
}

fn received_event(weak: &Weak<RefCell<Inner>>, event: StreamEvent) {
    if let Some(rc) = weak.upgrade() {
        rc.borrow()
            .clock
            .0
            .borrow_mut()
            .observe_one_way(js_sys::Date::now(), event.server_time);
    }
    if apply(weak, Action::Event(event)) == Outcome::NeedsSnapshot {
        fetch_state(weak);
    }
}

/// Applies an action to the show and tells the overlay when it changed.
fn apply(weak: &Weak<RefCell<Inner>>, action: Action) -> Outcome {
    let Some(rc) = weak.upgrade() else {
        return Outcome::Unchanged;
    };
    let (outcome, emit, show) = {
        let mut inner = rc.borrow_mut();
        let outcome = inner.show.apply(action);
        (
            outcome,
            inner.emit.clone(),
            Rc::new(inner.show.show().clone()),
        )
    };
    if outcome == Outcome::Changed {
        emit.emit(LiveAction::Show(show));
    }
    outcome
}

fn with_link(weak: &Weak<RefCell<Inner>>, event: LinkEvent) {
    let Some(rc) = weak.upgrade() else { return };
    let (emit, reconnecting, unknown) = {
        let mut inner = rc.borrow_mut();
        inner.link.on(event);
        (
            inner.emit.clone(),
            inner.link.reconnecting(),
            inner.link.unknown(),
        )
    };
    emit.emit(LiveAction::Link(reconnecting, unknown));
}

fn stream_failed(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let mut inner = rc.borrow_mut();
        if let Some(source) = inner.source.take() {
            source.close();
        }
        let handlers = std::mem::take(&mut inner.handlers);
        inner.retired.extend(handlers);
    }
    with_link(weak, LinkEvent::StreamFailed);
    let mut inner = rc.borrow_mut();
    let delay = inner.link.retry_delay_ms(js_sys::Math::random());
    let w = weak.clone();
    inner.retry = Some(Timeout::new(delay, move || open_stream(&w)));
    if inner.poll.is_none() {
        let w = weak.clone();
        inner.poll = Some(Timeout::new(0, move || poll(&w)));
    }
}

/// Polls the state while the stream is down.
fn poll(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    let mut inner = rc.borrow_mut();
    inner.poll = None;
    if !inner.link.should_poll() {
        return;
    }
    let interval = inner.link.poll_interval_ms();
    let w = weak.clone();
    inner.poll = Some(Timeout::new(interval, move || poll(&w)));
    drop(inner);
    fetch_state(weak);
}

/// The tab came back: fetch what was missed and reopen the stream now if it is down.
fn catch_up(weak: &Weak<RefCell<Inner>>) {
    fetch_state(weak);
    let Some(rc) = weak.upgrade() else { return };
    let down = rc.borrow().source.is_none();
    if down {
        open_stream(weak);
    }
}

fn fetch_state(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    let (url, etag) = {
        let mut inner = rc.borrow_mut();
        if inner.fetching {
            return;
        }
        inner.fetching = true;
        let url = api_url(
            &inner.backend,
            &format!("/v1/streams/{}/state", encode(&inner.stream)),
        );
        (url, inner.etag.clone())
    };
    let weak = weak.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let headers: Vec<(&str, &str)> =
            etag.iter().map(|e| ("if-none-match", e.as_str())).collect();
        let answer = net::send("GET", &url, &headers, None, 8_000)
            .await
            .and_then(net::Answer::ok);
        let Some(rc) = weak.upgrade() else { return };
        rc.borrow_mut().fetching = false;
        let answer = match answer {
            Ok(answer) => answer,
            Err(BackendError::Http { status: 404 }) => {
                with_link(&weak, LinkEvent::StreamUnknown);
                return;
            }
            Err(_) => {
                with_link(&weak, LinkEvent::PollFailed);
                return;
            }
        };
        if let Some((sent, received, server)) = answer.clock {
            rc.borrow()
                .clock
                .0
                .borrow_mut()
                .observe_round_trip(sent, received, server);
        }
        if answer.status != 304 {
            match decode::<StreamState>(&answer.body) {
                Ok(state) => {
                    rc.borrow_mut().etag = answer.etag;
                    if apply(&weak, Action::Snapshot(state)) == Outcome::NeedsSnapshot {
                        // Events still wait behind a gap this state did not fill (a server
                        // behind the one that sent them): ask again shortly.
                        let w = weak.clone();
                        rc.borrow_mut().resync =
                            Some(Timeout::new(RESYNC_MS, move || fetch_state(&w)));
                    }
                }
                Err(_) => {
                    with_link(&weak, LinkEvent::PollFailed);
                    return;
                }
            }
        }
        with_link(&weak, LinkEvent::PollSucceeded);
    });
}

/// Percent-encodes a path segment or query value.
fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

/// Connects while mounted; reconnects when the backend or stream changes.
#[hook]
pub fn use_live_show(
    backend: String,
    stream: String,
    clock: SharedClock,
) -> UseReducerHandle<LiveState> {
    let state = use_reducer(LiveState::default);
    let dispatcher = state.dispatcher();
    use_effect_with((backend, stream), move |(backend, stream)| {
        let emit = Callback::from(move |action| dispatcher.dispatch(action));
        let link = LiveLink::start(backend, stream, clock, emit);
        move || drop(link)
    });
    state
}
