//! The fast baseline JPEG path gives `jpeg-decoder`'s own pixels at 1/2, 1/4 and 1/8 scale, byte
//! for byte: over every chroma subsampling, restart intervals, fitted Huffman tables, grey, odd
//! sizes, and the real JPEGs of Pillow's test images; files in several scans are left to the
//! general decoder. Damaged data never panics and never gives pixels the reference would not.
#![cfg(feature = "prep")]
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use live_shop_core::jpeg_scaled;

const DIVISORS: [u16; 3] = [2, 4, 8];

/// Width, height and samples.
type Pixels = (u32, u32, Vec<u8>);

/// `jpeg-decoder` asked for 1/`divisor` of the size: the divisor it used (see
/// [`jpeg_scaled::divisor_for`]) and `(width, height, pixels)`, or `None` when it refuses.
fn reference(bytes: &[u8], divisor: u16) -> Option<(usize, Pixels)> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let (w, h) = decoder
        .scale(info.width.div_ceil(divisor), info.height.div_ceil(divisor))
        .ok()?;
    let pixels = decoder.decode().ok()?;
    Some((used(bytes, divisor), (u32::from(w), u32::from(h), pixels)))
}

/// The divisor `jpeg-decoder` uses when asked for 1/`divisor`, from the file's header.
fn used(bytes: &[u8], divisor: u16) -> usize {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    match decoder.read_info().ok().and(decoder.info()) {
        Some(info) => jpeg_scaled::divisor_for(
            (u32::from(info.width), u32::from(info.height)),
            (
                u32::from(info.width.div_ceil(divisor)),
                u32::from(info.height.div_ceil(divisor)),
            ),
        ) as usize,
        None => usize::from(divisor),
    }
}

/// Photo-like content: gradients, edges and deterministic noise, so every block has AC terms.
fn scene(width: u16, height: u16) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 41) as i32 - 20
    };
    let mut out = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..i32::from(height) {
        for x in 0..i32::from(width) {
            let edge = if (x / 13 + y / 11) % 2 == 0 { 60 } else { 0 };
            for c in 0..3 {
                let v = (x * (3 + c) + y * (5 - c)) % 256 / 2 + edge + noise();
                out.push(v.clamp(0, 255) as u8);
            }
        }
    }
    out
}

fn encode(
    width: u16,
    height: u16,
    sampling: SamplingFactor,
    restart: u16,
    fitted: bool,
    grey: bool,
) -> Vec<u8> {
    let rgb = scene(width, height);
    let mut jpeg = Vec::new();
    let mut encoder = Encoder::new(&mut jpeg, 88);
    encoder.set_sampling_factor(sampling);
    encoder.set_optimized_huffman_tables(fitted);
    if restart > 0 {
        encoder.set_restart_interval(restart);
    }
    if grey {
        let luma: Vec<u8> = rgb.chunks_exact(3).map(|p| p[1]).collect();
        encoder
            .encode(&luma, width, height, ColorType::Luma)
            .unwrap();
    } else {
        encoder.encode(&rgb, width, height, ColorType::Rgb).unwrap();
    }
    jpeg
}

/// Whether the fast path decodes `bytes` (at every scale alike); when it does, its pixels
/// must be the reference's.
fn assert_same(bytes: &[u8], what: &str) -> bool {
    let taken: Vec<bool> = DIVISORS
        .iter()
        .map(|&d| {
            let Some(fast) = jpeg_scaled::decode(bytes, used(bytes, d)) else {
                return false;
            };
            let (_, (w, h, pixels)) =
                reference(bytes, d).unwrap_or_else(|| panic!("{what} 1/{d}: reference refused"));
            assert_eq!((fast.width, fast.height), (w, h), "{what} 1/{d}");
            assert!(fast.pixels == pixels, "{what} 1/{d}: pixels differ");
            true
        })
        .collect();
    assert!(taken.iter().all(|&t| t == taken[0]), "{what}: {taken:?}");
    taken[0]
}

