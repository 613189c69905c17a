//! The image pipeline on images made here, one property per test: limits before allocation,
//! every EXIF orientation applied once, alpha onto white, 16-bit and grey to 8-bit RGB, first
//! GIF frame, WebP, crop boxes, profiles and byte caps, metadata stripped, perceptual hashes.
#![cfg(feature = "prep")]
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    DynamicImage, ExtendedColorType, Frame, GenericImageView, ImageBuffer, ImageEncoder, Luma, Rgb,
    RgbImage, Rgba, RgbaImage,
};
use live_shop_core::i18n::Lang;
use live_shop_core::prep::{
    decode, decode_scaled, flatten, hash_distance, into_rgb, prepare, prepare_image, CropBox,
    DecodePath, PrepError, PrepLimits, Prepared, Profile,
};

const RED: [u8; 3] = [220, 20, 20];
const GREEN: [u8; 3] = [20, 200, 20];
const BLUE: [u8; 3] = [20, 20, 220];
const WHITE: [u8; 3] = [250, 250, 250];

fn limits() -> PrepLimits {
    PrepLimits::default()
}

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .unwrap();
    out
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A JPEG with an EXIF APP1 segment carrying only `orientation`, right after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08"); // big-endian TIFF, IFD at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Four solid quadrants: red, green / blue, white.
fn quadrants(width: u32, height: u32) -> RgbImage {
    ImageBuffer::from_fn(width, height, |x, y| {
        Rgb(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// The prepared image's centre pixel is `want`, within JPEG's rounding.
fn assert_centre_near(prepared: &Prepared, want: [i32; 3]) {
    let out = decode_output(prepared);
    let got = out.get_pixel(out.width() / 2, out.height() / 2).0;
    for c in 0..3 {
        assert!(
            (i32::from(got[c]) - want[c]).abs() <= 3,
            "{got:?} vs {want:?}"
        );
    }
}

fn decode_output(prepared: &Prepared) -> RgbImage {
    decode(&prepared.jpeg, &limits()).unwrap().image.to_rgb8()
}

fn nearest(pixel: [u8; 3]) -> &'static str {
    let named = [
        ("red", RED),
        ("green", GREEN),
        ("blue", BLUE),
        ("white", WHITE),
    ];
    let distance = |c: [u8; 3]| -> i32 {
        (0..3)
            .map(|i| (i32::from(pixel[i]) - i32::from(c[i])).pow(2))
            .sum()
    };
    named
        .iter()
        .min_by_key(|(_, c)| distance(*c))
        .map_or("?", |(n, _)| n)
}

/// Colour names at the centres of the top-left, top-right, bottom-left, bottom-right quadrants.
fn corners(image: &RgbImage) -> [&'static str; 4] {
    let (w, h) = image.dimensions();
    let at = |x: u32, y: u32| nearest(image.get_pixel(x, y).0);
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

/// For each EXIF orientation, where the stored quadrants (red, green / blue, white) end up when
/// displayed: the upright image's corners.
const ORIENTED_CORNERS: [(u16, [&str; 4]); 8] = [
    (1, ["red", "green", "blue", "white"]),
    (2, ["green", "red", "white", "blue"]),
    (3, ["white", "blue", "green", "red"]),
    (4, ["blue", "white", "red", "green"]),
    (5, ["red", "blue", "green", "white"]),
    (6, ["blue", "red", "white", "green"]),
    (7, ["white", "green", "blue", "red"]),
    (8, ["green", "white", "red", "blue"]),
];

#[test]
fn every_exif_orientation_is_applied_exactly_once() {
    let stored = jpeg(&quadrants(80, 40), 95);
    for (orientation, corners_expected) in ORIENTED_CORNERS {
        let bytes = with_exif_orientation(&stored, orientation);
        let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
        let swapped = orientation >= 5;
        let size = if swapped { (40, 80) } else { (80, 40) };
        assert_eq!(
            (prepared.width, prepared.height),
            size,
            "orientation {orientation}"
        );
        assert_eq!(prepared.original, size, "orientation {orientation}");
        let out = decode_output(&prepared);
        assert_eq!(corners(&out), corners_expected, "orientation {orientation}");
    }
}

#[test]
fn a_large_jpeg_is_decoded_at_reduced_scale_and_stays_upright() {
    // 2400 × 1600 stored, displayed turned (orientation 6): 1600 × 2400 upright.
    let stored = jpeg(&quadrants(2400, 1600), 92);
    let bytes = with_exif_orientation(&stored, 6);
    // Wanting 400 × 600 upright allows 1/4 scale: 600 × 400 stored, 400 × 600 upright.
    let decoded = decode_scaled(&bytes, &limits(), &|_, _| (400, 600)).unwrap();
    assert_eq!(decoded.image.dimensions(), (400, 600));
    assert_eq!(decoded.original, (1600, 2400));
    assert_eq!(
        corners(&decoded.image.to_rgb8()),
        ["blue", "red", "white", "green"]
    );
    // One pixel more than 1/4 gives in either direction falls back to 1/2.
    let half = decode_scaled(&bytes, &limits(), &|_, _| (401, 600)).unwrap();
    assert_eq!(half.image.dimensions(), (800, 1200));
    // Nothing smaller than the whole: full size.
    let full = decode_scaled(&bytes, &limits(), &|w, h| (w, h)).unwrap();
    assert_eq!(full.image.dimensions(), (1600, 2400));
}

#[test]
fn the_fast_path_reads_every_exif_orientation_from_the_jpeg_itself() {
    // Plain baseline JPEGs wanted small skip the general decoders: orientation comes from the
    // file's own Exif segment, read as the image crate reads it.
    let stored = jpeg(&quadrants(640, 320), 92);
    for (orientation, corners_expected) in ORIENTED_CORNERS {
        let bytes = with_exif_orientation(&stored, orientation);
        let decoded = decode_scaled(&bytes, &limits(), &|w, h| (w / 4, h / 4)).unwrap();
        assert_eq!(
            decoded.path,
            DecodePath::Baseline(4),
            "orientation {orientation}"
        );
        let upright = if orientation >= 5 {
            (320, 640)
        } else {
            (640, 320)
        };
        assert_eq!(decoded.original, upright, "orientation {orientation}");
        assert_eq!(
            decoded.image.dimensions(),
            (upright.0 / 4, upright.1 / 4),
            "orientation {orientation}"
        );
        assert_eq!(
            corners(&decoded.image.to_rgb8()),
            corners_expected,
            "orientation {orientation}"
        );
    }
}

#[test]
fn the_fast_path_keeps_the_limits_of_a_full_decode() {
    // Decoded at 1/4 this file needs a sixteenth of the memory, but it is refused from its
    // header exactly as a full decode would be.
    let bytes = jpeg(&quadrants(2400, 1600), 90);
    let small = |w: u32, h: u32| (w / 4, h / 4);
    let pixels = 2400 * 1600;
    let just_enough = PrepLimits {
        max_alloc: pixels * 3 + pixels * 4,
        ..limits()
    };
    let decoded = decode_scaled(&bytes, &just_enough, &small).unwrap();
    assert_eq!(decoded.path, DecodePath::Baseline(4));
    let short = PrepLimits {
        max_alloc: pixels * 7 - 1,
        ..limits()
    };
    assert!(matches!(
        decode_scaled(&bytes, &short, &small),
        Err(PrepError::Limits(_))
    ));
    let few_pixels = PrepLimits {
        max_pixels: pixels - 1,
        ..limits()
    };
    assert!(matches!(
        decode_scaled(&bytes, &few_pixels, &small),
        Err(PrepError::Limits(_))
    ));
}

#[test]
fn scaled_decoding_keeps_the_output_of_a_full_decode() {
    // A busy photo-like picture: the fast path must not visibly change what is sent.
    let picture: RgbImage = ImageBuffer::from_fn(3000, 2000, |x, y| {
        let v = ((x / 7 + y / 5) % 64) as u8 * 3;
        Rgb([v, (x / 12) as u8, (y / 8) as u8])
    });
    let bytes = jpeg(&picture, 90);
    for (profile, crop, path) in [
        // 750 × 500 covers 512 × 341.
        (Profile::Max512, CropBox::FULL, DecodePath::Baseline(4)),
        // The 2000 px square is 8 × 224 and more: DC coefficients alone.
        (Profile::Square224, CropBox::FULL, DecodePath::Baseline(8)),
        // A quarter of the width at 512 px needs more than half scale gives.
        (
            Profile::Max512,
            CropBox {
                x: 0.5,
                y: 0.25,
                width: 0.25,
                height: 0.5,
            },
            DecodePath::Full,
        ),
    ] {
        let fast = prepare(&bytes, profile, crop, &limits()).unwrap();
        assert_eq!(fast.decoded_by, path, "{profile:?} {crop:?}");
        let slow = prepare_image(decode(&bytes, &limits()).unwrap().image, profile, crop).unwrap();
        assert_eq!((fast.width, fast.height), (slow.width, slow.height));
        assert_eq!(fast.original, (3000, 2000));
        assert_eq!(fast.crop, slow.crop);
        let (a, b) = (decode_output(&fast), decode_output(&slow));
        let diff: u64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        let mean = diff as f64 / a.as_raw().len() as f64;
        assert!(mean < 4.0, "{profile:?} {crop:?}: mean difference {mean}");
        assert!(hash_distance(fast.hash, slow.hash) <= 4);
    }
}

#[test]
fn files_the_fast_path_leaves_still_decode_at_reduced_scale() {
    let picture: RgbImage = ImageBuffer::from_fn(2400, 1600, |x, y| {
        Rgb([
            (x / 9 % 256) as u8,
            (y / 7 % 256) as u8,
            ((x + y) / 5 % 256) as u8,
        ])
    });
    let mut progressive = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut progressive, 90);
    encoder.set_progressive(true);
    encoder
        .encode(picture.as_raw(), 2400, 1600, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let prepared = prepare(&progressive, Profile::Max512, CropBox::FULL, &limits()).unwrap();
    assert_eq!(prepared.decoded_by, DecodePath::Scaled(4));
    assert_eq!((prepared.width, prepared.height), (512, 341));
}

#[test]
fn the_output_carries_no_metadata() {
    let bytes = with_exif_orientation(&jpeg(&quadrants(64, 64), 90), 6);
    assert!(bytes.windows(4).any(|w| w == b"Exif"));
    let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
    let out = &prepared.jpeg;
    assert_eq!(&out[..2], &[0xFF, 0xD8]);
    assert!(
        !out.windows(4).any(|w| w == b"Exif"),
        "EXIF left in the output"
    );
    assert!(
        !out.windows(4).any(|w| w == b"http"),
        "XMP left in the output"
    );
    // No APP1..APP15 segment: only JFIF's APP0 may precede the image data.
    let mut i = 2;
    while i + 4 <= out.len() && out[i] == 0xFF && out[i + 1] != 0xDA {
        let marker = out[i + 1];
        assert!(!(0xE1..=0xEF).contains(&marker), "APPn segment {marker:#x}");
        i += 2 + usize::from(u16::from_be_bytes([out[i + 2], out[i + 3]]));
    }
    // The orientation was applied to the pixels instead.
    assert_eq!(decode(out, &limits()).unwrap().image.width(), 64);
}

#[test]
fn transparency_is_composited_onto_white() {
    let clear = RgbaImage::from_pixel(8, 8, Rgba([255, 0, 0, 0]));
    let half = RgbaImage::from_pixel(8, 8, Rgba([255, 0, 0, 128]));
    for (image, want) in [(clear, [255, 255, 255]), (half, [255, 127, 127])] {
        let bytes = png(&DynamicImage::ImageRgba8(image));
        let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
        assert_centre_near(&prepared, want);
    }
}

#[test]
fn sixteen_bit_and_grey_become_eight_bit_rgb() {
    let deep: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(8, 8, Rgb([65535, 0, 32896]));
    let grey: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::from_pixel(8, 8, Luma([100]));
    let cases = [
        (png(&DynamicImage::ImageRgb16(deep)), [255, 0, 128]),
        (png(&DynamicImage::ImageLuma8(grey)), [100, 100, 100]),
    ];
    for (bytes, want) in cases {
        let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
        assert_centre_near(&prepared, want);
    }
}

#[test]
fn a_decoded_rgb_photo_is_taken_without_a_copy() {
    let photo = quadrants(64, 48);
    let pixels = photo.as_raw().as_ptr();
    let taken = into_rgb(DynamicImage::ImageRgb8(photo));
    assert_eq!(taken.as_raw().as_ptr(), pixels);
    // Other kinds still go through flatten.
    let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, Rgba([9, 9, 9, 0])));
    assert_eq!(into_rgb(clear.clone()), flatten(&clear));
    assert_eq!(into_rgb(clear).get_pixel(0, 0).0, [255, 255, 255]);
}

#[test]
fn an_animated_gif_uses_its_first_frame() {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        for colour in [RED, BLUE] {
            let [r, g, b] = colour;
            let frame = RgbaImage::from_pixel(16, 16, Rgba([r, g, b, 255]));
            encoder.encode_frame(Frame::new(frame)).unwrap();
        }
    }
    let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
    assert_eq!(nearest(decode_output(&prepared).get_pixel(8, 8).0), "red");
}

#[test]
fn webp_is_read() {
    let mut bytes = Vec::new();
    let image = RgbaImage::from_pixel(20, 10, Rgba([20, 200, 20, 255]));
    WebPEncoder::new_lossless(&mut bytes)
        .encode(image.as_raw(), 20, 10, ExtendedColorType::Rgba8)
        .unwrap();
    let prepared = prepare(&bytes, Profile::Max512, CropBox::FULL, &limits()).unwrap();
    assert_eq!((prepared.width, prepared.height), (20, 10));
    assert_eq!(
        nearest(decode_output(&prepared).get_pixel(10, 5).0),
        "green"
    );
}

/// A PNG whose header claims `width × height`, followed by 1 KB of zeros, as a decompression
/// bomb begins.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    live_shop_testkit::png(width, height, &[0u8; 1024])
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let err = prepare(
        &png_claiming(100_000, 100_000),
        Profile::Max512,
        CropBox::FULL,
        &limits(),
    )
    .unwrap_err();
    assert!(matches!(err, PrepError::Limits(_)), "{err:?}");
    assert_eq!(err.code(), "limits");
    // Just over the pixel limit is refused too; just under it reaches the (too short) pixel data.
    let tight = PrepLimits {
        max_pixels: 10_000,
        ..limits()
    };
    assert!(matches!(
        decode(&png_claiming(101, 100), &tight),
        Err(PrepError::Limits(_))
    ));
    assert!(matches!(
        decode(&png_claiming(100, 100), &tight),
        Err(PrepError::Decode(_))
    ));
}

