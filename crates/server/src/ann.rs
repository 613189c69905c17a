//! An approximate nearest-neighbour index for catalogs past what a scan answers quickly: HNSW
//! (usearch), cosine on vectors kept as `i8`, saved to a file and reloaded. The exact
//! [`BruteForce`](crate::search::BruteForce) stays the reference it is measured against
//! (`scripts/bench-ann.sh`), and serves catalogs below [`ANN_FROM`] products.
use std::path::Path;

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::search::VectorIndex;

/// From this many products visual search uses the HNSW index rather than a scan.
pub const ANN_FROM: usize = 20_000;

/// Graph links per node, and the candidates weighed while adding and while searching, set from
/// the 1,000,000-vector benchmark: weighing 256 while searching gave recall@10 0.990 at 2.3 ms
/// p99 on one thread (64: 0.981 at 1.3 ms; 512: 0.991 at 3.9 ms).
const CONNECTIVITY: usize = 16;
const EXPANSION_ADD: usize = 128;

/// The layout of a saved graph: its metric, its quantisation ([`quantized`]; rename it when
/// that changes) and its build settings. A graph saved with another is built again.
pub fn graph_format() -> String {
    format!("usearch cos i8-maxabs m{CONNECTIVITY} ef{EXPANSION_ADD}")
}
/// Candidates weighed while searching.
pub const EXPANSION_SEARCH: usize = 256;

/// Why the index could not be built, saved or loaded.
#[derive(Debug, thiserror::Error)]
#[error("the nearest-neighbour index: {0}")]
pub struct AnnError(String);

/// usearch's errors (C++ exceptions) in words.
fn failed(e: impl std::fmt::Display) -> AnnError {
    AnnError(e.to_string())
}

/// HNSW over `dimensions`-d vectors; each item's id by its key (its position).
pub struct Hnsw {
    index: Index,
    ids: Vec<String>,
}

impl std::fmt::Debug for Hnsw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hnsw")
            .field("items", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl Hnsw {
    /// An empty index with room for `capacity` vectors of `dimensions`, to be added from up to
    /// `threads` threads at once.
    pub fn with_capacity(
        dimensions: usize,
        capacity: usize,
        threads: usize,
    ) -> Result<Self, AnnError> {
        let index = Index::new(&IndexOptions {
            dimensions,
            metric: MetricKind::Cos,
            quantization: ScalarKind::I8,
            connectivity: CONNECTIVITY,
            expansion_add: EXPANSION_ADD,
            expansion_search: EXPANSION_SEARCH,
            multi: false,
        })
        .map_err(failed)?;
        index
            .reserve_capacity_and_threads(capacity, threads.max(1))
            .map_err(failed)?;
        Ok(Self {
            index,
            ids: Vec::new(),
        })
    }

    /// Adds the vector with key `key`; safe from several threads at once.
    pub fn add(&self, key: u64, vector: &[f32]) -> Result<(), AnnError> {
        self.index.add(key, &quantized(vector)).map_err(failed)
    }

    /// Names key `n` by `ids[n]`.
    pub fn set_ids(&mut self, ids: Vec<String>) {
        self.ids = ids;
    }

    /// An index of `items`, built on every core.
    pub fn build(items: Vec<(String, Vec<f32>)>) -> Result<Self, AnnError> {
        let dimensions = items.first().map_or(1, |(_, v)| v.len());
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut index = Self::with_capacity(dimensions, items.len(), threads)?;
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, vector)) = items.get(n) else {
                            return Ok(());
                        };
                        index.add(n as u64, vector)?;
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(AnnError("a thread failed".into())))
            })
        })?;
        index.set_ids(items.into_iter().map(|(id, _)| id).collect());
        Ok(index)
    }

    /// The `k` nearest keys to `query` and their cosine similarities, best first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<(u64, f32)>, AnnError> {
        let found = self.index.search(&quantized(query), k).map_err(failed)?;
        Ok(found
            .keys
            .into_iter()
            .zip(found.distances)
            .map(|(key, distance)| (key, 1.0 - distance))
            .collect())
    }

    /// Weighs `candidates` while searching from now on (more: better recall, slower).
    pub fn set_expansion_search(&self, candidates: usize) {
        self.index.change_expansion_search(candidates);
    }

    /// Bytes the index holds in memory.
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }

    /// Saves the graph and its vectors to `path`.
    pub fn save(&self, path: &Path) -> Result<(), AnnError> {
        self.index.save(&path.to_string_lossy()).map_err(failed)
    }

    /// Loads an index saved by [`save`](Self::save), whose keys name `ids`; its size must match.
    pub fn load(path: &Path, dimensions: usize, ids: Vec<String>) -> Result<Self, AnnError> {
        let mut index = Self::with_capacity(dimensions, 0, 1)?;
        index.index.load(&path.to_string_lossy()).map_err(failed)?;
        if index.index.size() != ids.len() || index.index.dimensions() != dimensions {
            return Err(AnnError(format!(
                "{} holds {} vectors of {} dimensions, not {} of {dimensions}",
                path.display(),
                index.index.size(),
                index.index.dimensions(),
                ids.len()
            )));
        }
        index.set_ids(ids);
        Ok(index)
    }
}

