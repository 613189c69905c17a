//! Visual search as the widget runs it: the crop region and its keyboard and pointer editing,
//! the query's phases with cancellation, the retry policy, the query's JSON part, and the
//! shopper-facing reason for every failure.
//!
//! The image pipeline itself is [`crate::prep`] (feature `prep`), which runs in a Web Worker;
//! this module has no codecs, so the overlay's wasm stays small.
use crate::i18n::{Lang, SearchText, Text};
use crate::json::quote;
use crate::protocol::{SearchOptions, SearchResults};

/// A region of the upright image, in fractions of its width and height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// Left edge, 0 to 1.
    pub x: f64,
    /// Top edge, 0 to 1.
    pub y: f64,
    /// Width, 0 to 1.
    pub width: f64,
    /// Height, 0 to 1.
    pub height: f64,
}

/// `value` kept between `lo` and `hi`; `lo` wins if they cross. Unlike `f64::clamp` it cannot
/// panic, and it keeps float formatting out of the widget's wasm.
fn between(value: f64, lo: f64, hi: f64) -> f64 {
    value.min(hi).max(lo)
}

/// Smallest side a region can be given by hand, as a fraction of the image.
pub const MIN_SIDE: f64 = 0.05;
/// How far one arrow key press moves or resizes the region.
pub const STEP: f64 = 0.02;

/// An arrow key, in screen directions (the photo is never mirrored for right-to-left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrow {
    /// ←
    Left,
    /// →
    Right,
    /// ↑
    Up,
    /// ↓
    Down,
}

impl Arrow {
    /// From a `KeyboardEvent.key`.
    pub fn from_key(key: &str) -> Option<Arrow> {
        match key {
            "ArrowLeft" => Some(Self::Left),
            "ArrowRight" => Some(Self::Right),
            "ArrowUp" => Some(Self::Up),
            "ArrowDown" => Some(Self::Down),
            _ => None,
        }
    }

    fn delta(self) -> (f64, f64) {
        match self {
            Self::Left => (-STEP, 0.0),
            Self::Right => (STEP, 0.0),
            Self::Up => (0.0, -STEP),
            Self::Down => (0.0, STEP),
        }
    }
}

impl Default for Region {
    fn default() -> Self {
        Self::FULL
    }
}

impl Region {
    /// The whole image.
    pub const FULL: Region = Region {
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    };

    /// The box a new photo opens with: its centre 60 %, where shoppers frame what they
    /// photograph. The shopper corrects it rather than draws one; searching the centre instead
    /// of the whole photo found the right product first more often on shoppers' own photos
    /// (`live-shop-eval-shoppers`), since around a product is a shelf or a table the catalog's
    /// photos never show. A backend given no box searches the same centre.
    pub const SUGGESTED: Region = Region {
        x: 0.2,
        y: 0.2,
        width: 0.6,
        height: 0.6,
    };

    /// The box spanned by two points (fractions, any order), clamped into the image and at
    /// least [`MIN_SIDE`] on each side.
    pub fn spanning(a: (f64, f64), b: (f64, f64)) -> Region {
        let clamp = |v: f64| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        let (x0, x1) = (clamp(a.0.min(b.0)), clamp(a.0.max(b.0)));
        let (y0, y1) = (clamp(a.1.min(b.1)), clamp(a.1.max(b.1)));
        let side = |lo: f64, hi: f64| {
            let len = (hi - lo).max(MIN_SIDE);
            (lo.min(1.0 - len), len)
        };
        let (x, width) = side(x0, x1);
        let (y, height) = side(y0, y1);
        Region {
            x,
            y,
            width,
            height,
        }
    }

    /// Moved by `(dx, dy)`, kept whole inside the image.
    pub fn moved(self, dx: f64, dy: f64) -> Region {
        let dx = if dx.is_finite() { dx } else { 0.0 };
        let dy = if dy.is_finite() { dy } else { 0.0 };
        Region {
            x: between(self.x + dx, 0.0, 1.0 - self.width),
            y: between(self.y + dy, 0.0, 1.0 - self.height),
            ..self
        }
    }

    /// With its bottom-right corner moved by `(dx, dy)`, at least [`MIN_SIDE`] and inside.
    pub fn resized(self, dx: f64, dy: f64) -> Region {
        let dx = if dx.is_finite() { dx } else { 0.0 };
        let dy = if dy.is_finite() { dy } else { 0.0 };
        Region {
            width: between(self.width + dx, MIN_SIDE, 1.0 - self.x),
            height: between(self.height + dy, MIN_SIDE, 1.0 - self.y),
            ..self
        }
    }

    /// An arrow key: moves the box, or with Shift grows or shrinks it from its far corner.
    pub fn nudged(self, arrow: Arrow, resize: bool) -> Region {
        let (dx, dy) = arrow.delta();
        if resize {
            self.resized(dx, dy)
        } else {
            self.moved(dx, dy)
        }
    }

    /// Whether the point (fractions) is inside.
    pub fn contains(self, (px, py): (f64, f64)) -> bool {
        px >= self.x && px <= self.x + self.width && py >= self.y && py <= self.y + self.height
    }