#[test]
fn the_allocation_budget_is_enforced_by_the_decoder() {
    let bytes = png(&DynamicImage::ImageRgb8(quadrants(400, 400)));
    let tiny = PrepLimits {
        max_alloc: 64 * 1024,
        ..limits()
    };
    assert!(matches!(decode(&bytes, &tiny), Err(PrepError::Limits(_))));
    assert!(decode(&bytes, &limits()).is_ok());
}

#[test]
fn files_over_the_byte_limit_are_refused_before_reading() {
    let small = PrepLimits {
        max_bytes: 100,
        ..limits()
    };
    let err = decode(&[0u8; 101], &small).unwrap_err();
    assert!(matches!(err, PrepError::Limits(_)));
}

#[test]
fn heic_gets_a_message_that_says_what_to_do() {
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\x00\x00\x00\x00mif1heic");
    let err = decode(&heic, &limits()).unwrap_err();
    assert_eq!(err, PrepError::Unsupported { format: "HEIC" });
    assert!(err.user_message(Lang::En).contains("JPEG"));
    assert_ne!(err.user_message(Lang::Ar), err.user_message(Lang::En));
}

#[test]
fn broken_bytes_are_decode_errors_not_panics() {
    let whole = jpeg(&quadrants(64, 64), 90);
    for bytes in [
        &b"not an image at all"[..],
        &whole[..whole.len() / 3],
        &whole[..20],
        &[][..],
    ] {
        match decode(bytes, &limits()) {
            Ok(_) => {}
            Err(err) => assert!(matches!(err, PrepError::Decode(_)), "{err:?}"),
        }
    }
    assert!(matches!(
        decode(b"not an image at all", &limits()),
        Err(PrepError::Decode(_))
    ));
}

