//! The creator studio's document: a manifest being edited, the selected hotspot, and undo/redo.
//! Every edit is an [`Edit`] applied here, so the studio's components only render and dispatch.
use crate::hotspot::{Hotspot, Manifest};
use crate::protocol::{Amount, Change, DealStatus, FlashDeal, Millis, Offer, Product};

/// Most steps kept for undo.
pub const UNDO_DEPTH: usize = 200;
/// How long a new hotspot shows, in seconds, unless the video ends sooner.
pub const NEW_HOTSPOT_SECONDS: f64 = 5.0;
/// One keyboard nudge, as a fraction of the picture.
pub const NUDGE: f64 = 0.01;

/// One change a creator makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// A new hotspot at `(x, y)` from time `t`; it becomes the selection.
    Add {
        /// Media time.
        t: f64,
        /// Position on the picture.
        at: (f64, f64),
    },
    /// Moves a hotspot at time `t` (adds or replaces a keyframe).
    Move {
        /// Which.
        id: String,
        /// Media time.
        t: f64,
        /// New position.
        at: (f64, f64),
    },
    /// Nudges every keyframe of a hotspot.
    Nudge {
        /// Which.
        id: String,
        /// Step across.
        dx: f64,
        /// Step down.
        dy: f64,
    },
    /// Sets when a hotspot shows.
    Range {
        /// Which.
        id: String,
        /// First second.
        start: f64,
        /// Last second.
        end: f64,
    },
    /// Attaches a product.
    Product {
        /// Which.
        id: String,
        /// The catalog product.
        product_id: String,
    },
    /// Sets the label and call to action (empty clears).
    Text {
        /// Which.
        id: String,
        /// Label.
        label: String,
        /// Call to action.
        cta: String,
    },
    /// Removes a hotspot.
    Delete(String),
    /// Replaces the whole manifest (import, merge result).
    Replace(Manifest),
}

/// The studio's document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// What is being edited.
    pub manifest: Manifest,
    /// The selected hotspot.
    pub selected: Option<String>,
    undo: Vec<Manifest>,
    redo: Vec<Manifest>,
    /// The hotspot and time of the last move (NaN: a range change): a drag is many edits but
    /// one undo step.
    dragging: Option<(String, f64)>,
}