    /// This region in the coordinates of `outer`, when it lies inside it.
    pub fn within(self, outer: Region) -> Option<Region> {
        const EPS: f64 = 1e-9;
        let inside = self.x + EPS >= outer.x
            && self.y + EPS >= outer.y
            && self.x + self.width <= outer.x + outer.width + EPS
            && self.y + self.height <= outer.y + outer.height + EPS;
        if !inside || outer.width <= 0.0 || outer.height <= 0.0 {
            return None;
        }
        let unit = |v: f64| v.clamp(0.0, 1.0);
        Some(Region {
            x: unit((self.x - outer.x) / outer.width),
            y: unit((self.y - outer.y) / outer.height),
            width: unit(self.width / outer.width),
            height: unit(self.height / outer.height),
        })
    }

    /// `{"x":…,"y":…,"width":…,"height":…}`, four decimals, by integer arithmetic (the
    /// widget's wasm carries no float formatting).
    pub fn to_json(self) -> String {
        let n = |v: f64| {
            let v = if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let units = (v * 10_000.0).round() as u32;
            format!("{}.{:04}", units / 10_000, units % 10_000)
        };
        format!(
            r#"{{"x":{},"y":{},"width":{},"height":{}}}"#,
            n(self.x),
            n(self.y),
            n(self.width),
            n(self.height)
        )
    }

    /// Percentages for CSS `left/top/width/height` and for screen readers.
    pub fn percents(self) -> [f64; 4] {
        [self.x, self.y, self.width, self.height].map(|v| (v * 1000.0).round() / 10.0)
    }
}

/// The profiles of the widget's pipeline ([`crate::prep::Profile`]), by name.
pub const PROFILES: [&str; 3] = ["max-512", "max-1024", "square-224"];

/// The profile used when neither the page nor the backend names one.
pub const DEFAULT_PROFILE: &str = "max-512";

/// The upload profile: the page's `search-profile` when it sets one, else the one the backend
/// asks for (`GET /v1/search/image`) when this pipeline has it, else [`DEFAULT_PROFILE`]. A
/// backend may name profiles newer than this widget; those fall back rather than fail.
pub fn choose_profile(page: Option<&str>, backend: Option<&SearchOptions>) -> String {
    let known = |name: &&str| PROFILES.contains(name);
    page.filter(|p| !p.is_empty())
        .or_else(|| backend.map(|b| b.profile.as_str()).filter(known))
        .or_else(|| backend.and_then(|b| b.profiles.iter().map(String::as_str).find(known)))
        .unwrap_or(DEFAULT_PROFILE)
        .to_string()
}

/// What the backend receives alongside (or instead of) the image.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Region of the uploaded image to match.
    pub region: Region,
    /// Whether the query gave the region (`box`); without one a backend picks the part to
    /// search (the reference backend: [`Region::SUGGESTED`]).
    pub boxed: bool,
    /// The pipeline profile the image was prepared with.
    pub profile: String,
    /// The shopper's locale tag.
    pub locale: String,
    /// An earlier answer's id, to re-query without re-uploading.
    pub query_id: Option<String>,
    /// How many products to return.
    pub limit: u32,
}

/// Results a backend returns when a query does not say, and the most it returns.
pub const DEFAULT_LIMIT: u32 = 12;
/// The most results a query gets.
pub const MAX_LIMIT: u32 = 48;