fn noise(width: u32, height: u32) -> RgbImage {
    let mut state = 0x1234_5678u32;
    ImageBuffer::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        Rgb([a, b, c])
    })
}

#[test]
fn profiles_set_size_and_stay_under_their_byte_caps() {
    let bytes = jpeg(&noise(2000, 1000), 92);
    for (profile, size) in [
        (Profile::Max512, (512, 256)),
        (Profile::Max1024, (1024, 512)),
        (Profile::Square224, (224, 224)),
    ] {
        let prepared = prepare(&bytes, profile, CropBox::FULL, &limits()).unwrap();
        assert_eq!(
            (prepared.width, prepared.height),
            size,
            "{}",
            profile.name()
        );
        assert!(
            prepared.jpeg.len() <= profile.byte_cap() || prepared.quality == 40,
            "{}: {} bytes at quality {}",
            profile.name(),
            prepared.jpeg.len(),
            prepared.quality
        );
    }
}

#[test]
fn small_images_are_never_enlarged() {
    let bytes = png(&DynamicImage::ImageRgb8(quadrants(100, 50)));
    let prepared = prepare(&bytes, Profile::Max1024, CropBox::FULL, &limits()).unwrap();
    assert_eq!((prepared.width, prepared.height), (100, 50));
}

#[test]
fn the_crop_box_selects_the_region() {
    let bytes = png(&DynamicImage::ImageRgb8(quadrants(200, 100)));
    let right = CropBox {
        x: 0.5,
        y: 0.0,
        width: 0.5,
        height: 0.5,
    };
    let prepared = prepare(&bytes, Profile::Max512, right, &limits()).unwrap();
    assert_eq!((prepared.width, prepared.height), (100, 50));
    assert_eq!(corners(&decode_output(&prepared)), ["green"; 4]);
    // Square-224 takes the centre square of the region.
    let bottom = CropBox {
        x: 0.0,
        y: 0.5,
        width: 1.0,
        height: 0.5,
    };
    let square = prepare(&bytes, Profile::Square224, bottom, &limits()).unwrap();
    let out = decode_output(&square);
    assert_eq!(nearest(out.get_pixel(20, 112).0), "blue");
    assert_eq!(nearest(out.get_pixel(204, 112).0), "white");
}