fn clean(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl Document {
    /// A document over `manifest`.
    pub fn new(manifest: Manifest) -> Document {
        Document {
            manifest,
            selected: None,
            undo: Vec::new(),
            redo: Vec::new(),
            dragging: None,
        }
    }

    /// Whether there is something to undo / redo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The selected hotspot.
    pub fn selection(&self) -> Option<&Hotspot> {
        self.manifest.get(self.selected.as_deref()?)
    }

    fn fresh_id(&self) -> String {
        (1..)
            .map(|n| format!("h{n}"))
            .find(|id| self.manifest.get(id).is_none())
            .unwrap_or_default()
    }

    fn hotspot_mut(&mut self, id: &str) -> Option<&mut Hotspot> {
        self.manifest.hotspots.iter_mut().find(|h| h.id == id)
    }

    /// Applies an edit; returns whether anything changed. Each change can be undone.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let before = self.manifest.clone();
        // Moves of one hotspot at one moment, or range changes of one hotspot, in a row.
        let gesture = match &edit {
            Edit::Move { id, t, .. } => Some((id.clone(), *t)),
            Edit::Range { id, .. } => Some((id.clone(), f64::NAN)),
            _ => None,
        };
        let continues_drag = match (&gesture, &self.dragging) {
            (Some((id, t)), Some((last_id, last_t))) => {
                id == last_id && (t == last_t || (t.is_nan() && last_t.is_nan()))
            }
            _ => false,
        };
        self.dragging = gesture;
        match edit {
            Edit::Add { t, at } => {
                let end = match self.manifest.duration {
                    Some(d) if d > t => (t + NEW_HOTSPOT_SECONDS).min(d),
                    _ => t + NEW_HOTSPOT_SECONDS,
                };
                let id = self.fresh_id();
                self.manifest
                    .hotspots
                    .push(Hotspot::new(&id, "", t.max(0.0), end, at));
                self.selected = Some(id);
            }
            Edit::Move { id, t, at } => match self.hotspot_mut(&id) {
                Some(h) => h.place(t.clamp(h.start, h.end), at),
                None => return false,
            },
            Edit::Nudge { id, dx, dy } => match self.hotspot_mut(&id) {
                Some(h) => h.nudge(dx, dy),
                None => return false,
            },
            Edit::Range { id, start, end } => match self.hotspot_mut(&id) {
                Some(h) => {
                    h.start = start;
                    h.end = end;
                    // Keyframes outside the new range move to its edge.
                    for k in &mut h.keyframes {
                        k.t = k.t.max(start).min(end.max(start));
                    }
                }
                None => return false,
            },
            Edit::Product { id, product_id } => match self.hotspot_mut(&id) {
                Some(h) => h.product_id = product_id,
                None => return false,
            },
            Edit::Text { id, label, cta } => match self.hotspot_mut(&id) {
                Some(h) => {
                    h.label = clean(&label);
                    h.cta = clean(&cta);
                }
                None => return false,
            },
            Edit::Delete(id) => {
                self.manifest.hotspots.retain(|h| h.id != id);
                if self.selected.as_deref() == Some(id.as_str()) {
                    self.selected = None;
                }
            }
            Edit::Replace(manifest) => self.manifest = manifest,
        }
        if self.manifest == before {
            return false;
        }
        self.redo.clear();
        if continues_drag {
            return true;
        }
        self.undo.push(before);
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        true
    }

    /// Steps back one edit.
    pub fn undo(&mut self) -> bool {
        self.dragging = None;
        let Some(previous) = self.undo.pop() else {
            return false;
        };
        self.redo
            .push(std::mem::replace(&mut self.manifest, previous));
        self.keep_selection();
        true
    }

    /// Steps forward again.
    pub fn redo(&mut self) -> bool {
        self.dragging = None;
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(std::mem::replace(&mut self.manifest, next));
        self.keep_selection();
        true
    }

    fn keep_selection(&mut self) {
        if self.selection().is_none() {
            self.selected = None;
        }
    }
}

/// What a keyboard shortcut asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Shortcut {
    /// Ctrl/Cmd+Z.
    Undo,
    /// Shift+Ctrl/Cmd+Z, or Ctrl+Y.
    Redo,
    /// Delete or Backspace.
    Delete,
    /// An arrow: nudge by this much (Shift: ten times).
    Nudge(f64, f64),
}

/// The studio's shortcuts, from a `KeyboardEvent`'s `key` and modifiers.
pub fn shortcut(key: &str, ctrl_or_meta: bool, shift: bool) -> Option<Shortcut> {
    let step = if shift { NUDGE * 10.0 } else { NUDGE };
    match (key, ctrl_or_meta, shift) {
        ("z" | "Z", true, false) => Some(Shortcut::Undo),
        ("z" | "Z", true, true) | ("y" | "Y", true, false) => Some(Shortcut::Redo),
        ("Delete" | "Backspace", false, _) => Some(Shortcut::Delete),
        ("ArrowLeft", false, _) => Some(Shortcut::Nudge(-step, 0.0)),
        ("ArrowRight", false, _) => Some(Shortcut::Nudge(step, 0.0)),
        ("ArrowUp", false, _) => Some(Shortcut::Nudge(0.0, -step)),
        ("ArrowDown", false, _) => Some(Shortcut::Nudge(0.0, step)),
        _ => None,
    }
}

/// `m:ss.f` for the studio's clock.
pub fn clock(seconds: f64) -> String {
    let tenths = (seconds.max(0.0) * 10.0).round() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

/// [`clock`] in the locale's `digits`, kept left to right inside right-to-left text (so that
/// "1:05.3" does not read as "5.3:1").
pub fn local_clock(seconds: f64, digits: crate::i18n::Digits) -> String {
    crate::i18n::ltr_isolate(&digits.apply(&clock(seconds)))
}

/// What the studio learnt when it asked for a video's saved manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// 200 with a manifest that could be read.
    Found,
    /// 204 (404 from a 1.0 backend): nothing saved for this video yet, so the studio starts
    /// empty.
    Nothing,
    /// No answer, one that says nothing of the video (a server error), or a manifest that could
    /// not be read: the studio must not present the video as new.
    Unknown,
}

