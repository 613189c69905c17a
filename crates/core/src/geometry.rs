//! Where the picture of a `<video>` actually is inside its element box, for every `object-fit`,
//! so the overlay covers the picture and not the black bars.

use crate::view::SHORT_ROOM;

/// A rectangle in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// A rectangle.
    pub fn new(x: f64, y: f64, width: f64, height: f64) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// `left:…px;top:…px;width:…px;height:…px;right:auto;bottom:auto`, for an absolutely
    /// positioned layer. `right` and `bottom` are freed because layers that fill the player
    /// when there is no box have `inset: 0`: with all of left, right and width set, a browser
    /// drops `left` in a right-to-left container and puts the layer at its right edge.
    pub fn css_box(self) -> String {
        format!(
            "left:{}px;top:{}px;width:{}px;height:{}px;right:auto;bottom:auto",
            css_number(self.x),
            css_number(self.y),
            css_number(self.width),
            css_number(self.height)
        )
    }

    /// The overlap of two rectangles; zero-sized when they do not overlap.
    pub fn intersect(self, other: Rect) -> Rect {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = (self.x + self.width).min(other.x + other.width);
        let bottom = (self.y + self.height).min(other.y + other.height);
        Rect::new(x, y, (right - x).max(0.0), (bottom - y).max(0.0))
    }
}

/// CSS `object-fit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ObjectFit {
    /// Letterboxed: the whole picture, scaled to fit (the default for `<video>`).
    #[default]
    Contain,
    /// Cropped: fills the box, scaled to cover.
    Cover,
    /// Stretched to the box.
    Fill,
    /// Natural size.
    None,
    /// `none` or `contain`, whichever is smaller.
    ScaleDown,
}

impl ObjectFit {
    /// Parses the computed style value; unknown values are `contain`, as browsers treat videos.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "cover" => Self::Cover,
            "fill" => Self::Fill,
            "none" => Self::None,
            "scale-down" => Self::ScaleDown,
            _ => Self::Contain,
        }
    }
}

/// The rectangle the picture is drawn in, relative to the element's content box at (0, 0)
/// of `box_width × box_height`. With `cover` or `none` it may extend beyond the box; see
/// [`visible_picture`]. Returns the whole box when the video size is not known yet.
pub fn picture_rect(
    box_width: f64,
    box_height: f64,
    video_width: f64,
    video_height: f64,
    fit: ObjectFit,
) -> Rect {
    let whole = Rect::new(0.0, 0.0, box_width.max(0.0), box_height.max(0.0));
    let valid = |v: f64| v.is_finite() && v > 0.0;
    if !(valid(box_width) && valid(box_height) && valid(video_width) && valid(video_height)) {
        return whole;
    }
    let contain = (box_width / video_width).min(box_height / video_height);
    let scale = match fit {
        ObjectFit::Fill => return whole,
        ObjectFit::Contain => contain,
        ObjectFit::Cover => (box_width / video_width).max(box_height / video_height),
        ObjectFit::None => 1.0,
        ObjectFit::ScaleDown => contain.min(1.0),
    };
    let (width, height) = (video_width * scale, video_height * scale);
    // `object-position` defaults to 50% 50%.
    Rect::new(
        (box_width - width) / 2.0,
        (box_height - height) / 2.0,
        width,
        height,
    )
}

/// The part of the picture that is visible in the element.
pub fn visible_picture(
    box_width: f64,
    box_height: f64,
    video_width: f64,
    video_height: f64,
    fit: ObjectFit,
) -> Rect {
    let picture = picture_rect(box_width, box_height, video_width, video_height, fit);
    picture.intersect(Rect::new(0.0, 0.0, box_width.max(0.0), box_height.max(0.0)))
}