#[test]
fn boxes_touching_the_edges_never_overshoot_by_rounding() {
    // Awkward sizes and fractions whose products round past the last pixel.
    for (w, h) in [(2000, 1500), (7, 3), (1999, 1001), (333, 777)] {
        let image = DynamicImage::ImageRgb8(quadrants(w, h));
        let bytes = png(&image);
        for (x, y) in [
            (1.0 / 3.0, 0.7),
            (0.1, 1.0 / 7.0),
            (0.123_456_789, 0.987_654_321),
        ] {
            let crop = CropBox {
                x,
                y,
                width: 1.0 - x,
                height: 1.0 - y,
            };
            for profile in Profile::ALL {
                prepare(&bytes, profile, crop, &limits()).unwrap_or_else(|e| {
                    panic!("{w}x{h} box at ({x}, {y}) {}: {e}", profile.name())
                });
            }
            let tiny = CropBox {
                x: 0.999_999,
                y: 0.999_999,
                width: 0.000_001,
                height: 0.000_001,
            };
            prepare(&bytes, Profile::Max512, tiny, &limits()).unwrap();
        }
    }
}

#[test]
fn crop_boxes_are_clamped_or_refused() {
    let clamped = CropBox {
        x: 0.8,
        y: -0.2,
        width: 0.5,
        height: 2.0,
    }
    .clamped()
    .unwrap();
    assert!((clamped.width - 0.2).abs() < 1e-12 && clamped.y == 0.0 && clamped.height == 1.0);
    for bad in ["0,0,0,1", "2,0,1,1", "nan,0,1,1", "0,0,1", "a,b,c,d"] {
        assert!(
            matches!(CropBox::parse(bad), Err(PrepError::Parameter(_))),
            "{bad}"
        );
    }
    assert_eq!(CropBox::parse("0.25, 0, 0.5, 1").unwrap().x, 0.25);
}