impl Default for Query {
    /// A query that says nothing: the whole photo, no profile or locale named, no earlier
    /// upload, [`DEFAULT_LIMIT`] results. What a backend reads when the `query` part is absent.
    fn default() -> Self {
        Query {
            region: Region::FULL,
            boxed: false,
            profile: String::new(),
            locale: String::new(),
            query_id: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Query {
    /// Reads a `query` part as a backend does. Every field may be absent and then reads as in
    /// [`Query::default`]; a limit is held to 1 ..= [`MAX_LIMIT`]. Only something
    /// other than a JSON object is an error, in words. The region is not yet checked: see
    /// `prep::CropBox::clamped`.
    pub fn from_json(text: &str) -> Result<Query, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("the query part is not JSON: {e}"))?;
        let query = value
            .as_object()
            .ok_or("the query part is not a JSON object")?;
        let number = |v: Option<&serde_json::Value>, k: &str, default: f64| {
            v.and_then(|b| b.get(k))
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(default)
        };
        let text = |k: &str| {
            query
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let region = query.get("box");
        let default = Query::default();
        let whole = default.region;
        Ok(Query {
            boxed: region.is_some(),
            region: Region {
                x: number(region, "x", whole.x),
                y: number(region, "y", whole.y),
                width: number(region, "width", whole.width),
                height: number(region, "height", whole.height),
            },
            profile: text("profile").unwrap_or(default.profile),
            locale: text("locale").unwrap_or(default.locale),
            query_id: text("queryId").or(default.query_id),
            limit: query
                .get("limit")
                .and_then(serde_json::Value::as_u64)
                .map_or(default.limit, |n| {
                    u32::try_from(n.clamp(1, u64::from(MAX_LIMIT))).unwrap_or(MAX_LIMIT)
                }),
        })
    }

    /// The multipart `query` part.
    pub fn to_json(&self) -> String {
        let mut json = format!(
            r#"{{"box":{},"profile":{},"locale":{},"limit":{}"#,
            self.region.to_json(),
            quote(&self.profile),
            quote(&self.locale),
            self.limit
        );
        if let Some(id) = &self.query_id {
            json.push_str(&format!(r#","queryId":{}"#, quote(id)));
        }
        json.push('}');
        json
    }
}

/// The region last uploaded, and the answer's id for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The region of the shopper's photo the uploaded image shows.
    pub region: Region,
    /// Its long edge in uploaded pixels.
    pub long_edge: u32,
    /// The backend's id for the upload.
    pub query_id: String,
}

/// Pixels of the model's input: a region smaller than this in the uploaded image would be
/// enlarged, so it is prepared again from the original photo instead.
pub const REUSE_MIN_PIXELS: f64 = 224.0;

/// How to send a query for `region` of the shopper's photo.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Prepare the region from the photo and upload it.
    Upload,
    /// Re-query the earlier upload: no image bytes go over the wire.
    Reuse {
        /// The earlier answer's id.
        query_id: String,
        /// The region in the uploaded image's coordinates.
        region: Region,
    },
}

/// Re-uses the last upload when the new region lies inside it and still has enough pixels.
pub fn plan(sent: Option<&Sent>, region: Region) -> Plan {
    let Some(sent) = sent else {
        return Plan::Upload;
    };
    match region.within(sent.region) {
        Some(inner)
            if inner.width.max(inner.height) * f64::from(sent.long_edge) >= REUSE_MIN_PIXELS =>
        {
            Plan::Reuse {
                query_id: sent.query_id.clone(),
                region: inner,
            }
        }
        _ => Plan::Upload,
    }
}

/// Why the camera could not be used, from the `DOMException` name `getUserMedia` rejects with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CameraError {
    /// The shopper or the browser's settings refused.
    Denied,
    /// There is no camera.
    Missing,
    /// Another app holds the camera.
    Busy,
    /// The page is not a secure context, or the browser has no camera API.
    Unavailable,
}

impl CameraError {
    /// Classifies a `DOMException.name`.
    pub fn from_dom(name: &str) -> CameraError {
        match name {
            "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => Self::Denied,
            "NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError" => Self::Missing,
            "NotReadableError" | "TrackStartError" | "AbortError" => Self::Busy,
            _ => Self::Unavailable,
        }
    }
}

/// Why a search failed, by who can do something about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The camera cannot be used: the shopper picks a file instead.
    Camera(CameraError),
    /// The video's pixels cannot be read (cross-origin without CORS, or not playing yet).
    Frame,
    /// The photo cannot be prepared: `code` and `format` from the pipeline.
    Image {
        /// `decode`, `limits`, `unsupported`, `parameter`.
        code: String,
        /// The format's name for `unsupported`.
        format: Option<String>,
    },
    /// No answer: offline, or the request failed on the way.
    Network,
    /// No answer in time.
    Timeout,
    /// The backend has no visual search (503) or no such route (404).
    Unavailable,
    /// The backend is searching as much as it can (503 `busy`), or this shopper searched very
    /// often (429 `rate_limited`): later may work.
    Busy,
    /// The backend refused or failed (its status).
    Server(u16),
    /// The answer could not be read.
    BadAnswer,
}

impl Failure {
    /// The failure for an HTTP status that is not success.
    pub fn from_status(status: u16) -> Failure {
        match status {
            404 | 501 | 503 => Self::Unavailable,
            408 | 504 => Self::Timeout,
            _ => Self::Server(status),
        }
    }

    /// The failure for a refusal with an error body's `code`: the backend's image codes
    /// (`image_decode`, `image_limits`, `image_unsupported`) name a problem with the photo.
    pub fn refused(status: u16, code: &str) -> Failure {
        match (status, code) {
            (503, "busy") | (429, _) => return Self::Busy,
            _ => {}
        }
        match code.strip_prefix("image_") {
            Some(kind) if status == 422 => Self::Image {
                code: kind.to_string(),
                format: None,
            },
            _ => Self::from_status(status),
        }
    }

    /// Whether the same request may succeed if sent again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network | Self::Timeout | Self::Server(502) | Self::Busy
        )
    }

    /// Whether the shopper should be offered the file picker as the way forward.
    pub fn suggests_file(&self) -> bool {
        matches!(self, Self::Camera(_) | Self::Frame)
    }

    /// What the shopper reads.
    pub fn message(&self, lang: Lang) -> &'static str {
        let search = |t: SearchText| t.get(lang);
        match self {
            Self::Camera(CameraError::Denied) => search(SearchText::CameraDenied),
            Self::Camera(CameraError::Missing) => search(SearchText::CameraMissing),
            Self::Camera(CameraError::Busy) => search(SearchText::CameraBusy),
            Self::Camera(CameraError::Unavailable) => search(SearchText::CameraUnavailable),
            Self::Frame => search(SearchText::FrameBlocked),
            Self::Image { code, format } => match (code.as_str(), format.as_deref()) {
                ("decode", _) => search(SearchText::PrepDecode),
                ("limits", _) => search(SearchText::PrepLimits),
                ("unsupported", Some("HEIC")) => search(SearchText::PrepHeic),
                ("unsupported", _) => search(SearchText::PrepUnsupported),
                _ => Text::ErrorGeneric.get(lang),
            },
            Self::Network => search(SearchText::SearchOffline),
            Self::Timeout => search(SearchText::SearchTimeout),
            Self::Unavailable => search(SearchText::SearchUnavailable),
            Self::Busy => search(SearchText::SearchBusy),
            Self::Server(_) | Self::BadAnswer => Text::ErrorServer.get(lang),
        }
    }
}