/// Where a video element is on screen and how it draws, as the browser reports it.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct VideoLayout {
    /// `getBoundingClientRect()` of the video element (border box).
    pub border_box: Rect,
    /// Border plus padding on the left, top, right and bottom.
    pub insets: [f64; 4],
    /// `videoWidth` and `videoHeight`; zero before metadata loads.
    pub intrinsic: (f64, f64),
    /// Computed `object-fit`.
    pub fit: ObjectFit,
    /// Whether the element shows the browser's own controls (its `controls` attribute).
    pub controls: bool,
}

/// How far up from the bottom of a video element the browser's own controls reach: Chromium's
/// buttons and timeline take 64 px; Firefox's and Safari's take less.
pub const NATIVE_CONTROLS: f64 = 64.0;

/// A border-plus-padding width as the browser reported it, never negative or NaN.
fn inset(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

/// The overlay's box relative to `origin` (the top-left of the element the overlay is
/// positioned in): the visible picture of the video.
pub fn overlay_box(video: &VideoLayout, origin: (f64, f64)) -> Rect {
    picture_boxes(video, origin).1
}

/// The whole picture (beyond the element where `object-fit` crops it) and its visible part,
/// relative to `origin`.
fn picture_boxes(video: &VideoLayout, origin: (f64, f64)) -> (Rect, Rect) {
    let [left, top, right, bottom] = video.insets.map(inset);
    let content = Rect::new(
        video.border_box.x + left,
        video.border_box.y + top,
        (video.border_box.width - left - right).max(0.0),
        (video.border_box.height - top - bottom).max(0.0),
    );
    let (width, height, intrinsic) = (content.width, content.height, video.intrinsic);
    let frame = picture_rect(width, height, intrinsic.0, intrinsic.1, video.fit);
    let visible = frame.intersect(Rect::new(0.0, 0.0, width, height));
    let place = |r: Rect| {
        Rect::new(
            content.x + r.x - origin.0,
            content.y + r.y - origin.1,
            r.width,
            r.height,
        )
    };
    (place(frame), place(visible))
}

/// How a video's whole frame lies over its visible picture. Hotspots are saved as fractions
/// of the whole frame, and the layers that draw them cover the visible picture: with
/// `object-fit: cover` the two differ, and a point of the frame may be cut away.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crop {
    frame: Rect,
    visible: Rect,
}

impl Default for Crop {
    /// Nothing cut away: the frame is the visible picture.
    fn default() -> Self {
        let unit = Rect::new(0.0, 0.0, 1.0, 1.0);
        Self {
            frame: unit,
            visible: unit,
        }
    }
}

/// How far outside the visible picture, in fractions of it, a point still counts as on it.
const ON_EDGE: f64 = 1e-6;

impl Crop {
    /// The crop of `frame` to `visible`, both in the same coordinates. Nothing is cut away
    /// while either has no area yet.
    pub fn new(frame: Rect, visible: Rect) -> Self {
        let sized = |r: Rect| r.width > 0.0 && r.height > 0.0;
        if sized(frame) && sized(visible) {
            Self { frame, visible }
        } else {
            Self::default()
        }
    }

    /// A point of the frame (fractions of its width and height) as fractions of the visible
    /// picture; `None` where the crop cut it away.
    pub fn to_visible(self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
        let (f, v) = (self.frame, self.visible);
        let vx = (f.x + x * f.width - v.x) / v.width;
        let vy = (f.y + y * f.height - v.y) / v.height;
        let on = |t: f64| (-ON_EDGE..=1.0 + ON_EDGE).contains(&t);
        (on(vx) && on(vy)).then(|| (vx.clamp(0.0, 1.0), vy.clamp(0.0, 1.0)))
    }

