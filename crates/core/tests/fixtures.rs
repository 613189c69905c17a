//! Protocol fixtures: each folder under `tests/fixtures/` holds a `state.json` as a backend might
//! send it and `expected.txt`, what the overlay would show from it (one line per shelf card).
//! Set `BLESS=1` to rewrite the expectations after an intended change.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]
use std::fmt::Write;
use std::path::Path;

use live_shop_core::deal::{Action, Show};
use live_shop_core::json::decode;
use live_shop_core::protocol::StreamState;
use live_shop_core::view::shelf;

const BASE: &str = "http://127.0.0.1:8080/api/";

fn render(state: StreamState) -> String {
    let mut show = Show::default();
    show.apply(Action::Snapshot(state));
    let mut out = String::new();
    let banner = show
        .banner
        .as_ref()
        .map_or("-".to_string(), |b| b.title.clone());
    writeln!(out, "banner: {banner}").unwrap();
    writeln!(out, "live: {}", show.live).unwrap();
    writeln!(out, "pinned: {}", show.pinned.as_deref().unwrap_or("-")).unwrap();
    for card in shelf(&show, BASE, show.server_time) {
        let mut line = format!(
            "{} | {} | {} | {} {} | was {} | stock {:?} | image {} | url {}",
            card.product_id,
            card.title,
            card.brand.as_deref().unwrap_or("-"),
            card.offer.price.get(),
            card.offer.price_currency.as_str(),
            card.offer
                .original_price
                .map_or("-".into(), |p| p.get().to_string()),
            card.stock,
            card.image.as_deref().unwrap_or("-"),
            card.url.as_deref().unwrap_or("-"),
        );
        if let Some(deal) = &card.deal {
            write!(
                line,
                " | deal {} {}..{}",
                deal.id, deal.starts_at, deal.ends_at
            )
            .unwrap();
        }
        if let Some(bar) = card.stock_bar {
            write!(line, " | bar {bar:.2}").unwrap();
        }
        writeln!(out, "{line}").unwrap();
    }
    out
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let input = std::fs::read(dir.join("state.json")).unwrap();
        let state: StreamState =
            decode(&input).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let got = render(state);
        let expected_path = dir.join("expected.txt");
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&expected_path, &got).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap();
        assert_eq!(got, expected, "fixture {}", dir.display());
        cases += 1;
    }
    assert!(cases >= 3);
}

#[test]
fn a_body_that_is_not_a_state_is_a_protocol_error() {
    for body in [&b"<html>"[..], b"[]", b"{}", b"{\"streamId\":1}", b""] {
        let err = decode::<StreamState>(body).unwrap_err();
        assert!(err.to_string().starts_with("protocol error"), "{err}");
    }
}