/// One retry, after a pause, and only for failures that may pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Pause before the first retry, doubled for each further one.
    pub backoff_ms: u32,
    /// Time allowed for one attempt.
    pub timeout_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 1,
            backoff_ms: 600,
            timeout_ms: 20_000,
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `attempt + 1` after `failure` on attempt `attempt` (0-based),
    /// or `None` to give up.
    pub fn next_delay(&self, attempt: u32, failure: &Failure) -> Option<u32> {
        let pause = self.backoff_ms.saturating_mul(1 << attempt.min(8));
        // A busy backend says to come back after a second (`Retry-After: 1`) at the soonest.
        let pause = if *failure == Failure::Busy {
            pause.max(1_000)
        } else {
            pause
        };
        (failure.is_transient() && attempt < self.retries).then_some(pause)
    }
}

/// What an answer found, as the results line says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// No results at all.
    Nothing,
    /// This many results, the first judged by the backend to be the product in the photo
    /// ("This one").
    Match(usize),
    /// This many results, close matches or unjudged.
    Similar(usize),
    /// This many results, every one judged by the backend not a close match: the nearest it
    /// has, which the shopper should not take for look-alikes.
    OnlyDistant(usize),
}

impl Found {
    /// The result labelled "This one": the first, when the backend judged it close.
    pub fn this_one(answer: &SearchResults) -> Option<usize> {
        matches!(Found::of(answer), Found::Match(_)).then_some(0)
    }

    /// Judges `answer`: distant only when some result says whether it is close and none is.
    pub fn of(answer: &SearchResults) -> Found {
        let hits = &answer.results;
        let judged = hits.iter().any(|h| h.close.is_some());
        match hits.len() {
            0 => Found::Nothing,
            n if hits.first().is_some_and(|h| h.close == Some(true)) => Found::Match(n),
            n if judged && !hits.iter().any(|h| h.close == Some(true)) => Found::OnlyDistant(n),
            n => Found::Similar(n),
        }
    }
}

/// Where a search stands.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Phase {
    /// Choosing a source.
    #[default]
    Start,
    /// The camera's live preview.
    Camera,
    /// A photo is loaded; the shopper adjusts the box.
    Crop,
    /// The worker prepares the photo.
    Preparing,
    /// Uploading: the fraction sent, when known.
    Sending(Option<f64>),
    /// Uploaded; the backend is matching.
    Matching,
    /// Ranked products.
    Results(SearchResults),
    /// Stopped, with the reason.
    Failed(Failure),
}

/// What a new phase brings into view under the photo, below a short panel's fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reveal {
    /// Nothing new.
    Nothing,
    /// The progress steps and the status line.
    Progress,
    /// The status line with results after it.
    Results,
    /// The status line alone: no results, or the failure.
    Outcome,
}

/// The panel's new scroll offset so that the status line (at `line_top`, `line_height` in the
/// panel's content, which shows `view_height` from `scroll_top`) is seen: at the top when
/// results follow it (they take the room below), else just inside the bottom edge if it was
/// below it. A short panel on a small player otherwise hides progress and results under its
/// fold. `gap` is kept between the line and the edge; `header` is the height of the panel's
/// own header, which stays at the top as the panel scrolls and covers what is under it.
pub fn reveal_status(
    scroll_top: f64,
    view_height: f64,
    line_top: f64,
    line_height: f64,
    results_follow: bool,
    gap: f64,
    header: f64,
) -> f64 {
    if results_follow {
        return (line_top - gap - header).max(0.0);
    }
    let bottom = line_top + line_height + gap;
    if bottom > scroll_top + view_height {
        (bottom - view_height).max(0.0)
    } else {
        scroll_top
    }
}

impl Phase {
    /// What entering this phase brings into view ([`reveal_status`]).
    pub fn reveal(&self) -> Reveal {
        match self {
            Self::Preparing => Reveal::Progress,
            Self::Results(r) if !r.results.is_empty() => Reveal::Results,
            Self::Results(_) | Self::Failed(_) => Reveal::Outcome,
            _ => Reveal::Nothing,
        }
    }

    /// Whether a query is in flight.
    pub fn busy(&self) -> bool {
        matches!(self, Self::Preparing | Self::Sending(_) | Self::Matching)
    }

    /// The step of the progress line: 0 preparing, 1 sending, 2 matching.
    pub fn step(&self) -> Option<usize> {
        match self {
            Self::Preparing => Some(0),
            Self::Sending(_) => Some(1),
            Self::Matching => Some(2),
            _ => None,
        }
    }
}

/// The search panel's state. Every query gets a ticket; news about an older ticket is
/// ignored, which is how a new query cancels the one in flight.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Search {
    /// Where it stands.
    pub phase: Phase,
    /// The box on the current photo.
    pub region: Region,
    /// The current photo's upright size, once known.
    pub photo: Option<(u32, u32)>,
    /// The last upload of this photo, for re-queries without re-uploading.
    pub sent: Option<Sent>,
    ticket: u64,
}

