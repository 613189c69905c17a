//! `schemas/overlay-manifest.v1.json` describes exactly what the code writes: the same
//! properties, the same required ones, and the limits the validator enforces.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use live_shop_core::hotspot::{Hotspot, Manifest, MAX_HOTSPOTS, MAX_KEYFRAMES, MAX_LABEL};
use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(include_str!("../../../schemas/overlay-manifest.v1.json")).unwrap()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn listed(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_schema_has_the_fields_the_code_writes() {
    let schema = schema();
    let mut full = Manifest::new("v");
    full.duration = Some(10.0);
    let mut h = Hotspot::new("h", "p", 0.0, 1.0, (0.5, 0.5));
    h.label = Some("l".into());
    h.cta = Some("c".into());
    full.hotspots.push(h);
    let written: Value = serde_json::from_str(&full.to_json()).unwrap();
    let minimal: Value = serde_json::from_str(
        &Manifest {
            hotspots: vec![Hotspot::new("h", "p", 0.0, 1.0, (0.5, 0.5))],
            ..Manifest::new("v")
        }
        .to_json(),
    )
    .unwrap();

    let levels = [
        (&schema, &written, &minimal),
        (
            &schema["$defs"]["hotspot"],
            &written["hotspots"][0],
            &minimal["hotspots"][0],
        ),
        (
            &schema["$defs"]["keyframe"],
            &written["hotspots"][0]["keyframes"][0],
            &minimal["hotspots"][0]["keyframes"][0],
        ),
    ];
    for (part, all_fields, always) in levels {
        assert_eq!(keys(&part["properties"]), keys(all_fields));
        assert_eq!(listed(&part["required"]), keys(always));
    }
    assert_eq!(schema["properties"]["version"]["const"], 1);
    assert_eq!(schema["properties"]["hotspots"]["maxItems"], MAX_HOTSPOTS);
    let hotspot = &schema["$defs"]["hotspot"]["properties"];
    assert_eq!(hotspot["keyframes"]["maxItems"], MAX_KEYFRAMES);
    assert_eq!(hotspot["label"]["maxLength"], MAX_LABEL);
    assert_eq!(hotspot["cta"]["maxLength"], MAX_LABEL);
}
