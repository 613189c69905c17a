//! The model loader, checked the only way that means anything: it must classify real ImageNet
//! photos (the samples shipped in PyPI `foolbox` 3.3.4, `imagenet_<n>_<label>.jpg`) correctly,
//! top-5, and embed alike photos closer than unlike ones.
// Test helpers may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use live_shop_core::prep::{decode, square_pixels, CropBox, PrepLimits};
use live_shop_embed::{cosine, Embedder, FEATURES, INPUT};

fn photos() -> Vec<(PathBuf, usize)> {
    let dir = live_shop_testkit::cache().join("foolbox/data");
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/fetch-test-data.sh",
        dir.display()
    );
    let mut out: Vec<(PathBuf, usize)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_string();
            let label = name
                .strip_prefix("imagenet_")?
                .split('_')
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, label))
        })
        .collect();
    out.sort();
    out
}

fn pixels(path: &PathBuf) -> Vec<u8> {
    let decoded = decode(&std::fs::read(path).unwrap(), &PrepLimits::default()).unwrap();
    square_pixels(&decoded.image, CropBox::FULL, INPUT as u32).unwrap()
}

fn model() -> Embedder {
    Embedder::load(&live_shop_testkit::cache().join("models/efficientnet-lite0.safetensors"))
        .unwrap()
}

#[test]
fn classifies_the_foolbox_imagenet_photos_top_5() {
    let model = model();
    let photos = photos();
    assert_eq!(photos.len(), 20);
    let (mut misses, mut top1) = (Vec::new(), 0);
    for (path, label) in &photos {
        let scores = model.classify(&pixels(path), INPUT, INPUT).unwrap();
        let mut ranked: Vec<usize> = (0..scores.len()).collect();
        ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        top1 += usize::from(ranked[0] == *label);
        if !ranked[..5].contains(label) {
            misses.push(format!(
                "{}: label {label}, top-5 {:?}",
                path.display(),
                &ranked[..5]
            ));
        }
    }
    println!(
        "top-1 {top1}/{}, top-5 {}/{}",
        photos.len(),
        photos.len() - misses.len(),
        photos.len()
    );
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn embeddings_are_unit_length_and_alike_photos_are_closer() {
    let model = model();
    let photos = photos();
    let embed = |i: usize| model.embed(&pixels(&photos[i].0), INPUT, INPUT).unwrap();
    let a = embed(0);
    assert_eq!(a.len(), FEATURES);
    assert!((cosine(&a, &a) - 1.0).abs() < 1e-4);
    // Two photos of the same class (label 609 twice in the set) against a different one.
    let same: Vec<usize> = photos
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1 == 609)
        .map(|(i, _)| i)
        .collect();
    let other = photos.iter().position(|p| p.1 != 609).unwrap();
    let (x, y, z) = (embed(same[0]), embed(same[1]), embed(other));
    assert!(
        cosine(&x, &y) > cosine(&x, &z),
        "{} vs {}",
        cosine(&x, &y),
        cosine(&x, &z)
    );
}

#[test]
fn wrong_input_sizes_are_refused() {
    let model = model();
    assert!(model.embed(&[0; 12], 2, 2).is_err());
}

#[test]
fn a_missing_weights_file_is_a_model_error() {
    let err = Embedder::load(std::path::Path::new("/nonexistent/weights.safetensors"))
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("model weights:"), "{err}");
}

#[test]
fn the_fast_path_embeds_as_the_reference_graph_does() {
    let model = model();
    for (path, _) in photos().iter().take(6) {
        let rgb = pixels(path);
        let fast = model.embed(&rgb, INPUT, INPUT).unwrap();
        let reference = model.embed_reference(&rgb, INPUT, INPUT).unwrap();
        let worst = fast
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // Only the order of additions differs: far below what separates two photos.
        assert!(worst < 1e-4, "{}: {worst}", path.display());
        assert!(cosine(&fast, &reference) > 0.99999, "{}", path.display());
    }
}

#[test]
fn a_batch_embeds_each_image_as_alone() {
    let model = model();
    let images: Vec<Vec<u8>> = photos().iter().take(5).map(|(p, _)| pixels(p)).collect();
    let batch: Vec<&[u8]> = images.iter().map(Vec::as_slice).collect();
    let together = model.embed_batch(&batch).unwrap();
    assert_eq!(together.len(), images.len());
    for (rgb, embedding) in images.iter().zip(&together) {
        let alone = model.embed(rgb, INPUT, INPUT).unwrap();
        let worst = alone
            .iter()
            .zip(embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{worst}");
    }
    // Images differ, so their embeddings do: no image's features leaked into another's.
    assert!(cosine(&together[0], &together[1]) < 0.99);
    assert!(model.embed_batch(&[]).unwrap().is_empty());
    // One wrong-sized image refuses the batch.
    assert!(model.embed_batch(&[&images[0], &[0; 12]]).is_err());
}