#[test]
fn the_perceptual_hash_survives_resizing_and_tells_images_apart() {
    let gradient = |w: u32, h: u32| -> RgbImage {
        ImageBuffer::from_fn(w, h, |x, y| {
            let v = ((x * 255 / w) ^ (y * 255 / h)) as u8;
            Rgb([v, v / 2, 255 - v])
        })
    };
    let hash = |image: RgbImage| {
        let bytes = jpeg(&image, 90);
        prepare(&bytes, Profile::Max512, CropBox::FULL, &limits())
            .unwrap()
            .hash
    };
    let big = hash(gradient(1600, 1200));
    let small = hash(gradient(400, 300));
    let other = hash(
        DynamicImage::ImageRgb8(gradient(400, 300))
            .fliph()
            .to_rgb8(),
    );
    assert!(
        hash_distance(big, small) <= 6,
        "{}",
        hash_distance(big, small)
    );
    assert!(
        hash_distance(big, other) >= 16,
        "{}",
        hash_distance(big, other)
    );
}

#[test]
fn profiles_parse_by_name() {
    for profile in Profile::ALL {
        assert_eq!(Profile::parse(profile.name()).unwrap(), profile);
    }
    // The names the widget chooses among are the pipeline's.
    let names: Vec<_> = Profile::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names, live_shop_core::search::PROFILES);
    assert_eq!(
        Profile::default().name(),
        live_shop_core::search::DEFAULT_PROFILE
    );
    let unknown = Profile::parse("max-99").unwrap_err();
    assert_eq!(unknown.code(), "parameter");
    assert!(
        unknown
            .to_string()
            .contains("max-512, max-1024, square-224"),
        "{unknown}"
    );
}

#[test]
fn decoding_reports_the_container_format() {
    let bytes = png(&DynamicImage::ImageRgb8(quadrants(4, 4)));
    assert_eq!(
        decode(&bytes, &limits()).unwrap().format,
        image::ImageFormat::Png
    );
    let cursor = Cursor::new(jpeg(&quadrants(4, 4), 80));
    assert_eq!(
        decode(cursor.get_ref(), &limits()).unwrap().format,
        image::ImageFormat::Jpeg
    );
}
