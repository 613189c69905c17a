//! Visual search: catalog photos and shoppers' queries go through the same preparation
//! (`live_shop_core::prep`) and the same model (`live_shop_embed`), and the nearest products by
//! cosine similarity come back. The index is behind [`VectorIndex`] so a catalog that outgrows one
//! machine can move to an external vector store; this one is brute force, which is exact and
//! fast at a shop's scale, and is saved next to the cache so restarts skip the model.
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use live_shop_core::prep::{decode, square_pixels, CropBox, DynamicImage, PrepError, PrepLimits};
use live_shop_core::protocol::SearchOptions;
use live_shop_embed::{cosine, EmbedError, Embedder, INPUT};
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;

/// Most bytes a product photo fetched from a shop's CDN may have.
const MAX_PHOTO_BYTES: u64 = 40 * 1024 * 1024;

/// Nearest-neighbour search over embeddings.
pub trait VectorIndex: Send + Sync {
    /// The `k` nearest items to `query`, most similar first, with their similarity.
    fn nearest(&self, query: &[f32], k: usize) -> Vec<(String, f32)>;
    /// How many items it holds.
    fn len(&self) -> usize;
    /// Whether it holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Exact search by scanning every item.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BruteForce {
    /// What the index was built from; a different catalog or model means rebuilding.
    pub fingerprint: String,
    items: Vec<(String, Vec<f32>)>,
}

