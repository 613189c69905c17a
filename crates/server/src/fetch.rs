//! Fetching from a shop's own servers: its product list (`--catalog https://…`) and its product
//! photos (to index them for visual search). Blocking, with a deadline and a size limit; used at
//! start-up, before the server serves anything, or off the async runtime.
//!
//! A catalog names its photos' addresses, and a catalog fetched from elsewhere is not the
//! operator's word: photos are fetched over https only and never from a loopback, private or
//! link-local address, redirects included ([`Reach::PublicHttps`]). The addresses are checked
//! where they are resolved, so the address checked is the one connected to.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Whether `source` is an `http(s)` address rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// What a fetch may reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    /// https, at public addresses only: a catalog's photos.
    #[default]
    PublicHttps,
    /// Any address, over http or https: the operator's own `--catalog` addresses, and photos
    /// with `--fetch-private-photos` (a shop on the same network, or tests).
    Anywhere,
}

/// A client with a deadline per request that reaches what `reach` allows; redirects are
/// followed, each one checked like the first address.
pub fn agent(reach: Reach) -> ureq::Agent {
    match reach {
        Reach::Anywhere => ureq::Agent::new_with_config(config(false)),
        Reach::PublicHttps => guarded(true, Arc::new(is_public)),
    }
}

fn config(https_only: bool) -> ureq::config::Config {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent("live-shop-server")
        .https_only(https_only)
        // A proxy from the environment would be connected to instead of the checked address.
        .proxy(None)
        .build()
}

/// An agent that connects only to the addresses `allow` accepts.
fn guarded(https_only: bool, allow: Arc<dyn Fn(&SocketAddr) -> bool + Send + Sync>) -> ureq::Agent {
    ureq::Agent::with_parts(
        config(https_only),
        ureq::unversioned::transport::DefaultConnector::default(),
        Guard { allow },
    )
}

/// Resolves as usual, then keeps only the addresses allowed; none left is an error in words.
struct Guard {
    allow: Arc<dyn Fn(&SocketAddr) -> bool + Send + Sync>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

impl Resolver for Guard {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        for addr in resolved.iter().filter(|a| (self.allow)(a)) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            let host = uri.host().unwrap_or("");
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("{host} is a loopback, private or link-local address: not fetched"),
            )));
        }
        Ok(kept)
    }
}

/// Whether `addr` is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, multicast, broadcast, documentation or reserved.
pub fn is_public(addr: &SocketAddr) -> bool {
    match addr.ip() {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn addr(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 443)
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "ff02::1",
        ] {
            assert!(!is_public(&addr(private)), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111"] {
            assert!(is_public(&addr(public)), "{public}");
        }
    }

    /// A one-request HTTP server on loopback answering `answer`; returns its port.
    fn serve_once(answer: String) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        port
    }

    #[test]
    fn photos_are_fetched_over_https_from_public_addresses_only() {
        let err = get(&agent(Reach::PublicHttps), "http://93.184.216.34/a.png", 10).unwrap_err();
        assert!(err.contains("https only"), "{err}");
        let err = get(&agent(Reach::PublicHttps), "https://127.0.0.1:1/a.png", 10).unwrap_err();
        assert!(err.contains("127.0.0.1 is a loopback, private"), "{err}");
        let err = get(&agent(Reach::PublicHttps), "https://localhost:1/a.png", 10).unwrap_err();
        assert!(err.contains("localhost is a loopback, private"), "{err}");
    }

    #[test]
    fn a_redirect_is_checked_like_the_first_address() {
        // The second server holds the photo; the first redirects to it. Only the first's
        // address is allowed, as only a public CDN would be.
        let photo = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nphoto".into());
        let redirect = || {
            serve_once(format!(
                "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{photo}/a.png\r\ncontent-length: 0\r\n\r\n"
            ))
        };
        let first = redirect();
        let only_first = guarded(false, Arc::new(move |a: &SocketAddr| a.port() == first));
        let err = get(&only_first, &format!("http://127.0.0.1:{first}/a.png"), 10).unwrap_err();
        assert!(err.contains("is a loopback, private"), "{err}");

        // Allowed, the same redirect is followed to the photo.
        let first = redirect();
        let both = guarded(false, Arc::new(|_: &SocketAddr| true));
        let body = get(&both, &format!("http://127.0.0.1:{first}/a.png"), 10).unwrap();
        assert_eq!(body, b"photo");
    }
}