#[test]
fn every_subsampling_and_restart_interval_matches_the_reference() {
    let samplings = [
        ("4:4:4", SamplingFactor::R_4_4_4),
        ("4:2:2", SamplingFactor::R_4_2_2),
        ("4:2:0", SamplingFactor::R_4_2_0),
        ("4:4:0", SamplingFactor::R_4_4_0),
        ("4:1:1", SamplingFactor::R_4_1_1),
        ("4:1:0", SamplingFactor::R_4_1_0),
    ];
    let sizes = [(1, 1), (7, 9), (17, 33), (100, 75), (257, 129), (640, 480)];
    let (mut checked, mut one_scans) = (0, 0);
    for (name, sampling) in samplings {
        for (w, h) in sizes {
            for restart in [0, 1, 3] {
                for fitted in [false, true] {
                    for grey in [false, true] {
                        // jpeg-encoder 0.6's own debug check trips on fitted tables with
                        // restart intervals.
                        if fitted && restart > 0 {
                            continue;
                        }
                        let bytes = encode(w, h, sampling, restart, fitted, grey);
                        let what =
                            format!("{name} {w}x{h} restart {restart} fitted {fitted} grey {grey}");
                        // With fitted tables, or 4:1:x, this encoder writes one scan per
                        // colour component: the general decoder's case, left by the fast path.
                        let scans = bytes.windows(2).filter(|w| *w == [0xFF, 0xDA]).count();
                        let one_scan = scans == 1;
                        one_scans += usize::from(one_scan);
                        assert_eq!(assert_same(&bytes, &what), one_scan, "{what}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 6 * 8);
    assert!(one_scans >= 150, "{one_scans} single-scan files");
}

#[test]
fn pillows_jpegs_match_the_reference_or_take_the_general_path() {
    let dir = live_shop_testkit::cache().join("pillow/pillow-13.0.0/Tests/images");
    let mut fast = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if assert_same(&bytes, &name) {
            fast.push(name);
        }
    }
    fast.sort();
    // Pillow's plain photos take the fast path; progressive, CMYK, 12-bit and broken ones do not.
    assert!(fast.len() >= 20, "{fast:?}");
    for name in ["hopper.jpg", "exif-72dpi-int.jpg", "xmp_test.jpg"] {
        assert!(fast.iter().any(|f| f == name), "{name} not in {fast:?}");
    }
    assert!(!fast.iter().any(|f| f.contains("progressive")), "{fast:?}");
}

#[test]
fn damaged_data_never_panics_and_never_invents_pixels() {
    let whole = encode(200, 120, SamplingFactor::R_4_2_0, 4, false, false);
    assert!(assert_same(&whole, "whole"));
    // Cut anywhere: refused, or (cut only after the last coefficient) the reference's pixels.
    for cut in (0..whole.len()).step_by(7) {
        let part = &whole[..cut];
        for d in [2, 4, 8] {
            if let Some(fast) = jpeg_scaled::decode(part, d) {
                let full = jpeg_scaled::decode(&whole, d).unwrap();
                assert!(fast.pixels == full.pixels, "cut at {cut}, 1/{d}");
            }
        }
    }
    // Flipped bytes in the entropy-coded data: whatever happens, no panic; when both decoders
    // accept the result, they agree.
    let scan_start = whole.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap() + 20;
    for at in (scan_start..whole.len() - 2).step_by(37) {
        for flip in [0x01, 0x10, 0xFF] {
            let mut bent = whole.clone();
            bent[at] ^= flip;
            for d in DIVISORS {
                if let Some((used, (_, _, pixels))) = reference(&bent, d) {
                    if let Some(fast) = jpeg_scaled::decode(&bent, used) {
                        assert!(fast.pixels == pixels, "byte {at} ^ {flip:#x}, 1/{d}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_workers_warm_up_photo_exercises_the_fast_path() {
    // The worker runs this decoder on its generated photo when search opens, so the browser
    // has optimised it before a shopper's large photo arrives.
    let photo = live_shop_core::prep::warm_up_jpeg(1024, 768);
    assert!(assert_same(&photo, "warm-up photo"));
}