    /// A point of the visible picture (fractions of it) as fractions of the whole frame:
    /// where a click on the picture puts a hotspot. A point beyond the visible picture (a drag
    /// past its edge) is taken at the edge, so a dragged hotspot stays in sight.
    pub fn to_frame(self, (x, y): (f64, f64)) -> (f64, f64) {
        let (f, v) = (self.frame, self.visible);
        let unit = |t: f64| {
            if t.is_finite() {
                t.clamp(0.0, 1.0)
            } else {
                0.5
            }
        };
        let (x, y) = (unit(x), unit(y));
        (
            (v.x + x * v.width - f.x) / f.width,
            (v.y + y * v.height - f.y) / f.height,
        )
    }
}

/// Where a video sits, relative to the element the overlay is positioned in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoBoxes {
    /// The visible picture ([`overlay_box`]): the overlay's stage.
    pub picture: Rect,
    /// The whole picture: the visible one, or more where `object-fit: cover` or `none` crops it
    /// (then it reaches beyond the element).
    pub frame: Rect,
    /// The whole video element, letterbox included: the room for panels such as visual search.
    pub player: Rect,
    /// The picture less the strip the browser's own controls cover, when the video shows them:
    /// the room for the overlay's cards and buttons, which would otherwise sit on the play
    /// button and the timeline. Where that would leave less than [`SHORT_ROOM`] (a phone held
    /// upright), both cannot fit, and the stage is the whole picture, over the controls.
    pub stage: Rect,
}

/// The picture, the player box and the stage of `video`, relative to `origin`.
pub fn video_boxes(video: &VideoLayout, origin: (f64, f64)) -> VideoBoxes {
    let b = video.border_box;
    let (frame, picture) = picture_boxes(video, origin);
    let controls_top = b.y + b.height - inset(video.insets[3]) - NATIVE_CONTROLS - origin.1;
    let covered = if video.controls {
        (picture.y + picture.height - controls_top).clamp(0.0, picture.height)
    } else {
        0.0
    };
    let covered = if picture.height - covered >= SHORT_ROOM {
        covered
    } else {
        0.0
    };
    VideoBoxes {
        picture,
        frame,
        player: Rect::new(b.x - origin.0, b.y - origin.1, b.width, b.height),
        stage: Rect::new(
            picture.x,
            picture.y,
            picture.width,
            picture.height - covered,
        ),
    }
}

/// Half the height of a replay hotspot's button (its dot, label and ring), in CSS pixels.
pub const HOTSPOT_HALF_HEIGHT: f64 = 16.0;

impl VideoBoxes {
    /// How the whole picture lies over the visible one.
    pub fn crop(&self) -> Crop {
        Crop::new(self.frame, self.picture)
    }

    /// The lowest a replay hotspot's centre may sit, as a fraction of the picture's height:
    /// the bottom, unless the browser's own controls cover a strip of the picture. A hotspot
    /// placed there would sit on the timeline and take its clicks, so it is drawn just above
    /// the strip instead (1.0 when nothing covers the picture).
    pub fn lowest_hotspot(&self) -> f64 {
        let (picture, stage) = (self.picture.height, self.stage.height);
        if !(picture > 0.0 && stage < picture) {
            return 1.0;
        }
        ((stage - HOTSPOT_HALF_HEIGHT) / picture).clamp(0.0, 1.0)
    }
}