impl Saved {
    /// From the answer's status (`None` when no answer came) and whether its body read as a
    /// manifest.
    pub fn of(status: Option<u16>, readable: bool) -> Saved {
        match status {
            Some(200) if readable => Saved::Found,
            Some(204 | 404) => Saved::Nothing,
            _ => Saved::Unknown,
        }
    }
}

/// What the studio keeps in the browser between reloads: the edit, the saved version it was
/// based on (for merging) with its ETag, and whether a save is waiting for the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// The manifest being edited.
    pub manifest: Manifest,
    /// The saved version the edit started from.
    pub base: Option<Manifest>,
    /// That version's ETag.
    pub etag: Option<String>,
    /// A save is queued until the network is back.
    pub queued: bool,
}

impl Draft {
    /// As stored.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"manifest":{},"base":{},"etag":{},"queued":{}}}"#,
            self.manifest.to_json(),
            self.base.as_ref().map_or("null".into(), Manifest::to_json),
            self.etag
                .as_deref()
                .map_or("null".into(), crate::json::quote),
            self.queued
        )
    }
}

/// Shortest time range a hotspot can be given on the timeline, in seconds.
pub const MIN_RANGE: f64 = 0.1;

/// `hotspot`'s range with its start (or end) moved to `at`: kept inside the video (when its
/// `duration` is known) and at least [`MIN_RANGE`] long. For dragging a handle on the timeline
/// and for moving it with the arrow keys.
pub fn moved_range(
    hotspot: &Hotspot,
    is_start: bool,
    at: f64,
    duration: Option<f64>,
) -> (f64, f64) {
    let at = if at.is_finite() {
        at
    } else if is_start {
        hotspot.start
    } else {
        hotspot.end
    };
    if is_start {
        (at.min(hotspot.end - MIN_RANGE).max(0.0), hotspot.end)
    } else {
        let end = at.max(hotspot.start + MIN_RANGE);
        (
            hotspot.start,
            duration.map_or(end, |d| end.min(d.max(hotspot.start + MIN_RANGE))),
        )
    }
}

/// Why a flash deal cannot be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DealProblem {
    /// The product has no offer to discount.
    NoOffer,
    /// The price is not a positive amount below the current one.
    Price,
    /// The duration is not between 10 seconds and 24 hours.
    Duration,
}

/// The producer's flash deal on `product`: `price` from `now` (server time) for `seconds`,
/// at most `stock_limit` sold. The product's current price becomes the struck one.
pub fn flash_deal(
    product: &Product,
    price: f64,
    seconds: u32,
    stock_limit: Option<u32>,
    now: Millis,
) -> Result<Change, DealProblem> {
    let current = product.offer().ok_or(DealProblem::NoOffer)?;
    let was = current.original_price.unwrap_or(current.price);
    if !(price.is_finite() && price > 0.0 && price < current.price.get().max(was.get())) {
        return Err(DealProblem::Price);
    }
    if !(10..=86_400).contains(&seconds) {
        return Err(DealProblem::Duration);
    }
    let price = Amount::new(price).ok_or(DealProblem::Price)?;
    Ok(Change::FlashDealScheduled {
        deal: FlashDeal {
            id: format!("studio-{}-{now}", product.id),
            product_id: product.id.clone(),
            offer: Offer {
                price,
                original_price: Some(was),
                inventory_level: stock_limit.or(current.inventory_level),
                ..current.clone()
            },
            starts_at: now,
            ends_at: now + i64::from(seconds) * 1000,
            status: DealStatus::Scheduled,
            end_reason: None,
            stock_limit,
            limit_per_shopper: None,
        },
    })
}