/// What happened, as the panel reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The camera preview is on.
    CameraOn,
    /// A new photo (from any source) is shown, `width × height` upright (0 × 0 until known).
    Photo(u32, u32),
    /// The shown photo's size became known: the box the shopper set meanwhile stays.
    PhotoSize(u32, u32),
    /// The shopper changed the box.
    Region(Region),
    /// The worker finished preparing for `ticket`.
    Prepared(u64),
    /// Upload progress for `ticket`, 0 to 1.
    Progress(u64, f64),
    /// The upload for `ticket` is complete; the backend is matching.
    Uploaded(u64),
    /// The answer for `ticket`, and (when this ticket uploaded) what it uploaded.
    Answer(u64, SearchResults, Option<(Region, u32)>),
    /// `ticket` failed (`None`: a failure outside any query, such as the camera's).
    Failed(Option<u64>, Failure),
    /// Back to choosing a source.
    Reset,
}

impl Search {
    /// Starts a query for the current box: returns its ticket and how to send it. Any query
    /// in flight is superseded.
    pub fn start(&mut self) -> (u64, Plan) {
        self.ticket += 1;
        let plan = plan(self.sent.as_ref(), self.region);
        self.phase = match plan {
            Plan::Upload => Phase::Preparing,
            Plan::Reuse { .. } => Phase::Matching,
        };
        (self.ticket, plan)
    }

    /// Cancels any query in flight (the panel closed or the photo changed).
    pub fn cancel(&mut self) {
        self.ticket += 1;
        if self.phase.busy() {
            self.phase = if self.photo.is_some() {
                Phase::Crop
            } else {
                Phase::Start
            };
        }
    }