/// A CSS number with one decimal (`-12.5`, `300`), by integer arithmetic: the widget's wasm
/// carries no float formatting for its styles.
pub fn css_number(value: f64) -> String {
    if !value.is_finite() {
        return "0".into();
    }
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    match tenth {
        0 => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{tenth}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_box_skips_border_padding_and_letterbox() {
        let video = VideoLayout {
            border_box: Rect::new(100.0, 50.0, 420.0, 420.0),
            insets: [10.0, 10.0, 10.0, 10.0],
            intrinsic: (1280.0, 720.0),
            fit: ObjectFit::Contain,
            controls: false,
        };
        // Content box 400×400 at (110, 60); picture 400×225 centred vertically.
        let r = overlay_box(&video, (100.0, 50.0));
        assert_eq!(r, Rect::new(10.0, 97.5, 400.0, 225.0));
    }

    #[test]
    fn overlay_box_in_fullscreen_pillarbox() {
        let video = VideoLayout {
            border_box: Rect::new(0.0, 0.0, 2560.0, 1080.0),
            insets: [0.0; 4],
            intrinsic: (1920.0, 1080.0),
            fit: ObjectFit::Contain,
            controls: false,
        };
        assert_eq!(
            overlay_box(&video, (0.0, 0.0)),
            Rect::new(320.0, 0.0, 1920.0, 1080.0)
        );
    }

    #[test]
    fn letterboxes_a_wide_video_in_a_square_box() {
        let r = visible_picture(400.0, 400.0, 1920.0, 1080.0, ObjectFit::Contain);
        assert_eq!(r, Rect::new(0.0, 87.5, 400.0, 225.0));
    }

    #[test]
    fn pillarboxes_a_tall_video_in_a_wide_box() {
        let r = visible_picture(1600.0, 900.0, 1080.0, 1920.0, ObjectFit::Contain);
        assert!((r.width - 506.25).abs() < 1e-9);
        assert!((r.x - 546.875).abs() < 1e-9);
        assert_eq!((r.y, r.height), (0.0, 900.0));
    }

    #[test]
    fn exact_fit_fills_the_box() {
        let r = visible_picture(1280.0, 720.0, 1920.0, 1080.0, ObjectFit::Contain);
        assert_eq!(r, Rect::new(0.0, 0.0, 1280.0, 720.0));
    }

    #[test]
    fn cover_is_clipped_to_the_box() {
        let picture = picture_rect(400.0, 400.0, 1920.0, 1080.0, ObjectFit::Cover);
        assert!(picture.width > 400.0);
        let visible = visible_picture(400.0, 400.0, 1920.0, 1080.0, ObjectFit::Cover);
        assert_eq!(visible, Rect::new(0.0, 0.0, 400.0, 400.0));
    }

    #[test]
    fn scale_down_never_enlarges() {
        let r = visible_picture(1000.0, 1000.0, 320.0, 180.0, ObjectFit::ScaleDown);
        assert_eq!(r, Rect::new(340.0, 410.0, 320.0, 180.0));
    }

    #[test]
    fn unknown_video_size_covers_the_box() {
        let r = visible_picture(640.0, 360.0, 0.0, f64::NAN, ObjectFit::Contain);
        assert_eq!(r, Rect::new(0.0, 0.0, 640.0, 360.0));
    }

    #[test]
    fn the_player_box_keeps_the_letterbox_the_picture_leaves_out() {
        // A 16:9 video element 400 px tall showing a 4:3 picture, 30 px into the host.
        let video = VideoLayout {
            border_box: Rect::new(130.0, 80.0, 711.0, 400.0),
            insets: [0.0; 4],
            intrinsic: (640.0, 480.0),
            fit: ObjectFit::Contain,
            controls: false,
        };
        let boxes = video_boxes(&video, (100.0, 50.0));
        assert_eq!(boxes.player, Rect::new(30.0, 30.0, 711.0, 400.0));
        assert_eq!(boxes.picture, overlay_box(&video, (100.0, 50.0)));
        assert!(boxes.picture.width < boxes.player.width);
        assert_eq!(boxes.picture.height, boxes.player.height);
    }

    #[test]
    fn the_stage_leaves_the_browsers_controls_free() {
        let video = |height: f64, controls: bool| VideoLayout {
            border_box: Rect::new(10.0, 20.0, 640.0, height),
            insets: [0.0, 0.0, 0.0, 2.0],
            intrinsic: (1920.0, 1080.0),
            fit: ObjectFit::Contain,
            controls,
        };
        let stage = |height, controls| video_boxes(&video(height, controls), (10.0, 20.0)).stage;
        // The picture fills the element: the controls' 64 px come off its bottom, above the
        // padding.
        assert_eq!(stage(362.0, true), Rect::new(0.0, 0.0, 640.0, 296.0));
        assert_eq!(stage(362.0, false), Rect::new(0.0, 0.0, 640.0, 360.0));
        // Letterboxed: the bar under the picture (59 px) takes most of the controls.
        assert_eq!(stage(480.0, true), Rect::new(0.0, 59.0, 640.0, 355.0));
        // A bar taller than the controls leaves the picture whole.
        assert_eq!(stage(600.0, true), Rect::new(0.0, 119.0, 640.0, 360.0));
        // A picture that would keep less than the short layout needs (a phone held upright:
        // 219 px) keeps all of it, over the controls; one that keeps just enough gives way.
        let phone = |height: f64| VideoLayout {
            border_box: Rect::new(0.0, 0.0, 390.0, height),
            insets: [0.0; 4],
            intrinsic: (390.0, height),
            ..video(0.0, true)
        };
        let on_phone = |height| video_boxes(&phone(height), (0.0, 0.0));
        assert_eq!(on_phone(219.0).stage, on_phone(219.0).picture);
        assert_eq!(on_phone(282.0).stage.height, 282.0);
        assert_eq!(on_phone(283.0).stage.height, 219.0);
    }

    #[test]
    fn hotspots_keep_clear_of_the_browsers_controls() {
        let video = |height: f64, controls: bool| VideoLayout {
            border_box: Rect::new(0.0, 0.0, 640.0, height),
            insets: [0.0; 4],
            intrinsic: (1920.0, 1080.0),
            fit: ObjectFit::Contain,
            controls,
        };
        let lowest =
            |height, controls| video_boxes(&video(height, controls), (0.0, 0.0)).lowest_hotspot();
        // 360 px of picture, the controls' 64 px over its bottom: a hotspot's centre stays 16 px
        // above them, at (296 - 16) / 360 of the height.
        assert!((lowest(360.0, true) - 280.0 / 360.0).abs() < 1e-9);
        // Without controls, or with a bar under the picture that takes them, anywhere.
        assert_eq!(lowest(360.0, false), 1.0);
        assert_eq!(lowest(600.0, true), 1.0);
        // A phone's short picture keeps the whole height: the controls are over it anyway.
        let phone = VideoLayout {
            border_box: Rect::new(0.0, 0.0, 342.0, 192.0),
            ..video(0.0, true)
        };
        assert_eq!(video_boxes(&phone, (0.0, 0.0)).lowest_hotspot(), 1.0);
        // Before the video has a size, nothing to keep clear of.
        let no_size = VideoBoxes {
            picture: Rect::new(0.0, 0.0, 0.0, 0.0),
            frame: Rect::new(0.0, 0.0, 0.0, 0.0),
            player: Rect::new(0.0, 0.0, 0.0, 0.0),
            stage: Rect::new(0.0, 0.0, 0.0, 0.0),
        };
        assert_eq!(no_size.lowest_hotspot(), 1.0);
    }

    #[test]
    fn hotspots_sit_on_the_whole_picture_where_cover_crops_it() {
        // A 16:9 video in a 640 × 640 player with `object-fit: cover`: the picture is
        // 1137.8 × 640, from x = -248.9 px, and the player shows its middle.
        let video = VideoLayout {
            border_box: Rect::new(100.0, 50.0, 640.0, 640.0),
            insets: [0.0; 4],
            intrinsic: (1280.0, 720.0),
            fit: ObjectFit::Cover,
            controls: false,
        };
        let boxes = video_boxes(&video, (100.0, 50.0));
        assert_eq!(boxes.picture, Rect::new(0.0, 0.0, 640.0, 640.0));
        let frame = boxes.frame;
        assert!((frame.x + 248.89).abs() < 1e-2 && (frame.width - 1137.78).abs() < 1e-2);
        let crop = boxes.crop();
        // (0.30, 0.35) of the picture is 92.4 px from the player's left edge, not 30 %.
        let (x, y) = crop.to_visible((0.30, 0.35)).unwrap();
        assert!((x * 640.0 - 92.444).abs() < 1e-2, "{x}");
        assert!((y - 0.35).abs() < 1e-9);
        // The picture's edges are cut away; the middle and the crop's own edges are not.
        assert_eq!(crop.to_visible((0.1, 0.5)), None);
        assert_eq!(crop.to_visible((0.9, 0.5)), None);
        assert_eq!(crop.to_visible((0.5, 0.5)), Some((0.5, 0.5)));
        let left_edge = -frame.x / frame.width;
        assert!(crop.to_visible((left_edge, 0.0)).is_some());
        // A click on the player lands back on the point it shows.
        let back = crop.to_frame((x, y));
        assert!((back.0 - 0.30).abs() < 1e-9 && (back.1 - 0.35).abs() < 1e-9);
        assert!((crop.to_frame((0.0, 1.0)).0 - left_edge).abs() < 1e-6);
        // A drag past the player's edge stops at the edge of what it shows.
        assert_eq!(crop.to_frame((-0.4, 1.7)), crop.to_frame((0.0, 1.0)));
        assert!(crop.to_visible(crop.to_frame((1.3, 0.5))).is_some());
    }

    #[test]
    fn letterboxed_and_unsized_pictures_are_not_cropped() {
        let video = VideoLayout {
            border_box: Rect::new(0.0, 0.0, 640.0, 640.0),
            insets: [0.0; 4],
            intrinsic: (1280.0, 720.0),
            fit: ObjectFit::Contain,
            controls: false,
        };
        let boxes = video_boxes(&video, (0.0, 0.0));
        assert_eq!(boxes.frame, boxes.picture);
        let crop = boxes.crop();
        for point in [(0.0, 0.0), (0.3, 0.35), (1.0, 1.0)] {
            let shown = crop.to_visible(point).unwrap();
            assert!((shown.0 - point.0).abs() < 1e-9 && (shown.1 - point.1).abs() < 1e-9);
        }
        // With `none` a small video sits in the middle, whole; a big one is cropped.
        let small = VideoLayout {
            fit: ObjectFit::None,
            intrinsic: (320.0, 180.0),
            ..video
        };
        assert_eq!(
            video_boxes(&small, (0.0, 0.0))
                .crop()
                .to_visible((0.0, 0.0)),
            Some((0.0, 0.0))
        );
        let big = VideoLayout {
            fit: ObjectFit::None,
            intrinsic: (1280.0, 720.0),
            ..video
        };
        assert_eq!(
            video_boxes(&big, (0.0, 0.0)).crop().to_visible((0.1, 0.5)),
            None
        );
        // A player with no area yet crops nothing.
        let hidden = VideoLayout {
            border_box: Rect::default(),
            ..video
        };
        assert_eq!(video_boxes(&hidden, (0.0, 0.0)).crop(), Crop::default());
        assert_eq!(Crop::default().to_frame((0.25, 0.75)), (0.25, 0.75));
    }

    #[test]
    fn a_box_as_css() {
        assert_eq!(
            Rect::new(10.0, -2.25, 320.04, 180.0).css_box(),
            "left:10px;top:-2.3px;width:320px;height:180px;right:auto;bottom:auto"
        );
    }

    #[test]
    fn css_numbers() {
        assert_eq!(css_number(12.34), "12.3");
        assert_eq!(css_number(-0.06), "-0.1");
        assert_eq!(css_number(-0.04), "0");
        assert_eq!(css_number(300.0), "300");
        assert_eq!(css_number(87.5), "87.5");
        assert_eq!(css_number(f64::NAN), "0");
    }

    #[test]
    fn parses_object_fit() {
        assert_eq!(ObjectFit::parse("cover"), ObjectFit::Cover);
        assert_eq!(ObjectFit::parse("bogus"), ObjectFit::Contain);
    }
}
