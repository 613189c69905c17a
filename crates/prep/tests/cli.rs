//! The command as a user runs it: exit status, the one-line reason, and the bytes it writes are
//! the library's bytes for the same input and profile.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use live_shop_core::prep::{prepare, CropBox, PrepLimits, Profile};

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("live-shop-prep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_live-shop-prep"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A 2×2 RGB PNG: red, blue / black, white.
fn tiny_png() -> Vec<u8> {
    let rows: Vec<u8> = [[0u8, 255, 0, 0, 0, 0, 255], [0, 0, 0, 0, 255, 255, 255]].concat();
    live_shop_testkit::png(2, 2, &rows)
}

#[test]
fn prepares_an_image_like_the_library() {
    let dir = dir();
    let input = dir.join("in.png");
    let output = dir.join("out.jpg");
    std::fs::write(&input, tiny_png()).unwrap();
    let (status, stdout, stderr) = run(&[
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--profile",
        "square-224",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.starts_with("square-224 224x224 "), "{stdout}");
    let library = prepare(
        &tiny_png(),
        Profile::Square224,
        CropBox::FULL,
        &PrepLimits::default(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&output).unwrap(), library.jpeg);
}

#[test]
fn bad_input_fails_with_one_line() {
    let dir = dir();
    let input = dir.join("bad.png");
    std::fs::write(&input, b"definitely not a picture").unwrap();
    let out = dir.join("never.jpg");
    let (status, _, stderr) = run(&[input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("[decode]"), "{stderr}");
    assert!(!out.exists());

    let (status, _, stderr) = run(&["/nonexistent/x.png", "-o", out.to_str().unwrap()]);
    assert_eq!((status, stderr.lines().count()), (1, 1), "{stderr}");
}

#[test]
fn bad_arguments_fail_with_usage() {
    let (status, _, stderr) = run(&["in.png"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("missing -o OUT") && stderr.contains("usage:"));
    let (status, _, stderr) = run(&["in.png", "-o", "x.jpg", "--profile", "huge"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("unknown profile"), "{stderr}");
}
