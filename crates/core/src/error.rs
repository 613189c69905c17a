//! Errors, grouped by who is responsible. `Display` is for developers; [`BackendError::user_message`]
//! is what a shopper reads, in their language.
use crate::i18n::{Lang, Text};

/// Talking to the backend went wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The request never got an answer while the device is offline.
    #[error("network error: {0}")]
    Network(String),
    /// The request never got an answer though the device is online: the backend refused the
    /// connection, or its CORS headers did not allow the request. Not the shopper's network.
    #[error("the backend could not be reached: {0}")]
    Unreachable(String),
    /// The request took too long.
    #[error("request timed out")]
    Timeout,
    /// The backend answered with an error status.
    #[error("backend answered HTTP {status}")]
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// The backend answered something this protocol version cannot read.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The cart refused the add for a reason the shopper must read (sold out, a new price,
    /// the deal's limit per shopper); the same request would be refused again.
    #[error("refused: {}", .0.code())]
    Refused(crate::cart::Refusal),
}

impl BackendError {
    /// Whether retrying the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Network(_) | Self::Unreachable(_) | Self::Timeout => true,
            Self::Http { status } => *status == 408 || *status == 429 || *status >= 500,
            Self::Protocol(_) | Self::Refused(_) => false,
        }
    }

    /// The backend has no such feature (e.g. no reference cart): fall back to something else.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            Self::Http {
                status: 404 | 405 | 501
            }
        )
    }

    /// The sentence a shopper reads.
    pub fn user_message(&self, lang: Lang) -> &'static str {
        let text = match self {
            Self::Network(_) | Self::Timeout => Text::ErrorOffline,
            Self::Unreachable(_) => Text::ErrorUnreachable,
            Self::Http { status } if *status >= 500 => Text::ErrorServer,
            Self::Http { .. } | Self::Protocol(_) => Text::ErrorGeneric,
            Self::Refused(crate::cart::Refusal::SoldOut) => Text::SoldOut,
            Self::Refused(crate::cart::Refusal::PriceChanged) => Text::ErrorPriceChanged,
            Self::Refused(crate::cart::Refusal::LimitReached) => Text::ErrorLimitReached,
        };
        text.get(lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unanswered_request_while_online_is_not_called_offline() {
        let unreachable = BackendError::Unreachable("TypeError: Failed to fetch".into());
        assert!(unreachable.is_retryable());
        assert_eq!(
            unreachable.user_message(Lang::En),
            "Couldn't reach the shop. Please try again."
        );
        assert_ne!(
            unreachable.user_message(Lang::En),
            BackendError::Network(String::new()).user_message(Lang::En)
        );
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(BackendError::Timeout.is_retryable());
        assert!(BackendError::Http { status: 503 }.is_retryable());
        assert!(!BackendError::Http { status: 400 }.is_retryable());
        assert!(!BackendError::Protocol("x".into()).is_retryable());
    }

    #[test]
    fn messages_are_localised() {
        let err = BackendError::Network("refused".into());
        assert_ne!(err.user_message(Lang::En), err.user_message(Lang::Ar));
        assert!(!err.user_message(Lang::Fa).is_empty());
    }
}