    /// The ticket of the query in flight.
    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    /// Applies an event; news about a superseded ticket changes nothing. Returns whether the
    /// state changed.
    pub fn apply(&mut self, event: Event) -> bool {
        let current = |t: u64| t == self.ticket;
        match event {
            Event::CameraOn => {
                self.cancel();
                self.phase = Phase::Camera;
            }
            Event::Photo(width, height) => {
                self.cancel();
                self.photo = Some((width, height));
                self.region = Region::SUGGESTED;
                self.sent = None;
                self.phase = Phase::Crop;
            }
            Event::PhotoSize(width, height) => {
                self.photo = Some((width, height));
            }
            Event::Region(region) => {
                self.region = region;
                if !self.phase.busy() && self.photo.is_some() {
                    self.phase = Phase::Crop;
                }
            }
            Event::Prepared(t) if current(t) && self.phase == Phase::Preparing => {
                self.phase = Phase::Sending(None);
            }
            Event::Progress(t, fraction) if current(t) && self.phase.busy() => {
                self.phase = Phase::Sending(Some(fraction.clamp(0.0, 1.0)));
            }
            Event::Uploaded(t) if current(t) && self.phase.busy() => {
                self.phase = Phase::Matching;
            }
            Event::Answer(t, results, uploaded) if current(t) => {
                if let Some((region, long_edge)) = uploaded {
                    self.sent = Some(Sent {
                        region,
                        long_edge,
                        query_id: results.query_id.clone(),
                    });
                }
                self.phase = Phase::Results(results);
            }
            Event::Failed(Some(t), failure) if current(t) => {
                if failure == Failure::Unavailable {
                    // An expired id: the next try uploads.
                    self.sent = None;
                }
                self.phase = Phase::Failed(failure);
            }
            Event::Failed(None, failure) => {
                self.cancel();
                self.phase = Phase::Failed(failure);
            }
            Event::Reset => {
                self.cancel();
                *self = Search {
                    ticket: self.ticket,
                    ..Search::default()
                };
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(id: &str) -> SearchResults {
        SearchResults {
            query_id: id.into(),
            results: Vec::new(),
            server_time: 0,
        }
    }

    #[test]
    fn the_page_then_the_backend_then_max_512_pick_the_profile() {
        let backend = |profile: &str, profiles: &[&str]| SearchOptions {
            profile: profile.into(),
            profiles: profiles.iter().map(|p| p.to_string()).collect(),
        };
        let square = backend("square-224", &["square-224", "max-512"]);
        assert_eq!(choose_profile(Some("max-1024"), Some(&square)), "max-1024");
        assert_eq!(choose_profile(None, Some(&square)), "square-224");
        assert_eq!(choose_profile(Some(""), Some(&square)), "square-224");
        // A backend without the endpoint, or one asking for a profile this widget lacks.
        assert_eq!(choose_profile(None, None), "max-512");
        let newer = backend("square-384", &["square-384", "max-1024"]);
        assert_eq!(choose_profile(None, Some(&newer)), "max-1024");
        assert_eq!(
            choose_profile(None, Some(&backend("webp-640", &[]))),
            "max-512"
        );
        let json = r#"{"profile":"square-224","profiles":["square-224","max-512"]}"#;
        let decoded: SearchOptions = crate::json::decode(json.as_bytes()).unwrap();
        assert_eq!(decoded, square);
    }

    #[test]
    fn a_new_photo_opens_with_the_suggested_box_and_the_query_says_it_gave_one() {
        let mut search = Search::default();
        search.apply(Event::Photo(4000, 3000));
        assert_eq!(search.region, Region::SUGGESTED);
        // The shopper's own box stays until the next photo.
        let own = Region::spanning((0.1, 0.1), (0.5, 0.9));
        search.apply(Event::Region(own));
        search.apply(Event::PhotoSize(4000, 3000));
        assert_eq!(search.region, own);
        search.apply(Event::Photo(100, 100));
        assert_eq!(search.region, Region::SUGGESTED);
        // A query part without a box leaves the choice to the backend; the widget's gives one.
        assert!(!Query::from_json("{}").unwrap().boxed);
        let sent = Query {
            boxed: true,
            ..Query::default()
        };
        assert!(Query::from_json(&sent.to_json()).unwrap().boxed);
    }

    #[test]
    fn only_a_close_first_result_is_labelled_this_one() {
        let labelled = |closes: [bool; 2]| {
            let body = format!(
                r#"{{"queryId":"q","serverTime":0,"results":[{{"similarity":0.5,"close":{},"product":{{"id":"a","title":"Mug"}}}},{{"similarity":0.4,"close":{},"product":{{"id":"b","title":"Cup"}}}}]}}"#,
                closes[0], closes[1]
            );
            let decoded: SearchResults = crate::json::decode(body.as_bytes()).unwrap();
            Found::this_one(&decoded)
        };
        assert_eq!(labelled([true, false]), Some(0));
        assert_eq!(labelled([false, true]), None);
        assert_eq!(labelled([false, false]), None);
    }

    #[test]
    fn an_answer_of_only_distant_products_is_told_apart() {
        let answer = |closes: &[Option<bool>]| {
            let body = format!(
                r#"{{"queryId":"q","serverTime":0,"results":[{}]}}"#,
                closes
                    .iter()
                    .enumerate()
                    .map(|(i, close)| {
                        let close = close.map_or(String::new(), |c| format!(r#","close":{c}"#));
                        format!(
                            r#"{{"similarity":0.4{close},"product":{{"id":"p{i}","title":"Mug"}}}}"#
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let decoded: SearchResults = crate::json::decode(body.as_bytes()).unwrap();
            assert_eq!(decoded.results.len(), closes.len(), "{body}");
            Found::of(&decoded)
        };
        assert_eq!(answer(&[]), Found::Nothing);
        // A backend that does not judge: results are similar products, as before.
        assert_eq!(answer(&[None, None]), Found::Similar(2));
        // A close first result is the product in the photo.
        assert_eq!(answer(&[Some(true), Some(false)]), Found::Match(2));
        // A close match further down: similar products, none labelled.
        assert_eq!(answer(&[Some(false), Some(true)]), Found::Similar(2));
        assert_eq!(
            answer(&[Some(false), Some(false), Some(false)]),
            Found::OnlyDistant(3)
        );
        assert_eq!(answer(&[Some(false), None]), Found::OnlyDistant(2));
    }

    #[test]
    fn the_status_line_is_scrolled_into_a_short_panel() {
        // A 300 px panel, a 20 px status line, 12 px kept from the edge:
        // (scroll offset, line's top, results follow, header's height) → new scroll offset.
        let cases = [
            // The line at 420–440, below the fold: brought just inside the bottom edge.
            (0.0, 420.0, false, 40.0, 152.0),
            // Already in view: nothing moves.
            (0.0, 200.0, false, 40.0, 0.0),
            (150.0, 420.0, false, 40.0, 152.0),
            // Results below it: the line goes to the top, whether it was below or above, just
            // under the header that stays there.
            (0.0, 420.0, true, 0.0, 408.0),
            (0.0, 420.0, true, 40.0, 368.0),
            (500.0, 420.0, true, 40.0, 368.0),
            (0.0, 5.0, true, 40.0, 0.0),
        ];
        for (scroll, line, follow, header, want) in cases {
            assert_eq!(
                reveal_status(scroll, 300.0, line, 20.0, follow, 12.0, header),
                want,
                "{scroll} {line} {follow} {header}"
            );
        }
        // Which phases bring what: progress as a query starts, the outcome when it ends.
        assert_eq!(Phase::Preparing.reveal(), Reveal::Progress);
        assert_eq!(Phase::Matching.reveal(), Reveal::Nothing);
        assert_eq!(Phase::Crop.reveal(), Reveal::Nothing);
        let empty = SearchResults {
            query_id: "q".into(),
            results: vec![],
            server_time: 0,
        };
        assert_eq!(Phase::Results(empty).reveal(), Reveal::Outcome);
        assert_eq!(Phase::Failed(Failure::Network).reveal(), Reveal::Outcome);
    }

    #[test]
    fn arrows_move_and_shift_arrows_resize_inside_the_image() {
        let r = Region::spanning((0.5, 0.5), (0.7, 0.8));
        let moved = r.nudged(Arrow::Left, false);
        assert!((moved.x - 0.48).abs() < 1e-9 && moved.width == r.width);
        let grown = r.nudged(Arrow::Down, true);
        assert!((grown.height - 0.32).abs() < 1e-9 && grown.y == r.y);
        // Never out of the image, never below the minimum.
        let mut edge = Region::FULL;
        for _ in 0..100 {
            edge = edge.nudged(Arrow::Right, false).nudged(Arrow::Up, true);
        }
        assert_eq!(edge.x, 0.0);
        assert!((edge.height - MIN_SIDE).abs() < 1e-9);
        // A box pressed into a corner still resizes without panicking.
        let corner = Region {
            x: 0.99,
            y: 0.99,
            width: 0.01,
            height: 0.01,
        };
        assert!(corner.nudged(Arrow::Right, true).width >= MIN_SIDE);
        assert_eq!(Arrow::from_key("ArrowUp"), Some(Arrow::Up));
        assert_eq!(Arrow::from_key("a"), None);
    }

    #[test]
    fn a_drag_in_any_direction_spans_a_box_of_a_usable_size() {
        let r = Region::spanning((0.9, 0.8), (0.1, 0.2));
        assert!((r.x - 0.1).abs() < 1e-9 && (r.width - 0.8).abs() < 1e-9);
        let tiny = Region::spanning((0.99, 0.5), (0.995, 0.5));
        assert!(tiny.width >= MIN_SIDE && tiny.x + tiny.width <= 1.0 + 1e-9);
        let wild = Region::spanning((f64::NAN, -3.0), (7.0, f64::INFINITY));
        assert!(wild.x >= 0.0 && wild.x + wild.width <= 1.0 + 1e-9);
        assert!(r.contains((0.5, 0.5)) && !r.contains((0.05, 0.5)));
    }

    #[test]
    fn a_region_inside_the_upload_reuses_it_and_others_upload() {
        let sent = Sent {
            region: Region {
                x: 0.2,
                y: 0.2,
                width: 0.6,
                height: 0.6,
            },
            long_edge: 512,
            query_id: "q1".into(),
        };
        let inner = Region {
            x: 0.35,
            y: 0.2,
            width: 0.3,
            height: 0.6,
        };
        match plan(Some(&sent), inner) {
            Plan::Reuse { query_id, region } => {
                assert_eq!(query_id, "q1");
                assert!((region.x - 0.25).abs() < 1e-9 && (region.width - 0.5).abs() < 1e-9);
                assert!((region.height - 1.0).abs() < 1e-9);
            }
            Plan::Upload => panic!("should reuse"),
        }
        // Outside the upload, or too few pixels left: upload again.
        assert_eq!(plan(Some(&sent), Region::FULL), Plan::Upload);
        let small = Region {
            x: 0.3,
            y: 0.3,
            width: 0.1,
            height: 0.1,
        };
        assert_eq!(plan(Some(&sent), small), Plan::Upload);
        assert_eq!(plan(None, inner), Plan::Upload);
    }

    #[test]
    fn the_query_part_is_json_the_backend_reads() {
        let query = Query {
            region: Region::FULL,
            boxed: true,
            profile: "max-512".into(),
            locale: "ar-EG".into(),
            query_id: Some("a\"b".into()),
            limit: 12,
        };
        let value: serde_json::Value = serde_json::from_str(&query.to_json()).unwrap();
        assert_eq!(value["box"]["width"], 1.0);
        let half = Region::spanning((0.25, 0.125), (0.75, 0.5)).to_json();
        assert_eq!(
            half,
            r#"{"x":0.2500,"y":0.1250,"width":0.5000,"height":0.3750}"#
        );
        assert_eq!(value["profile"], "max-512");
        assert_eq!(value["locale"], "ar-EG");
        assert_eq!(value["queryId"], "a\"b");
        assert_eq!(value["limit"], 12);
    }

    #[test]
    fn a_backend_reads_the_query_part_the_widget_writes() {
        let sent = Query {
            region: Region::spanning((0.25, 0.125), (0.75, 0.5)),
            boxed: true,
            profile: "square-224".into(),
            locale: "fa".into(),
            query_id: Some("q1".into()),
            limit: 5,
        };
        assert_eq!(Query::from_json(&sent.to_json()), Ok(sent));
        let bare = Query::from_json("{}").unwrap();
        assert_eq!(
            (bare.region, bare.query_id.clone(), bare.limit),
            (Region::FULL, None, DEFAULT_LIMIT)
        );
        assert_eq!(bare, Query::default());
        assert_eq!(
            Query::from_json(r#"{"limit": 1000}"#).unwrap().limit,
            MAX_LIMIT
        );
        assert_eq!(Query::from_json(r#"{"limit": 0}"#).unwrap().limit, 1);
        // Fields of the wrong kind count as absent; only a non-object is refused.
        let odd = Query::from_json(r#"{"box": {"x": "left"}, "queryId": 7}"#).unwrap();
        assert_eq!((odd.region, odd.query_id), (Region::FULL, None));
        assert_eq!(
            Query::from_json("not json").unwrap_err(),
            "the query part is not JSON: expected ident at line 1 column 2"
        );
        assert!(Query::from_json("[1]").is_err());
    }

    #[test]
    fn one_retry_with_backoff_for_transient_failures_only() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(0, &Failure::Network), Some(600));
        assert_eq!(policy.next_delay(1, &Failure::Network), None);
        assert_eq!(policy.next_delay(0, &Failure::Timeout), Some(600));
        assert_eq!(policy.next_delay(0, &Failure::Server(500)), None);
        assert_eq!(policy.next_delay(0, &Failure::from_status(422)), None);
        let two = RetryPolicy {
            retries: 2,
            ..policy
        };
        assert_eq!(two.next_delay(1, &Failure::Network), Some(1200));
    }

    #[test]
    fn a_busy_backend_is_asked_again_once_after_a_second_then_explained() {
        assert_eq!(Failure::refused(503, "busy"), Failure::Busy);
        assert_eq!(Failure::refused(429, "rate_limited"), Failure::Busy);
        // A backend without visual search stays "unavailable", and is not asked again.
        assert_eq!(Failure::refused(503, "unavailable"), Failure::Unavailable);
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(0, &Failure::Busy), Some(1_000));
        assert_eq!(policy.next_delay(1, &Failure::Busy), None);
        assert_eq!(policy.next_delay(0, &Failure::Unavailable), None);
        assert_eq!(
            Failure::Busy.message(Lang::En),
            "Many searches right now. Try again in a moment."
        );
    }

    #[test]
    fn camera_errors_get_their_own_message_and_point_to_files() {
        for (name, want) in [
            ("NotAllowedError", SearchText::CameraDenied),
            ("NotFoundError", SearchText::CameraMissing),
            ("NotReadableError", SearchText::CameraBusy),
            ("TypeError", SearchText::CameraUnavailable),
        ] {
            let failure = Failure::Camera(CameraError::from_dom(name));
            assert_eq!(failure.message(Lang::Fa), want.get(Lang::Fa), "{name}");
            assert!(failure.suggests_file());
        }
        let heic = Failure::Image {
            code: "unsupported".into(),
            format: Some("HEIC".into()),
        };
        assert_eq!(heic.message(Lang::En), SearchText::PrepHeic.get(Lang::En));
        assert!(!Failure::Network.suggests_file());
        assert_eq!(
            Failure::refused(422, "image_limits"),
            Failure::Image {
                code: "limits".into(),
                format: None
            }
        );
        assert_eq!(Failure::refused(422, "unprocessable"), Failure::Server(422));
        assert_eq!(Failure::refused(503, "image_decode"), Failure::Unavailable);
        assert_eq!(Failure::from_status(503), Failure::Unavailable);
    }

    #[test]
    fn a_new_query_supersedes_the_one_in_flight() {
        let mut search = Search::default();
        search.apply(Event::Photo(4000, 3000));
        let (first, plan) = search.start();
        assert_eq!(plan, Plan::Upload);
        assert_eq!(search.phase, Phase::Preparing);
        search.apply(Event::Prepared(first));
        assert_eq!(search.phase, Phase::Sending(None));
        // The shopper changes the box and searches again before the answer.
        search.apply(Event::Region(Region::spanning((0.1, 0.1), (0.5, 0.5))));
        let (second, _) = search.start();
        assert!(!search.apply(Event::Answer(first, results("old"), None)));
        assert!(!search.apply(Event::Failed(Some(first), Failure::Network)));
        assert_eq!(search.phase, Phase::Preparing);
        search.apply(Event::Prepared(second));
        search.apply(Event::Progress(second, 0.5));
        assert_eq!(search.phase, Phase::Sending(Some(0.5)));
        search.apply(Event::Uploaded(second));
        assert_eq!(search.phase, Phase::Matching);
        assert_eq!(search.phase.step(), Some(2));
        let region = search.region;
        search.apply(Event::Answer(second, results("q2"), Some((region, 512))));
        assert!(matches!(&search.phase, Phase::Results(r) if r.query_id == "q2"));
        // Refining inside the upload re-queries by id, straight to matching.
        search.apply(Event::Region(Region::spanning((0.15, 0.15), (0.45, 0.45))));
        let (_, plan) = search.start();
        assert!(matches!(plan, Plan::Reuse { ref query_id, .. } if query_id == "q2"));
        assert_eq!(search.phase, Phase::Matching);
    }

    #[test]
    fn a_box_set_before_the_photo_has_loaded_stays_when_its_size_is_known() {
        let mut search = Search::default();
        search.apply(Event::Photo(0, 0));
        let region = Region::spanning((0.0, 0.0), (0.8, 0.9));
        search.apply(Event::Region(region));
        search.apply(Event::PhotoSize(4000, 3000));
        assert_eq!(search.region, region);
        assert_eq!(search.photo, Some((4000, 3000)));
        assert_eq!(search.phase, Phase::Crop);
    }

    #[test]
    fn a_new_photo_or_a_reset_cancels_and_forgets_the_upload() {
        let mut search = Search::default();
        search.apply(Event::Photo(10, 10));
        let (t, _) = search.start();
        search.apply(Event::Answer(t, results("q"), Some((Region::FULL, 10))));
        assert!(search.sent.is_some());
        search.apply(Event::Photo(20, 20));
        assert_eq!(search.sent, None);
        assert_eq!(search.phase, Phase::Crop);
        let (t, _) = search.start();
        search.apply(Event::Reset);
        assert!(!search.apply(Event::Prepared(t)));
        assert_eq!(search.phase, Phase::Start);
        assert_eq!(search.photo, None);
        // An expired id makes the next query upload.
        search.apply(Event::Photo(10, 10));
        search.sent = Some(Sent {
            region: Region::FULL,
            long_edge: 512,
            query_id: "gone".into(),
        });
        let (t, plan) = search.start();
        assert!(matches!(plan, Plan::Reuse { .. }));
        search.apply(Event::Failed(Some(t), Failure::Unavailable));
        assert_eq!(search.start().1, Plan::Upload);
    }
}
