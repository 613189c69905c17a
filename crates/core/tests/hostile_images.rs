//! Every file under `Tests/images` of the Pillow 13.0.0 sdist (truncated, broken, bombs, CMYK,
//! 16-bit, animated, odd orientations, formats we do not read) either prepares or fails with a
//! coded error: no panic, none slower than a second, none allocating past the budget. The files
//! are fetched by `scripts/fetch-test-data.sh` (part of the test command's setup).
#![cfg(feature = "prep")]
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use live_shop_core::prep::{decode, prepare, CropBox, PrepError, PrepLimits, Profile};

/// Counts live heap bytes and their peak, so the test can see what decoding really allocates.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests that read the peak take turns: the counters are the process's.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn images_dir() -> PathBuf {
    live_shop_testkit::cache().join("pillow/pillow-13.0.0/Tests/images")
}

fn files(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn every_pillow_test_image_prepares_or_fails_cleanly() {
    let _turn = measuring();
    let dir = images_dir();
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/fetch-test-data.sh",
        dir.display()
    );
    let limits = PrepLimits::default();
    // The budget covers the decoder and the pipeline's copy; resizing and encoding add a little.
    let allowed = limits.max_alloc as usize + limits.max_bytes + 64 * 1024 * 1024;
    let (mut prepared, mut codes) = (0, std::collections::BTreeMap::<&str, usize>::new());
    let mut problems = Vec::new();
    let mut slowest = (Duration::ZERO, PathBuf::new());
    let all = files(&dir);
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            prepare(&bytes, Profile::Max512, CropBox::FULL, &limits)
        }));
        let took = start.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        match result {
            Err(_) => problems.push(format!("{name}: panicked")),
            Ok(Ok(_)) => prepared += 1,
            Ok(Err(PrepError::Parameter(e))) => {
                problems.push(format!("{name}: parameter error {e}"))
            }
            Ok(Err(e)) => {
                if e.to_string().contains('\n') {
                    problems.push(format!("{name}: a message of several lines: {e}"));
                }
                *codes.entry(e.code()).or_default() += 1
            }
        }
        if took > Duration::from_secs(1) {
            problems.push(format!("{name}: took {took:?}"));
        }
        if peak > allowed {
            problems.push(format!("{name}: allocated {peak} bytes"));
        }
        if took > slowest.0 {
            slowest = (took, path.clone());
        }
    }
    println!(
        "{} files: {prepared} prepared, refused {codes:?}; slowest {:?} ({})",
        all.len(),
        slowest.0,
        slowest.1.display()
    );
    assert!(
        all.len() > 1000,
        "expected the whole set, found {}",
        all.len()
    );
    assert!(prepared > 400, "only {prepared} prepared");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/images")
            .join(name),
    )
    .unwrap()
}

fn rgb(bytes: &[u8]) -> image::RgbImage {
    decode(bytes, &PrepLimits::default())
        .unwrap()
        .image
        .to_rgb8()
}

fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// Pillow's `hopper.jpg`, and the same picture rewritten by `jpegtran -scans` with each colour
/// component in a scan of its own (`tests/images/hopper-separate-scans.jpg`): the image crate's
/// JPEG decoder read the second as a different picture.
#[test]
fn a_jpeg_of_separate_colour_scans_decodes_to_its_picture() {
    let whole = std::fs::read(images_dir().join("hopper.jpg")).unwrap();
    let separate = fixture("hopper-separate-scans.jpg");
    let difference = mean_difference(&rgb(&whole), &rgb(&separate));
    // Same coefficients, another decoder's rounding: under one level in 255.
    assert!(difference < 1.0, "mean difference {difference:.1}");
}