/// A change as the `POST /v1/streams/{id}/changes` body.
pub fn change_json(change: &Change) -> String {
    serde_json::to_string(change).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_undo_and_redo_in_order() {
        let mut m = Manifest::new("v");
        m.duration = Some(12.0);
        let mut doc = Document::new(m);
        assert!(doc.apply(Edit::Add {
            t: 9.0,
            at: (0.3, 0.4)
        }));
        let id = doc.selected.clone().unwrap();
        assert_eq!(id, "h1");
        assert_eq!(doc.selection().unwrap().end, 12.0, "clamped to the video");
        doc.apply(Edit::Product {
            id: id.clone(),
            product_id: "p01".into(),
        });
        doc.apply(Edit::Move {
            id: id.clone(),
            t: 11.0,
            at: (0.8, 0.4),
        });
        assert_eq!(doc.selection().unwrap().keyframes.len(), 2);
        // A drag is many moves at one moment, and one undo step (a new gesture starts after
        // any other action).
        doc.undo();
        doc.redo();
        for x in [0.5, 0.6, 0.7] {
            doc.apply(Edit::Move {
                id: id.clone(),
                t: 11.0,
                at: (x, 0.4),
            });
        }
        doc.undo();
        assert_eq!(doc.selection().unwrap().keyframes[1].x, 0.8);
        doc.redo();
        assert_eq!(doc.selection().unwrap().keyframes[1].x, 0.7);
        doc.undo();
        // Moving to the same place changes nothing and adds no undo step.
        assert!(!doc.apply(Edit::Move {
            id: id.clone(),
            t: 11.0,
            at: (0.8, 0.4)
        }));
        assert!(doc.undo());
        assert_eq!(doc.selection().unwrap().keyframes.len(), 1);
        assert!(doc.redo());
        assert_eq!(doc.selection().unwrap().keyframes.len(), 2);
        doc.undo();
        doc.undo();
        assert_eq!(doc.selection().unwrap().product_id, "");
        // A new edit after undo drops the redo branch.
        doc.apply(Edit::Text {
            id: id.clone(),
            label: " Jacket ".into(),
            cta: "".into(),
        });
        assert!(!doc.can_redo());
        assert_eq!(doc.selection().unwrap().label.as_deref(), Some("Jacket"));
        doc.apply(Edit::Delete(id.clone()));
        assert_eq!(doc.selected, None);
        doc.undo();
        assert!(doc.manifest.get(&id).is_some());
        doc.apply(Edit::Add {
            t: 0.0,
            at: (0.5, 0.5),
        });
        assert_eq!(doc.selected.as_deref(), Some("h2"));
    }

    #[test]
    fn dragging_a_range_handle_is_one_undo_step() {
        let mut doc = Document::new(Manifest::new("v"));
        doc.apply(Edit::Add {
            t: 1.0,
            at: (0.1, 0.1),
        });
        for end in [3.0, 4.0, 5.0] {
            doc.apply(Edit::Range {
                id: "h1".into(),
                start: 1.0,
                end,
            });
        }
        assert_eq!(doc.selection().unwrap().end, 5.0);
        doc.undo();
        // Back to the new hotspot's own range.
        assert_eq!(doc.selection().unwrap().end, 1.0 + NEW_HOTSPOT_SECONDS);
    }

    #[test]
    fn a_draft_round_trips_and_a_damaged_one_is_ignored() {
        let mut manifest = Manifest::new("v\"1");
        manifest
            .hotspots
            .push(Hotspot::new("h1", "p01", 1.0, 2.0, (0.5, 0.5)));
        for draft in [
            Draft {
                manifest: manifest.clone(),
                base: Some(Manifest::new("v\"1")),
                etag: Some("\"v3\"".into()),
                queued: true,
            },
            Draft {
                manifest,
                base: None,
                etag: None,
                queued: false,
            },
        ] {
            let back: Draft = crate::json::decode(draft.to_json().as_bytes()).unwrap();
            assert_eq!(back, draft);
        }
        assert!(crate::json::decode::<Draft>(br#"{"manifest":{"hotspots":3}}"#).is_err());
    }

    #[test]
    fn range_handles_stay_in_the_video_and_never_cross() {
        let h = Hotspot::new("h", "p", 2.0, 6.0, (0.5, 0.5));
        assert_eq!(moved_range(&h, true, 3.0, Some(10.0)), (3.0, 6.0));
        assert_eq!(moved_range(&h, true, -4.0, Some(10.0)), (0.0, 6.0));
        let (start, end) = moved_range(&h, true, 9.0, Some(10.0));
        assert!((start - 5.9).abs() < 1e-9 && end == 6.0);
        assert_eq!(moved_range(&h, false, 12.0, Some(10.0)), (2.0, 10.0));
        assert_eq!(moved_range(&h, false, 12.0, None), (2.0, 12.0));
        let (_, end) = moved_range(&h, false, 1.0, Some(10.0));
        assert!((end - 2.1).abs() < 1e-9);
        assert_eq!(moved_range(&h, false, f64::NAN, Some(10.0)), (2.0, 6.0));
    }

    #[test]
    fn a_new_range_keeps_keyframes_inside_it() {
        let mut doc = Document::new(Manifest::new("v"));
        doc.apply(Edit::Add {
            t: 1.0,
            at: (0.1, 0.1),
        });
        doc.apply(Edit::Move {
            id: "h1".into(),
            t: 5.0,
            at: (0.9, 0.9),
        });
        doc.apply(Edit::Range {
            id: "h1".into(),
            start: 2.0,
            end: 4.0,
        });
        let h = doc.selection().unwrap();
        assert!(h.keyframes.iter().all(|k| k.t >= 2.0 && k.t <= 4.0));
        assert!(doc
            .manifest
            .validate(&|_| true)
            .iter()
            .all(|p| p.code() == "no_product"));
    }

    #[test]
    fn a_flash_deal_strikes_the_current_price_and_runs_from_server_time() {
        let value = serde_json::json!({"id": "p01", "title": "Jacket",
            "offers": [{"price": 129, "priceCurrency": "EUR", "inventoryLevel": 40}]});
        let product: Product = crate::json::decode_value(&value).unwrap();
        let change = flash_deal(&product, 99.0, 60, Some(20), 1_000_000).unwrap();
        let json: serde_json::Value = serde_json::to_value(&change).unwrap();
        assert_eq!(json["type"], "flashDealScheduled");
        assert_eq!(json["deal"]["startsAt"], 1_000_000);
        assert_eq!(json["deal"]["endsAt"], 1_060_000);
        assert_eq!(json["deal"]["stockLimit"], 20);
        assert_eq!(json["deal"]["offer"]["price"], 99.0);
        assert_eq!(json["deal"]["offer"]["originalPrice"], 129.0);
        assert_eq!(
            flash_deal(&product, 130.0, 60, None, 0),
            Err(DealProblem::Price)
        );
        assert_eq!(
            flash_deal(&product, 50.0, 5, None, 0),
            Err(DealProblem::Duration)
        );
    }

    #[test]
    fn shortcuts_and_the_clock() {
        assert_eq!(shortcut("z", true, false), Some(Shortcut::Undo));
        assert_eq!(shortcut("Z", true, true), Some(Shortcut::Redo));
        assert_eq!(shortcut("Delete", false, false), Some(Shortcut::Delete));
        assert_eq!(
            shortcut("ArrowLeft", false, true),
            Some(Shortcut::Nudge(-0.1, 0.0))
        );
        assert_eq!(shortcut("a", false, false), None);
        assert_eq!(clock(75.25), "1:15.3");
        assert_eq!(clock(-1.0), "0:00.0");
        use crate::i18n::Digits;
        assert_eq!(local_clock(75.25, Digits::Latin), "\u{2066}1:15.3\u{2069}");
        assert_eq!(
            local_clock(75.25, Digits::ArabicExtended),
            "\u{2066}۱:۱۵.۳\u{2069}"
        );
        assert_eq!(local_clock(5.0, Digits::Arabic), "\u{2066}٠:٠٥.٠\u{2069}");
    }

    #[test]
    fn only_no_content_or_a_404_means_nothing_was_saved() {
        assert_eq!(Saved::of(Some(200), true), Saved::Found);
        // A 200 whose body is not a manifest says nothing of what was saved.
        assert_eq!(Saved::of(Some(200), false), Saved::Unknown);
        assert_eq!(Saved::of(Some(204), false), Saved::Nothing);
        assert_eq!(Saved::of(Some(404), false), Saved::Nothing);
        for status in [None, Some(0), Some(401), Some(500), Some(503), Some(304)] {
            assert_eq!(Saved::of(status, true), Saved::Unknown, "{status:?}");
        }
    }
}
