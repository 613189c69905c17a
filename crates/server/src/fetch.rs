//! Fetching from a shop's own servers: its product list (`--catalog https://…`) and its product
//! photos (to index them for visual search). Blocking, with a deadline and a size limit; used at
//! start-up, before the server serves anything, or off the async runtime.
use std::time::Duration;

/// Whether `source` is an `http(s)` address rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// A client with a deadline per request; redirects are followed.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent("live-shop-server")
        .build()
        .into()
}

/// The body at `url`, at most `limit` bytes; an error status, a failure or a longer body is an
/// error in words.
pub fn get(agent: &ureq::Agent, url: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| e.to_string())
}