/// `vector` as `i8`, its largest component at ±127. Cosine does not see the scale, so each
/// vector gets the finest steps it can. (usearch's own cast scales the unit vector by 127: the
/// components of a 1280-d unit vector are a few hundredths, which left them 3 or 4 steps and
/// recall@10 at 0.935 on the million-vector benchmark.)
fn quantized(vector: &[f32]) -> Vec<i8> {
    let largest = vector.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if largest <= 0.0 || !largest.is_finite() {
        return vec![0; vector.len()];
    }
    vector
        .iter()
        .map(|v| (v * 127.0 / largest).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

impl VectorIndex for Hnsw {
    fn nearest(&self, query: &[f32], k: usize) -> Vec<(String, f32)> {
        self.search(query, k)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, similarity)| {
                let id = self.ids.get(usize::try_from(key).ok()?)?;
                Some((id.clone(), similarity))
            })
            .collect()
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::BruteForce;

    /// `n` unit vectors of `d` dimensions, from a small deterministic generator.
    fn vectors(n: usize, d: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        };
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..d).map(|_| next()).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect()
    }

    #[test]
    fn finds_what_the_exact_scan_finds_and_reloads_the_same() {
        let data = vectors(2_000, 64, 7);
        let items: Vec<(String, Vec<f32>)> = data
            .iter()
            .enumerate()
            .map(|(n, v)| (format!("p{n}"), v.clone()))
            .collect();
        let exact = BruteForce::new(items.clone());
        let index = Hnsw::build(items).unwrap();
        assert_eq!(index.len(), 2_000);
        let queries = vectors(50, 64, 99);
        let mut hits = 0;
        for query in &queries {
            let want: Vec<String> = exact.nearest(query, 10).into_iter().map(|h| h.0).collect();
            let got = index.nearest(query, 10);
            hits += got.iter().filter(|(id, _)| want.contains(id)).count();
            // Similarities are cosines, as the scan's are (within i8 rounding).
            let (best_id, best) = &got[0];
            let exact_best = exact
                .nearest(query, 2_000)
                .into_iter()
                .find(|(id, _)| id == best_id)
                .unwrap()
                .1;
            assert!((best - exact_best).abs() < 0.02, "{best} vs {exact_best}");
        }
        let recall = hits as f64 / (queries.len() * 10) as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");

        let path =
            std::env::temp_dir().join(format!("live-shop-hnsw-{}.usearch", std::process::id()));
        index.save(&path).unwrap();
        let ids = (0..2_000).map(|n| format!("p{n}")).collect();
        let reloaded = Hnsw::load(&path, 64, ids).unwrap();
        for query in &queries {
            assert_eq!(reloaded.nearest(query, 10), index.nearest(query, 10));
        }
        let err = Hnsw::load(&path, 64, vec!["p0".into()]).unwrap_err();
        assert!(err.to_string().contains("holds 2000 vectors"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
