//! HTTP over `fetch`, with a timeout, errors as [`BackendError`], and the server's clock read
//! from every answer.
use gloo_timers::callback::Timeout;
use live_shop_core::error::BackendError;
use live_shop_core::protocol::{Millis, SERVER_TIME_HEADER};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestInit, Response};

/// An answer, whatever its status.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body text (empty for 304).
    pub body: String,
    /// `ETag`, if any.
    pub etag: Option<String>,
    /// Server time, and the device times the request was sent and answered.
    pub clock: Option<(f64, f64, Millis)>,
    /// All response headers.
    pub headers: Headers,
}

/// Sends a request. `timeout_ms` aborts it; a network failure or timeout is an error, an HTTP
/// error status is not (callers decide).
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    timeout_ms: u32,
) -> Result<Answer, BackendError> {
    let net = |e: JsValue| BackendError::Network(format!("{e:?}"));
    let init = RequestInit::new();
    init.set_method(method);
    let hdrs = Headers::new().map_err(net)?;
    for (k, v) in headers {
        hdrs.set(k, v).map_err(net)?;
    }
    if let Some(body) = body {
        hdrs.set("content-type", "application/json").map_err(net)?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&hdrs);
    let controller = AbortController::new().map_err(net)?;
    init.set_signal(Some(&controller.signal()));
    let abort = controller.clone();
    let timer = Timeout::new(timeout_ms, move || abort.abort());

    let window = web_sys::window().ok_or_else(|| BackendError::Network("no window".into()))?;
    let sent = js_sys::Date::now();
    let result = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
    let response: Response = match result {
        Ok(value) => value.dyn_into().map_err(net)?,
        Err(_) if controller.signal().aborted() => return Err(BackendError::Timeout),
        // A fetch that fails while the device is online is the backend's to answer (refused,
        // or its CORS headers did not allow it), not the shopper's network.
        Err(e) if window.navigator().on_line() => {
            return Err(BackendError::Unreachable(format!("{e:?}")))
        }
        Err(e) => return Err(net(e)),
    };
    let received = js_sys::Date::now();
    let status = response.status();
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let etag = header("etag");
    let clock = header(SERVER_TIME_HEADER)
        .and_then(|t| t.parse::<Millis>().ok())
        .map(|t| (sent, received, t));
    let body = if status == 304 {
        String::new()
    } else {
        let text = response.text().map_err(net)?;
        match JsFuture::from(text).await {
            Ok(t) => t.as_string().unwrap_or_default(),
            Err(_) if controller.signal().aborted() => return Err(BackendError::Timeout),
            Err(e) => return Err(net(e)),
        }
    };
    drop(timer);
    Ok(Answer {
        status,
        body,
        etag,
        clock,
        headers,
    })
}

impl Answer {
    /// The answer as a success, or an [`BackendError::Http`].
    pub fn ok(self) -> Result<Self, BackendError> {
        if (200..300).contains(&self.status) || self.status == 304 {
            Ok(self)
        } else {
            Err(BackendError::Http {
                status: self.status,
            })
        }
    }
}
