//! Command-line configuration.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; 127.0.0.1 unless told otherwise.
    pub addr: SocketAddr,
    /// The built widget (Trunk's `dist`), served at `/`.
    pub dist: Option<PathBuf>,
    /// Product photos and the demo video, served at `/media`.
    pub media: Option<PathBuf>,
    /// Tokens that may control streams (`POST …/changes`). None: control is off.
    pub creator_tokens: Vec<String>,
    /// Origins allowed by CORS; empty allows any (the widget embeds anywhere, no cookies).
    pub cors_origins: Vec<String>,
    /// Run the scripted demo show on stream `demo`.
    pub demo_show: bool,
    /// Seconds the demo waits between steps are multiplied by this (tests speed it up).
    pub demo_pace: f64,
    /// EfficientNet-Lite0 weights (safetensors): enables `POST /v1/search/image`.
    pub model: Option<PathBuf>,
    /// Where the visual-search index is saved between runs.
    pub search_index: Option<PathBuf>,
    /// SQLite file of the videos' hotspot manifests and the shoppers' carts; in memory when
    /// absent.
    pub overlay_db: Option<PathBuf>,
    /// PostgreSQL (`postgres://user@host:port/db`) for carts, deal stock and manifests, shared
    /// by every instance that names it; SQLite (`overlay_db`, or memory) when absent.
    pub database: Option<String>,
    /// Redis carrying live streams between instances (`redis://…`); this process's own bus
    /// when absent.
    pub bus: Option<String>,
    /// How long a flash deal's units stay held in a cart before they go back to the deal, ms.
    pub cart_hold_ms: i64,
    /// Connections, header deadline and listen backlog.
    pub limits: crate::serve::Limits,
    /// The address shoppers reach this server at (`https://live.shop.example`), for the links
    /// it writes (calendar files); never taken from a request's `Host`.
    pub public_url: Option<String>,
    /// Product lists (or the pages of one) to serve instead of the sample shop: a Shopify store's `products.json`, a
    /// WooCommerce Store API product list, or live-shop's own `{"products": [...]}`.
    pub catalog: Vec<String>,
    /// The shop's origin, for a Shopify list's product links.
    pub catalog_store: Option<String>,
    /// The shop's currency, for a Shopify list's prices.
    pub catalog_currency: Option<String>,
    /// What fetching the catalog's photos may reach: https at public addresses unless
    /// `--fetch-private-photos`.
    pub photos: crate::fetch::Reach,
    /// Visual searches each client may start per minute (0: no limit).
    pub search_pace: u32,
    /// The client is the last address of `X-Forwarded-For` (behind a proxy that sets it).
    pub forwarded_for: bool,
}

impl Config {
    /// The address shoppers reach this server at: `--public-url`, else the listen address.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080),
            dist: None,
            media: None,
            creator_tokens: Vec::new(),
            cors_origins: Vec::new(),
            demo_show: true,
            demo_pace: 1.0,
            model: None,
            search_index: None,
            overlay_db: None,
            cart_hold_ms: crate::carts::DEFAULT_HOLD_MS,
            database: None,
            bus: None,
            public_url: None,
            limits: crate::serve::Limits::for_this_process(),
            catalog: Vec::new(),
            catalog_store: None,
            catalog_currency: None,
            photos: crate::fetch::Reach::PublicHttps,
            search_pace: crate::admission::Policy::for_this_machine().per_minute,
            forwarded_for: false,
        }
    }
}