impl VectorIndex for BruteForce {
    fn nearest(&self, query: &[f32], k: usize) -> Vec<(String, f32)> {
        let mut scored: Vec<(String, f32)> = self
            .items
            .iter()
            .map(|(id, v)| (id.clone(), cosine(query, v)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
        scored
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query image could not be prepared.
    #[error(transparent)]
    Prep(#[from] PrepError),
    /// The model failed.
    #[error(transparent)]
    Model(#[from] EmbedError),
}

/// Recently uploaded queries, so refining the region needs no new upload.
const RECENT_QUERIES: usize = 32;

/// The model, the index, and recent queries.
pub struct VisualSearch {
    embedder: Embedder,
    index: Box<dyn VectorIndex>,
    recent: Mutex<VecDeque<(String, DynamicImage)>>,
}

impl std::fmt::Debug for VisualSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisualSearch")
            .field("indexed", &self.index.len())
            .finish_non_exhaustive()
    }
}

/// A query's results.
pub struct Hits {
    /// Id for re-querying with another region.
    pub query_id: String,
    /// Product ids with similarity, best first.
    pub products: Vec<(String, f32)>,
}

/// The embedding of one photo's centre square, as catalog items and queries are embedded.
pub fn embed_image(
    embedder: &Embedder,
    image: &DynamicImage,
    crop: CropBox,
) -> Result<Vec<f32>, SearchError> {
    let pixels = square_pixels(image, crop, INPUT as u32)?;
    Ok(embedder.embed(&pixels, INPUT, INPUT)?)
}

/// The similarity from which a result counts as a close match for the photo (`close` in the
/// answer); a widget told that no result is close says so above the nearest ones. Set from
/// `live-shop-eval`'s figures: with this model, photos of nothing the catalog holds reached at
/// most 0.40 and half of the generated queries of its products over 0.59; 0.45 keeps a margin
/// over the first while calling most of the second close.
pub const CLOSE_MATCH: f32 = 0.45;

/// The profile this backend asks the widget for: the model reads a region's centre square at
/// 224 × 224, so anything larger only costs the shopper upload time.
pub fn preferred_profile() -> String {
    format!("square-{INPUT}")
}

impl VisualSearch {
    /// What `GET /v1/search/image` answers: the preferred profile, then every one accepted.
    pub fn options(&self) -> SearchOptions {
        let preferred = preferred_profile();
        let mut profiles = vec![preferred.clone()];
        profiles.extend(
            live_shop_core::search::PROFILES
                .iter()
                .filter(|p| **p != preferred)
                .map(|p| p.to_string()),
        );
        SearchOptions {
            profile: preferred,
            profiles,
        }
    }

    /// Loads the model and the saved index, or builds the index from the catalog's photos, under
    /// `media` or fetched from their `http(s)` address (a shop's CDN), printing progress, and
    /// saves it at `saved`. Blocking: call it before serving, or off the async runtime.
    pub fn open(
        model: &Path,
        catalog: &Catalog,
        media: &Path,
        saved: Option<&Path>,
    ) -> Result<Self, String> {
        let embedder = Embedder::load(model).map_err(|e| e.to_string())?;
        let model_size = std::fs::metadata(model).map(|m| m.len()).unwrap_or(0);
        // Each product with the photo it is indexed by: a new photo means a new embedding.
        let items: Vec<String> = catalog
            .products
            .iter()
            .map(|p| format!("{}={}", p.id, p.images.first().map_or("", String::as_str)))
            .collect();
        let fingerprint = format!("v2 model {model_size} items {}", items.join(","));
        if let Some(index) = saved.and_then(|path| load_index(path, &fingerprint)) {
            eprintln!(
                "visual search: {} products from {}",
                index.len(),
                saved.map_or(PathBuf::new(), Path::to_path_buf).display()
            );
            return Ok(Self::new(embedder, Box::new(index)));
        }
        let mut index = BruteForce {
            fingerprint,
            items: Vec::new(),
        };
        let total = catalog.products.len();
        let agent = crate::fetch::agent();
        for (n, product) in catalog.products.iter().enumerate() {
            let Some(src) = product.images.first() else {
                continue;
            };
            let path = src.as_str();
            let bytes = match src.strip_prefix("/media/") {
                Some(file) if !file.split('/').any(|part| part == "..") => {
                    std::fs::read(media.join(file)).map_err(|e| e.to_string())
                }
                // A shop's photo on its CDN, fetched once: the index is saved with it.
                _ if crate::fetch::is_url(src) => crate::fetch::get(&agent, src, MAX_PHOTO_BYTES),
                _ => Err("not a photo under /media/ nor an http(s) address".into()),
            };
            let embedded = bytes
                .and_then(|bytes| decode(&bytes, &PrepLimits::default()).map_err(|e| e.to_string()))
                .and_then(|d| {
                    embed_image(&embedder, &d.image, CropBox::FULL).map_err(|e| e.to_string())
                });
            match embedded {
                Ok(vector) => index.items.push((product.id.clone(), vector)),
                Err(e) => eprintln!("visual search: skipping {} ({path}): {e}", product.id),
            }
            eprint!("\rvisual search: indexing {}/{total}", n + 1);
        }
        eprintln!();
        let unindexed = total - index.items.len();
        if unindexed > 0 {
            eprintln!(
                "visual search: {unindexed} of {total} products are not searchable by photo (no photo, or one that could not be read)"
            );
        }
        if let Some(path) = saved {
            if let Err(e) = save_index(path, &index) {
                eprintln!(
                    "visual search: cannot save the index to {}: {e}",
                    path.display()
                );
            }
        }
        Ok(Self::new(embedder, Box::new(index)))
    }

    /// A search over a given index.
    pub fn new(embedder: Embedder, index: Box<dyn VectorIndex>) -> Self {
        Self {
            embedder,
            index,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// How many products are indexed.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Searches with an uploaded image, or with a recent query's image when `bytes` is `None`
    /// and `query_id` names one. `Ok(None)`: that query is no longer held.
    pub fn search(
        &self,
        bytes: Option<&[u8]>,
        query_id: Option<&str>,
        crop: CropBox,
        k: usize,
    ) -> Result<Option<Hits>, SearchError> {
        let (query_id, image) = match (bytes, query_id) {
            (Some(bytes), _) => {
                let image = decode(bytes, &PrepLimits::default())?.image;
                let id = format!("{:016x}", fnv1a(bytes));
                let mut recent = self
                    .recent
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                recent.retain(|(k, _)| *k != id);
                if recent.len() == RECENT_QUERIES {
                    recent.pop_front();
                }
                recent.push_back((id.clone(), image.clone()));
                (id, image)
            }
            (None, Some(id)) => {
                let recent = self
                    .recent
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match recent.iter().find(|(k, _)| k == id) {
                    Some((_, image)) => (id.to_string(), image.clone()),
                    None => return Ok(None),
                }
            }
            (None, None) => return Ok(None),
        };
        let vector = embed_image(&self.embedder, &image, crop)?;
        Ok(Some(Hits {
            query_id,
            products: self.index.nearest(&vector, k),
        }))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn load_index(path: &Path, fingerprint: &str) -> Option<BruteForce> {
    let index: BruteForce = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (index.fingerprint == fingerprint).then_some(index)
}

fn save_index(path: &Path, index: &BruteForce) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, serde_json::to_vec(index)?)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brute_force_ranks_by_cosine() {
        let index = BruteForce {
            fingerprint: String::new(),
            items: vec![
                ("a".into(), vec![1.0, 0.0]),
                ("b".into(), vec![0.6, 0.8]),
                ("c".into(), vec![0.0, 1.0]),
            ],
        };
        // Cosines with (0.8, 0.6): a 0.8, b 0.96, c 0.6.
        let hits = index.nearest(&[0.8, 0.6], 2);
        assert_eq!(
            hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert!((hits[0].1 - 0.96).abs() < 1e-6 && (hits[1].1 - 0.8).abs() < 1e-6);
        assert_eq!(index.len(), 3);
    }
}