/// A photo cut off anywhere in its image data (an upload interrupted, a download half done)
/// is refused, saying so, instead of prepared as half a photo.
#[test]
fn a_jpeg_cut_off_is_refused_with_its_reason() {
    for name in ["hopper-progressive.jpg", "hopper-separate-scans.jpg"] {
        let whole = fixture(name);
        assert!(prepare(
            &whole,
            Profile::Max512,
            CropBox::FULL,
            &PrepLimits::default()
        )
        .is_ok());
        for tenth in 2..10 {
            let cut = &whole[..whole.len() * tenth / 10];
            match prepare(cut, Profile::Max512, CropBox::FULL, &PrepLimits::default()) {
                Err(PrepError::Decode(message)) => assert!(
                    message.contains("cut off") && !message.contains('\n'),
                    "{name} at {tenth}/10: {message}"
                ),
                other => panic!("{name} at {tenth}/10: {:?}", other.map(|p| p.jpeg.len())),
            }
        }
    }
    let whole = std::fs::read(images_dir().join("hopper.jpg")).unwrap();
    let half = &whole[..whole.len() / 2];
    assert_eq!(
        decode(half, &PrepLimits::default()).map(|d| d.image.width()),
        Err(PrepError::Decode(
            "the file ends before the image does (it was cut off)".into()
        ))
    );
}

/// A progressive JPEG whose last scan is repeated 3,000 times: each is a pass over every
/// coefficient, seconds of a core in all. Refused from its markers, before decoding.
#[test]
fn a_jpeg_of_thousands_of_scans_is_refused_before_decoding() {
    let _turn = measuring();
    let progressive = fixture("hopper-progressive.jpg");
    let last_scan = progressive
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .unwrap();
    let end = progressive.len() - 2;
    let mut many = progressive[..end].to_vec();
    for _ in 0..3000 {
        many.extend_from_slice(&progressive[last_scan..end]);
    }
    many.extend_from_slice(&[0xFF, 0xD9]);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = prepare(
        &many,
        Profile::Max512,
        CropBox::FULL,
        &PrepLimits::default(),
    );
    assert!(
        matches!(result, Err(PrepError::Limits(ref m)) if m.contains("scans")),
        "{:?}",
        result.map(|p| p.jpeg.len())
    );
    // Nothing was decoded: no buffer beyond a few kilobytes.
    assert!(PEAK.load(Ordering::Relaxed) - before < 1024 * 1024);
}

/// Pillow's `hopper.png` with an `iCCP` chunk inserted after its header.
fn png_with_profile(profile: &[u8]) -> Vec<u8> {
    let png = std::fs::read(images_dir().join("hopper.png")).unwrap();
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut data = b"hostile\0\0".to_vec();
    data.extend(miniz_oxide::deflate::compress_to_vec_zlib(profile, 1));
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend(b"iCCP");
    chunk.extend(&data);
    let crc = live_shop_testkit::crc32(&chunk[4..]);
    chunk.extend(crc.to_be_bytes());
    let mut out = png[..ihdr_end].to_vec();
    out.extend(chunk);
    out.extend(&png[ihdr_end..]);
    out
}

/// A PNG whose colour profile declares 512 MiB, or inflates to 64 MiB while declaring little,
/// is refused from the chunk before the decoder inflates it; an ordinary profile is not.
#[test]
fn a_png_colour_profile_past_any_real_one_is_refused_before_decoding() {
    let mut ordinary = 3144u32.to_be_bytes().to_vec();
    ordinary.resize(3144, 7);
    assert!(prepare(
        &png_with_profile(&ordinary),
        Profile::Max512,
        CropBox::FULL,
        &PrepLimits::default()
    )
    .is_ok());
    let mut declared = (512u32 << 20).to_be_bytes().to_vec();
    declared.resize(4096, 0);
    let mut bomb = 1000u32.to_be_bytes().to_vec();
    bomb.resize(64 << 20, 0);
    let _turn = measuring();
    for (name, profile) in [("declared", declared), ("inflated", bomb)] {
        let png = png_with_profile(&profile);
        drop(profile);
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let result = prepare(&png, Profile::Max512, CropBox::FULL, &PrepLimits::default());
        assert!(
            matches!(result, Err(PrepError::Limits(ref m)) if m.contains("colour profile")),
            "{name}: {:?}",
            result.map(|p| p.jpeg.len())
        );
        let peak = PEAK.load(Ordering::Relaxed) - before;
        assert!(peak < 6 * 1024 * 1024, "{name}: {peak} bytes");
    }
}