/// Usage text.
pub const USAGE: &str = "\
usage: live-shop-server [options]
  --host ADDR            listen address (default 127.0.0.1; env HOST)
  --port N               port (default 8080; env PORT)
  --dist DIR             serve the built widget from DIR at /
  --media DIR            serve photos and video from DIR at /media
  --creator-token TOKEN  allow this bearer token to control streams (repeatable)
  --cors-origin ORIGIN   allow only these origins (repeatable; default any)
  --no-demo-show         do not run the scripted show on stream 'demo'
  --demo-pace X          multiply the demo show's delays by X (default 1)
  --model FILE           EfficientNet-Lite0 safetensors: enables visual search (needs --media)
  --search-index FILE    save the visual-search index here and reuse it
  --overlay-db FILE      keep videos' hotspot manifests and shoppers' carts in this SQLite
                         file (default: memory)
  --public-url URL       the address shoppers reach this server at, behind a proxy, for the
                         links it writes (default http://HOST:PORT)
  --max-connections N    open connections at most, SSE viewers included; past it a 503
                         (default: what the open-files limit leaves room for)
  --header-timeout SECS  a request's head must arrive within this, and an idle connection
                         closes after it (default 10)
  --backlog N            connections the kernel queues for accepting (default 4096)
  --database URL         keep carts, deal stock and manifests in PostgreSQL
                         (postgres://user@host:port/db), shared by every instance
  --bus URL              carry live streams between instances over Redis
                         (redis://host:port/db), so every viewer gets every change
  --cart-hold SECS       how long a flash deal's units stay held in a cart before they go
                         back to the deal (default 600)
  --catalog FILE|URL     serve this product list instead of the sample shop: a Shopify store's
                         /products.json, WooCommerce's /wp-json/wc/store/v1/products, or
                         live-shop's own {\"products\": [...]}; a file or its address, read
                         at start-up; repeat it for each page
  --catalog-store URL    the Shopify store's origin, for product links (https://shop.example;
                         by default the origin of a --catalog address)
  --catalog-currency C   the Shopify store's currency (EUR)
  --fetch-private-photos also fetch the catalog's photos over http and from loopback, private
                         and link-local addresses (a shop on the same network; by default
                         only https at public addresses)
  --search-pace N        visual searches each client may start per minute (default 60,
                         with bursts of 20; 0 for no limit)
  --forwarded-for        behind a proxy that sets X-Forwarded-For: a client is the address
                         it put last, not the proxy";

impl Config {
    /// Parses arguments (without the program name) and `HOST`/`PORT` from the environment.
    pub fn from_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        use lexopt::prelude::*;
        let mut config = Self::default();
        if let Some(port) = env("PORT") {
            config.addr.set_port(
                port.parse()
                    .map_err(|_| format!("PORT={port} is not a port"))?,
            );
        }
        if let Some(host) = env("HOST") {
            config.addr.set_ip(
                host.parse()
                    .map_err(|_| format!("HOST={host} is not an IP address"))?,
            );
        }
        let mut parser = lexopt::Parser::from_args(args);
        let err = |e: lexopt::Error| e.to_string();
        while let Some(arg) = parser.next().map_err(err)? {
            match arg {
                Long("host") => config
                    .addr
                    .set_ip(parser.value().map_err(err)?.parse().map_err(err)?),
                Long("port") => config
                    .addr
                    .set_port(parser.value().map_err(err)?.parse().map_err(err)?),
                Long("dist") => config.dist = Some(parser.value().map_err(err)?.into()),
                Long("media") => config.media = Some(parser.value().map_err(err)?.into()),
                Long("creator-token") => config
                    .creator_tokens
                    .push(parser.value().map_err(err)?.string().map_err(err)?),
                Long("cors-origin") => config
                    .cors_origins
                    .push(parser.value().map_err(err)?.string().map_err(err)?),
                Long("no-demo-show") => config.demo_show = false,
                Long("fetch-private-photos") => config.photos = crate::fetch::Reach::Anywhere,
                Long("forwarded-for") => config.forwarded_for = true,
                Long("model") => config.model = Some(parser.value().map_err(err)?.into()),
                Long("search-index") => {
                    config.search_index = Some(parser.value().map_err(err)?.into())
                }
                Long("overlay-db") => config.overlay_db = Some(parser.value().map_err(err)?.into()),
                Long("catalog") => config
                    .catalog
                    .push(parser.value().map_err(err)?.string().map_err(err)?),
                Long("catalog-store") => {
                    config.catalog_store = Some(parser.value().map_err(err)?.string().map_err(err)?)
                }
                Long("catalog-currency") => {
                    config.catalog_currency =
                        Some(parser.value().map_err(err)?.string().map_err(err)?)
                }
                Long("bus") => {
                    let url = parser.value().map_err(err)?.string().map_err(err)?;
                    if !url.starts_with("redis://") {
                        return Err(format!("--bus {url} is not a redis:// address"));
                    }
                    config.bus = Some(url);
                }
                Long("database") => {
                    let url = parser.value().map_err(err)?.string().map_err(err)?;
                    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                        return Err(format!("--database {url} is not a postgres:// address"));
                    }
                    config.database = Some(url);
                }
                Long("public-url") => {
                    let url = parser.value().map_err(err)?.string().map_err(err)?;
                    if live_shop_core::url::origin_of(&url).is_none() {
                        return Err(format!("--public-url {url} is not an http(s) address"));
                    }
                    config.public_url = Some(url.trim_end_matches('/').to_string());
                }
                Long("max-connections") => {
                    config.limits.max_connections =
                        parser.value().map_err(err)?.parse().map_err(err)?;
                    if config.limits.max_connections == 0 {
                        return Err("--max-connections must be at least 1".into());
                    }
                }
                Long("header-timeout") => {
                    let secs: f64 = parser.value().map_err(err)?.parse().map_err(err)?;
                    if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
                        return Err("--header-timeout must be 0 to 3600 seconds".into());
                    }
                    config.limits.header_timeout = std::time::Duration::from_secs_f64(secs);
                }
                Long("backlog") => {
                    config.limits.backlog = parser.value().map_err(err)?.parse().map_err(err)?
                }
                Long("search-pace") => {
                    config.search_pace = parser.value().map_err(err)?.parse().map_err(err)?;
                }
                Long("cart-hold") => {
                    let secs: u32 = parser.value().map_err(err)?.parse().map_err(err)?;
                    if secs == 0 {
                        return Err("--cart-hold must be at least 1 second".into());
                    }
                    config.cart_hold_ms = i64::from(secs) * 1000;
                }
                Long("demo-pace") => {
                    let pace: f64 = parser.value().map_err(err)?.parse().map_err(err)?;
                    if !(pace.is_finite() && pace > 0.0) {
                        return Err("--demo-pace must be a positive number".into());
                    }
                    config.demo_pace = pace;
                }
                Long("help") | Short('h') => return Err(USAGE.into()),
                _ => return Err(format!("{}\n{USAGE}", arg.unexpected())),
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(Into::into), |_| None)
    }

    #[test]
    fn defaults_to_loopback_8080() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert!(config.demo_show);
    }

    #[test]
    fn env_port_is_overridden_by_the_flag() {
        let env = |k: &str| (k == "PORT").then(|| "9000".to_string());
        let config = Config::from_args(Vec::<std::ffi::OsString>::new(), env).unwrap();
        assert_eq!(config.addr.port(), 9000);
        let config = Config::from_args(["--port", "9001"].map(Into::into), env).unwrap();
        assert_eq!(config.addr.port(), 9001);
    }

    #[test]
    fn a_catalog_may_come_in_pages() {
        let config = parse(&[
            "--catalog",
            "p1.json",
            "--catalog",
            "p2.json",
            "--catalog-store",
            "https://s.example",
            "--catalog-currency",
            "EUR",
        ])
        .unwrap();
        assert_eq!(config.catalog, ["p1.json", "p2.json"]);
        assert_eq!(config.catalog_store.as_deref(), Some("https://s.example"));
        assert_eq!(config.catalog_currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn the_public_url_is_an_http_address() {
        assert_eq!(parse(&[]).unwrap().public_url(), "http://127.0.0.1:8080");
        let config = parse(&["--public-url", "https://live.shop.example/"]).unwrap();
        assert_eq!(config.public_url(), "https://live.shop.example");
        assert!(parse(&["--public-url", "javascript:alert(1)"]).is_err());
    }

    #[test]
    fn rejects_unknown_flags_with_usage() {
        let err = parse(&["--bogus"]).unwrap_err();
        assert!(err.contains("usage:"));
        assert!(parse(&["--port", "x"]).is_err());
    }
}
