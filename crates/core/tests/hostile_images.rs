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

use live_shop_core::prep::{prepare, CropBox, PrepError, PrepLimits, Profile};

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
            Ok(Err(e)) => *codes.entry(e.code()).or_default() += 1,
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
