//! Link safety: only `http(s)` URLs are ever followed or loaded, and relative ones are resolved
//! against the backend's base URL. Hand-written on purpose: the `url` crate's IDNA tables would
//! double the widget's download for what is a prefix check.

/// Resolves `href` against `base` (an absolute `http(s)` URL) and returns it only if the result
/// is an `http` or `https` URL. Anything else — `javascript:`, `data:`, `blob:`, control
/// characters, an empty string — gives `None`.
pub fn safe_http_url(base: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.len() > 2048 || href.chars().any(|c| c.is_control()) {
        return None;
    }
    if has_http_scheme(href) {
        return Some(href.to_string());
    }
    // A scheme is letters, digits, `+`, `-`, `.` followed by `:` before any `/`, `?` or `#`.
    let before_path = href.split(['/', '?', '#']).next().unwrap_or("");
    if before_path.contains(':') || href.starts_with('\\') {
        return None;
    }
    let base = base.trim();
    if !has_http_scheme(base) {
        return None;
    }
    let scheme_end = base.find("://")? + 3;
    let origin_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = href.strip_prefix("//") {
        let scheme = &base[..scheme_end - 2];
        return Some(format!("{scheme}//{rest}")).filter(|_| !rest.is_empty());
    }
    if href.starts_with('/') {
        return Some(format!("{}{}", &base[..origin_end], href));
    }
    // Relative to the base's directory, without its query or fragment.
    let path_end = base[origin_end..]
        .find(['?', '#'])
        .map_or(base.len(), |i| origin_end + i);
    let path = &base[origin_end..path_end];
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    Some(format!("{}{}{}", &base[..origin_end], dir, href))
}

fn has_http_scheme(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") && s.len() > 7) || (lower.starts_with("https://") && s.len() > 8)
}

/// The origin of an absolute `http(s)` URL: `https://shop.example` of
/// `https://shop.example/products.json?page=2`; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    if !has_http_scheme(url) || url.contains(char::is_whitespace) {
        return None;
    }
    let scheme_end = url.find("://")? + 3;
    let end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    (end > scheme_end).then(|| url[..end].to_string())
}

/// Joins an API path onto the backend base URL, whatever trailing slash the page wrote.
pub fn api_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Percent-encodes one path segment or query value: everything but RFC 3986's unreserved
/// characters.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/v1/videos/{id}/overlay`: a video's hotspot manifest.
pub fn overlay_path(video_id: &str) -> String {
    format!("/v1/videos/{}/overlay", encode_component(video_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://shop.example/api/";

    #[test]
    fn origins_of_addresses() {
        assert_eq!(
            origin_of("https://shop.example/products.json?limit=250").as_deref(),
            Some("https://shop.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080?x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        for not in [
            "https:///x",
            "https://",
            "products.json",
            "ftp://a/b",
            "https://a b/",
        ] {
            assert_eq!(origin_of(not), None, "{not}");
        }
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(
            encode_component("a b/c?d=é~_.-"),
            "a%20b%2Fc%3Fd%3D%C3%A9~_.-"
        );
        assert_eq!(overlay_path("../x"), "/v1/videos/..%2Fx/overlay");
    }

    #[test]
    fn keeps_absolute_http_urls() {
        assert_eq!(
            safe_http_url(BASE, "https://cdn.example/a.png").as_deref(),
            Some("https://cdn.example/a.png")
        );
        assert_eq!(
            safe_http_url(BASE, "HTTP://cdn.example/a.png").as_deref(),
            Some("HTTP://cdn.example/a.png")
        );
    }

    #[test]
    fn refuses_script_and_data_urls() {
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>",
            "blob:https://x/y",
            "vbscript:x",
            "java\nscript:alert(1)",
            "",
            "https://",
            "\\\\evil",
        ] {
            assert_eq!(safe_http_url(BASE, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn resolves_relative_urls_against_the_backend() {
        assert_eq!(
            safe_http_url(BASE, "/media/a.png").as_deref(),
            Some("https://shop.example/media/a.png")
        );
        assert_eq!(
            safe_http_url(BASE, "media/a.png").as_deref(),
            Some("https://shop.example/api/media/a.png")
        );
        assert_eq!(
            safe_http_url("http://127.0.0.1:8080", "/p/1").as_deref(),
            Some("http://127.0.0.1:8080/p/1")
        );
        assert_eq!(
            safe_http_url(BASE, "//cdn.example/x").as_deref(),
            Some("https://cdn.example/x")
        );
    }

    #[test]
    fn a_relative_url_needs_an_http_base() {
        assert_eq!(safe_http_url("file:///tmp/", "a.png"), None);
    }

    #[test]
    fn joins_api_paths() {
        assert_eq!(api_url("http://h:1/", "/v1/x"), "http://h:1/v1/x");
        assert_eq!(api_url("http://h:1", "v1/x"), "http://h:1/v1/x");
    }
}
