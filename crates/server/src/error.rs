//! API errors: every 4xx and 5xx answer is JSON (`ErrorBody`), never a panic or an HTML page.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use live_shop_core::protocol::{ErrorBody, ErrorDetail};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request is malformed: the client must change it.
    #[error("{0}")]
    BadRequest(String),
    /// A required header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// No credentials, or wrong ones.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// The server was configured not to allow this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such resource.
    #[error("{0} not found")]
    NotFound(String),
    /// The request repeats an idempotency key with a different body.
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    /// The body is well-formed but not acceptable.
    #[error("{0}")]
    Unprocessable(String),
    /// The uploaded image cannot be used; the code says why (`image_decode`, `image_limits`,
    /// `image_unsupported`).
    #[error(transparent)]
    Image(live_shop_core::prep::PrepError),
    /// A feature this server was started without.
    #[error("{0}")]
    Unavailable(&'static str),
    /// A write to a resource that exists needs `If-Match`.
    #[error("send If-Match with the ETag you edited (or If-None-Match: * to create)")]
    PreconditionRequired,
    /// Someone saved first: the current version and its ETag travel with the answer.
    #[error("the overlay changed since you loaded it")]
    EditConflict(Option<(String, String)>),
    /// The manifest has problems, each with its hotspot.
    #[error("the manifest has {} problem(s)", .0.len())]
    InvalidManifest(Vec<live_shop_core::hotspot::Problem>),
    /// The cart refused an add the shopper cannot have as asked (sold out, a new price, the
    /// limit per shopper): 409 with the refusal's code, a sentence for developers, and for a
    /// new price the offer that applies now (`offer` beside `error`).
    #[error("{1}")]
    Refused(
        live_shop_core::cart::Refusal,
        String,
        Option<Box<live_shop_core::protocol::Offer>>,
    ),
    /// The store failed: the server's fault.
    #[error(transparent)]
    Store(#[from] crate::overlays::StoreError),
    /// The live bus failed: the operator's to mend; the client may try again.
    #[error(transparent)]
    Bus(#[from] crate::bus::BusError),
    /// The body is larger than this endpoint takes.
    #[error("{0}")]
    TooLarge(String),
    /// Every place for this work is taken: 503 with `Retry-After`.
    #[error("{0}; try again in a moment")]
    Busy(&'static str, std::time::Duration),
    /// This client asked too often: 429 with `Retry-After`.
    #[error("{0}; try again in {secs} s", secs = .1.as_secs_f64().ceil())]
    TooFast(&'static str, std::time::Duration),
}

/// Most characters of what a client sent that an error message quotes.
pub const QUOTED_CHARS: usize = 100;

/// What a client sent, quoted for an error message: at most [`QUOTED_CHARS`] characters, then
/// "…". An answer never echoes a megabyte id back.
pub fn quoted(sent: &str) -> String {
    match sent.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{:?}…", &sent[..end]),
        None => format!("{sent:?}"),
    }
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::MissingHeader(_) => (StatusCode::BAD_REQUEST, "missing_header"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::KeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            Self::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            Self::Image(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                match e.code() {
                    "limits" => "image_limits",
                    "unsupported" => "image_unsupported",
                    _ => "image_decode",
                },
            ),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
            Self::EditConflict(_) => (StatusCode::PRECONDITION_FAILED, "edit_conflict"),
            Self::InvalidManifest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest"),
            Self::Refused(refusal, ..) => (StatusCode::CONFLICT, refusal.code()),
            Self::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
            Self::Bus(_) => (StatusCode::SERVICE_UNAVAILABLE, "bus"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::Busy(..) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::TooFast(..) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: self.to_string(),
            },
        };
        let mut value = serde_json::to_value(&body).unwrap_or_default();
        match &self {
            // The studio merges against what is stored now.
            Self::EditConflict(Some((etag, json))) => {
                value["etag"] = etag.as_str().into();
                value["current"] = serde_json::from_str(json).unwrap_or_default();
            }
            // The shopper's widget shows it, and adds at it if the shopper presses again.
            Self::Refused(_, _, Some(offer)) => {
                value["offer"] = serde_json::to_value(offer).unwrap_or_default();
            }
            Self::InvalidManifest(problems) => {
                value["problems"] = problems
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "code": p.code(),
                            "hotspot": p.hotspot(),
                            "message": p.message(live_shop_core::i18n::Lang::En),
                        })
                    })
                    .collect();
            }
            _ => {}
        }
        let mut response = (status, Json(value)).into_response();
        if let Self::EditConflict(Some((etag, _))) = &self {
            if let Ok(tag) = axum::http::HeaderValue::from_str(etag) {
                response.headers_mut().insert(axum::http::header::ETAG, tag);
            }
        }
        if let Self::Busy(_, wait) | Self::TooFast(_, wait) = &self {
            // Whole seconds, rounded up: never sooner than the server would admit it.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use live_shop_core::cart::Refusal;
    use live_shop_core::prep::PrepError;
    use std::time::Duration;

    /// One error of every kind the API answers, each refusal and image code among them.
    fn every_kind() -> Vec<ApiError> {
        vec![
            ApiError::BadRequest(String::new()),
            ApiError::MissingHeader("x"),
            ApiError::Unauthorized,
            ApiError::Forbidden("x"),
            ApiError::NotFound(String::new()),
            ApiError::KeyReused,
            ApiError::Unprocessable(String::new()),
            ApiError::Image(PrepError::Decode(String::new())),
            ApiError::Image(PrepError::Limits(String::new())),
            ApiError::Image(PrepError::Unsupported { format: "HEIC" }),
            ApiError::Unavailable("x"),
            ApiError::PreconditionRequired,
            ApiError::EditConflict(None),
            ApiError::InvalidManifest(Vec::new()),
            ApiError::Refused(Refusal::SoldOut, String::new(), None),
            ApiError::Refused(Refusal::PriceChanged, String::new(), None),
            ApiError::Refused(Refusal::LimitReached, String::new(), None),
            ApiError::Store(crate::overlays::StoreError::new("x")),
            ApiError::Bus(crate::bus::BusError::Unreadable(String::new())),
            ApiError::TooLarge(String::new()),
            ApiError::Busy("x", Duration::from_secs(1)),
            ApiError::TooFast("x", Duration::from_secs(1)),
        ]
    }

    /// Fails to compile when a kind is added: add it to [`every_kind`] too.
    #[allow(dead_code)]
    fn listed(error: &ApiError) {
        match error {
            ApiError::BadRequest(_)
            | ApiError::MissingHeader(_)
            | ApiError::Unauthorized
            | ApiError::Forbidden(_)
            | ApiError::NotFound(_)
            | ApiError::KeyReused
            | ApiError::Unprocessable(_)
            | ApiError::Image(_)
            | ApiError::Unavailable(_)
            | ApiError::PreconditionRequired
            | ApiError::EditConflict(_)
            | ApiError::InvalidManifest(_)
            | ApiError::Refused(..)
            | ApiError::Store(_)
            | ApiError::Bus(_)
            | ApiError::TooLarge(_)
            | ApiError::Busy(..)
            | ApiError::TooFast(..) => {}
        }
    }

    /// `openapi.yaml`'s `ErrorBody.code` lists every code the API answers, so a client written
    /// from the spec knows each one, and no code the API never answers.
    #[test]
    fn the_spec_lists_exactly_the_codes_the_api_answers() {
        let spec = include_str!("../../../openapi.yaml");
        let documented: std::collections::BTreeSet<&str> = spec
            .split("    ErrorBody:")
            .nth(1)
            .and_then(|body| body.lines().find_map(|l| l.trim().strip_prefix("enum: [")))
            .and_then(|list| list.strip_suffix(']'))
            .map(|list| list.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let answered: std::collections::BTreeSet<&str> =
            every_kind().iter().map(|e| e.status_and_code().1).collect();
        assert_eq!(documented, answered);
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn what_a_client_sent_is_quoted_short() {
        assert_eq!(quoted("p01"), "\"p01\"");
        let long = "é".repeat(1_500_000);
        let q = quoted(&long);
        assert_eq!(q.chars().count(), QUOTED_CHARS + 3);
        assert!(q.ends_with("\"…"));
    }
}
