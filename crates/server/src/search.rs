//! Visual search: catalog photos and shoppers' queries go through the same preparation
//! (`live_shop_core::prep`) and the same model (`live_shop_embed`), and the nearest products by
//! cosine similarity come back. The index is behind [`VectorIndex`] so a catalog that outgrows one
//! machine can move to an external vector store; this one is brute force, which is exact and
//! fast at a shop's scale, and is saved next to the cache so restarts skip the model.
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use live_shop_core::prep::{
    decode, prepare, square_pixels, CropBox, DynamicImage, PrepError, PrepLimits, Profile,
};
use live_shop_core::protocol::SearchOptions;
use live_shop_embed::{cosine, EmbedError, Embedder, INPUT};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Photo};

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
#[derive(Debug, Default)]
pub struct BruteForce {
    items: Vec<(String, Vec<f32>)>,
}

impl BruteForce {
    /// An index of `(id, embedding)` items.
    pub fn new(items: Vec<(String, Vec<f32>)>) -> Self {
        Self { items }
    }
}

/// The saved index's format; another format is rebuilt.
const INDEX_FORMAT: u32 = 4;

/// How a photo becomes a descriptor, as the saved index records it: an index made by another
/// recipe is rebuilt, not misread. See [`describe`] and [`VisualSearch::search`].
pub const RECIPE: &str = "efficientnet-lite0 head, r-mac gem3 3 levels; catalog-mean centred";

/// The part of a shopper's photo searched when the query gives no box: its centre, where a
/// shopper frames what they photograph (the widget's panel opens with the same box drawn,
/// `Region::SUGGESTED`). Around the product, a shop's shelf or a kitchen table is what the
/// catalog's own photos (product on white) never show.
pub const QUERY_CENTRE: CropBox = CropBox {
    x: 0.2,
    y: 0.2,
    width: 0.6,
    height: 0.6,
};

/// An index as saved between runs: what each embedding was made from, by the bytes' hashes.
#[derive(Debug, Serialize, Deserialize)]
struct SavedIndex {
    format: u32,
    /// [`RECIPE`] when it was made.
    #[serde(default)]
    recipe: String,
    /// SHA-256 of the model file.
    model: String,
    items: Vec<IndexedItem>,
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexedItem {
    id: String,
    /// SHA-256 of the photo's bytes.
    photo: String,
    vector: Vec<f32>,
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a saved HNSW graph must have been built from to be reused: the same products with the
/// same embeddings, in the same order (its keys are positions), in the same graph format.
fn graph_sum(items: &[IndexedItem]) -> String {
    use sha2::Digest;
    let mut sum = sha2::Sha256::new();
    sum.update(crate::ann::graph_format());
    sum.update(RECIPE);
    for item in items {
        sum.update([0]);
        sum.update(&item.id);
        sum.update([0]);
        for v in &item.vector {
            sum.update(v.to_le_bytes());
        }
    }
    hex(&sum.finalize())
}

/// A catalog photo's embedding, made as a query's is: the photo prepared as the widget
/// prepares a shopper's (the `square-224` profile, JPEG under its byte cap), then decoded and
/// embedded by the server as an upload is.
pub fn embed_photo(embedder: &Embedder, bytes: &[u8]) -> Result<Vec<f32>, String> {
    let prepared = prepare(
        bytes,
        Profile::Square224,
        CropBox::FULL,
        &PrepLimits::default(),
    )
    .map_err(|e| e.to_string())?;
    let decoded = decode(&prepared.jpeg, &PrepLimits::default()).map_err(|e| e.to_string())?;
    describe(embedder, &decoded.image, CropBox::FULL).map_err(|e| e.to_string())
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

/// Most bytes of recent uploads kept, so refining the region needs no new upload. Uploads
/// are kept as sent (a prepared query is a few kilobytes), never as decoded pixels.
const RECENT_BYTES: usize = 32 * 1024 * 1024;

/// Largest upload to visual search: the widget's largest profile (`max-1024`, a JPEG under
/// 192 KiB) with room for a client that encodes it less tightly, even as PNG.
pub const UPLOAD_LIMIT: usize = 2 * 1024 * 1024;

/// Limits for a shopper's photo: up to a 16 MP phone photo (4096 × 4096), which a
/// decompression bomb of a few kilobytes claiming 50 MP or more is refused before decoding.
pub const QUERY_LIMITS: PrepLimits = PrepLimits {
    max_bytes: UPLOAD_LIMIT,
    max_pixels: 4096 * 4096,
    max_alloc: 160 * 1024 * 1024,
};

/// Indexing's progress on standard error: one line rewritten in a terminal, a line a tenth of
/// the way in a log.
struct Progress {
    total: usize,
    terminal: bool,
    printed_tenths: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        use std::io::IsTerminal;
        Self {
            total,
            terminal: std::io::stderr().is_terminal(),
            printed_tenths: 0,
        }
    }

    fn line(
        &self,
        done: usize,
        embedded: usize,
        unchanged: usize,
        took: std::time::Duration,
    ) -> String {
        let rate = done as f64 / took.as_secs_f64().max(1e-3);
        let left = (self.total - done.min(self.total)) as f64 / rate.max(1e-3);
        format!(
            "visual search: indexed {done}/{} ({embedded} embedded, {unchanged} unchanged), {rate:.1} photos/s, {left:.0} s left",
            self.total
        )
    }

    fn show(&mut self, done: usize, embedded: usize, unchanged: usize, took: std::time::Duration) {
        if self.terminal {
            eprint!("\r{}", self.line(done, embedded, unchanged, took));
        } else if done * 10 / self.total.max(1) > self.printed_tenths {
            self.printed_tenths = done * 10 / self.total.max(1);
            eprintln!("{}", self.line(done, embedded, unchanged, took));
        }
    }

    fn finish(
        &mut self,
        done: usize,
        embedded: usize,
        unchanged: usize,
        took: std::time::Duration,
    ) {
        if self.terminal {
            eprintln!("\r{}", self.line(done, embedded, unchanged, took));
        } else if self.printed_tenths < 10 {
            eprintln!("{}", self.line(done, embedded, unchanged, took));
        }
    }
}

/// How the index came to be at start-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Indexed {
    /// Photos embedded now: new, changed, or all of them with no saved index or a new model.
    pub embedded: usize,
    /// Embeddings taken from the saved index: same model, same photo bytes.
    pub unchanged: usize,
    /// What answers the nearest-neighbour queries.
    pub vectors: Vectors,
}

/// The kind of [`VectorIndex`] a search runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Vectors {
    /// An exact scan ([`BruteForce`]): catalogs below [`IndexOptions::ann_from`].
    #[default]
    Exact,
    /// An HNSW graph built now.
    GraphBuilt,
    /// The HNSW graph saved beside the index, reloaded: no embedding changed.
    GraphReloaded,
}

/// Where [`VisualSearch::open_with`] finds the photos and keeps what it indexed.
#[derive(Clone, Copy, Debug)]
pub struct IndexOptions<'a> {
    /// The saved index to reuse and update; the HNSW graph is kept beside it (`.usearch`).
    pub saved: Option<&'a Path>,
    /// How far photo fetches may reach.
    pub photos: crate::fetch::Reach,
    /// From how many products on the index is an HNSW graph rather than an exact scan.
    pub ann_from: usize,
}

/// The model, the index, and recent queries.
pub struct VisualSearch {
    /// How the index came to be.
    pub indexed: Indexed,
    /// When a first result is close.
    pub closeness: Closeness,
    embedder: Embedder,
    /// The catalog's mean descriptor ([`centred`]); empty: descriptors are compared as made.
    centre: Vec<f32>,
    /// Products indexed (each by one or more photos).
    products: usize,
    index: Box<dyn VectorIndex>,
    recent: Mutex<Recent>,
    admission: crate::admission::Admission,
}

/// Recent uploads by query id, oldest first, within [`RECENT_BYTES`].
#[derive(Debug, Default)]
struct Recent {
    queries: VecDeque<(String, std::sync::Arc<[u8]>)>,
    bytes: usize,
}

impl Recent {
    fn keep(&mut self, id: &str, upload: &[u8]) {
        if upload.len() > RECENT_BYTES {
            return;
        }
        self.forget(id);
        while self.bytes + upload.len() > RECENT_BYTES {
            match self.queries.pop_front() {
                Some((_, old)) => self.bytes -= old.len(),
                None => return,
            }
        }
        self.bytes += upload.len();
        self.queries.push_back((id.to_string(), upload.into()));
    }

    fn forget(&mut self, id: &str) {
        if let Some(at) = self.queries.iter().position(|(k, _)| k == id) {
            if let Some((_, old)) = self.queries.remove(at) {
                self.bytes -= old.len();
            }
        }
    }

    fn get(&self, id: &str) -> Option<std::sync::Arc<[u8]>> {
        self.queries
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, bytes)| bytes.clone())
    }
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
    /// Products, best first.
    pub products: Vec<Hit>,
}

/// One result of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The product's id.
    pub id: String,
    /// Cosine similarity of the photo's descriptor and the product's.
    pub similarity: f32,
    /// Whether this is taken to be the product in the photo ([`Closeness`]).
    pub close: bool,
}

/// The descriptor of the crop box's centre square, as catalog items and queries are described
/// ([`RECIPE`]): the network's last feature map pooled by regions (R-MAC with generalised
/// means), not averaged as one. Not yet centred on the catalog: [`VisualSearch`] does that.
pub fn describe(
    embedder: &Embedder,
    image: &DynamicImage,
    crop: CropBox,
) -> Result<Vec<f32>, SearchError> {
    let pixels = square_pixels(image, crop, INPUT as u32)?;
    let map = embedder
        .feature_maps(&[&pixels], INPUT)?
        .pop()
        .ok_or_else(|| EmbedError::Input("no feature map".into()))?;
    Ok(map.rmac(3.0, 3))
}

/// Most photos of one product indexed: a product page's gallery, not every variant's.
pub const PHOTOS_PER_PRODUCT: usize = 8;

/// Fewest products whose mean descriptor is taken as the catalog's ([`centred`]).
const MIN_TO_CENTRE: usize = 8;

/// A descriptor moved by the catalog's mean and scaled to unit length: what every descriptor
/// shares (the look of any product photo) drops out, and what sets products apart remains.
/// Learnt from the catalog at indexing time, without labels.
fn centred(mut vector: Vec<f32>, centre: &[f32]) -> Vec<f32> {
    for (v, c) in vector.iter_mut().zip(centre) {
        *v -= c;
    }
    live_shop_embed::normalised(vector)
}

/// When the first result is taken to be the product in the photo (`close` in the answer): a
/// widget shows it as "This one" instead of "Similar products". Decided from the first two
/// results, not one fixed similarity: a clear lead over the second says more than a high score
/// in a catalog of look-alikes. Set from `live-shop-eval-shoppers`' figures on shoppers' photos
/// (precision at least 0.90 on the development set); only the first result can be close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Closeness {
    /// The first result's similarity at least.
    pub similarity: f32,
    /// Its lead over the second at least.
    pub margin: f32,
}

impl Closeness {
    /// The thresholds for this model and [`RECIPE`].
    pub const DEFAULT: Closeness = Closeness {
        similarity: 0.30,
        margin: 0.15,
    };

    /// Whether a first result of `first` ahead of a second of `second` (none: nothing else
    /// indexed) is close.
    pub fn judge(&self, first: f32, second: Option<f32>) -> bool {
        first >= self.similarity && second.is_none_or(|s| first - s >= self.margin)
    }
}

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

    /// Loads the model and indexes the catalog's photos, under `media` or fetched from their
    /// address (a shop's CDN, as far as `photos` reaches), printing progress. With `saved`, the
    /// index is saved there and reused: a product's embedding is reused while the model's
    /// bytes and its photo's bytes are the same, so a restart embeds only new or changed
    /// photos. Blocking: call it before serving, or off the async runtime.
    pub fn open(
        model: &Path,
        catalog: &Catalog,
        media: &Path,
        saved: Option<&Path>,
        photos: crate::fetch::Reach,
    ) -> Result<Self, String> {
        let options = IndexOptions {
            saved,
            photos,
            ann_from: crate::ann::ANN_FROM,
        };
        Self::open_with(model, catalog, media, options)
    }

    /// [`VisualSearch::open`], with every choice named.
    pub fn open_with(
        model: &Path,
        catalog: &Catalog,
        media: &Path,
        options: IndexOptions,
    ) -> Result<Self, String> {
        let IndexOptions {
            saved,
            photos,
            ann_from,
        } = options;
        let model_bytes =
            std::fs::read(model).map_err(|e| format!("cannot read {}: {e}", model.display()))?;
        let embedder = Embedder::load(model).map_err(|e| e.to_string())?;
        let model_hash = sha256(&model_bytes);
        drop(model_bytes);
        let reusable: HashMap<(String, String), Vec<f32>> = saved
            .and_then(load_index)
            .filter(|index| {
                index.format == INDEX_FORMAT && index.model == model_hash && index.recipe == RECIPE
            })
            .map(|index| {
                index
                    .items
                    .into_iter()
                    .map(|item| ((item.id, item.photo), item.vector))
                    .collect()
            })
            .unwrap_or_default();
        let mut index = SavedIndex {
            format: INDEX_FORMAT,
            recipe: RECIPE.into(),
            model: model_hash,
            items: Vec::new(),
        };
        let total = catalog.products.len();
        let agent = crate::fetch::agent(photos);
        // Each product on one of the cores. Results keep catalog order.
        let reusable = Mutex::new(reusable);
        let next = AtomicUsize::new(0);
        let (embedded, reused, done) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        // One photo: read or fetched, hashed, and embedded unless the saved index has it.
        let index_photo = |product: &live_shop_core::protocol::Product, src: &str| {
            let bytes = match Photo::of(src) {
                Photo::Media(file) => std::fs::read(media.join(file)).map_err(|e| e.to_string()),
                Photo::Remote(url) => crate::fetch::get(&agent, url, MAX_PHOTO_BYTES),
                Photo::Escapes(_) => Err("a path that leaves the media folder".into()),
                Photo::Other(_) => Err("not a photo under /media/ nor an http(s) address".into()),
            }
            .map_err(|e| format!("{src}: {e}"))?;
            let hash = sha256(&bytes);
            let saved = reusable
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&(product.id.clone(), hash.clone()));
            let vector = match saved {
                Some(vector) => {
                    reused.fetch_add(1, Ordering::Relaxed);
                    vector
                }
                None => {
                    let vector =
                        embed_photo(&embedder, &bytes).map_err(|e| format!("{src}: {e}"))?;
                    embedded.fetch_add(1, Ordering::Relaxed);
                    vector
                }
            };
            Ok::<_, String>(IndexedItem {
                id: product.id.clone(),
                photo: hash,
                vector,
            })
        };
        // Every photo a product lists (up to PHOTOS_PER_PRODUCT), one after another on this
        // core: a shopper's photo may look like any of them. A photo that cannot be read is
        // told and skipped; the product is searchable by the others.
        let index_one = |product: &live_shop_core::protocol::Product| {
            if product.images.is_empty() {
                return Err("no photo".to_string());
            }
            let mut items = Vec::new();
            let mut problems = Vec::new();
            for src in product.images.iter().take(PHOTOS_PER_PRODUCT) {
                match index_photo(product, src) {
                    Ok(item) => items.push(item),
                    Err(e) => problems.push(e),
                }
            }
            if items.is_empty() {
                return Err(problems.join("; "));
            }
            for problem in problems {
                eprintln!("visual search: {}: skipping a photo: {problem}", product.id);
            }
            Ok(items)
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let started = std::time::Instant::now();
        let mut results: Vec<(usize, Result<Vec<IndexedItem>, String>)> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..cores.min(total.max(1)))
                    .map(|_| {
                        scope.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                let n = next.fetch_add(1, Ordering::Relaxed);
                                let Some(product) = catalog.products.get(n) else {
                                    break;
                                };
                                mine.push((n, index_one(product)));
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            mine
                        })
                    })
                    .collect();
                let mut progress = Progress::new(total);
                while workers.iter().any(|w| !w.is_finished()) {
                    progress.show(
                        done.load(Ordering::Relaxed),
                        embedded.load(Ordering::Relaxed),
                        reused.load(Ordering::Relaxed),
                        started.elapsed(),
                    );
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                progress.finish(
                    done.load(Ordering::Relaxed),
                    embedded.load(Ordering::Relaxed),
                    reused.load(Ordering::Relaxed),
                    started.elapsed(),
                );
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_default())
                    .collect()
            });
        results.sort_by_key(|(n, _)| *n);
        for (n, result) in results {
            match result {
                Ok(items) => index.items.extend(items),
                Err(e) => {
                    let id = catalog.products.get(n).map_or("", |p| p.id.as_str());
                    eprintln!("visual search: skipping {id}: {e}");
                }
            }
        }
        let (embedded, reused) = (embedded.into_inner(), reused.into_inner());
        let reusable = reusable
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let products = {
            let mut ids: Vec<&str> = index.items.iter().map(|i| i.id.as_str()).collect();
            ids.dedup();
            ids.len()
        };
        let unindexed = total - products;
        if unindexed > 0 {
            eprintln!(
                "visual search: {unindexed} of {total} products are not searchable by photo (no photo, or one that could not be read)"
            );
        }
        if let Some(path) = saved.filter(|_| embedded > 0 || !reusable.is_empty()) {
            if let Err(e) = save_index(path, &index) {
                eprintln!(
                    "visual search: cannot save the index to {}: {e}",
                    path.display()
                );
            }
        }
        let graph_sum = graph_sum(&index.items);
        // A mean of a handful of products would be mostly those products themselves.
        let centre = if index.items.len() >= MIN_TO_CENTRE {
            mean(index.items.iter().map(|item| item.vector.as_slice()))
        } else {
            Vec::new()
        };
        let items: Vec<(String, Vec<f32>)> = index
            .items
            .into_iter()
            .map(|item| (item.id, centred(item.vector, &centre)))
            .collect();
        let (vectors, kind): (Box<dyn VectorIndex>, Vectors) = if items.len() >= ann_from.max(1) {
            let graph = saved.map(Graph::beside);
            let dimensions = items.first().map_or(0, |(_, v)| v.len());
            let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
            let started = std::time::Instant::now();
            let count = items.len();
            let reloaded = graph
                .as_ref()
                .filter(|graph| graph.built_from(&graph_sum))
                .and_then(|graph| crate::ann::Hnsw::load(&graph.path, dimensions, ids).ok());
            let (hnsw, kind) = match reloaded {
                Some(hnsw) => (hnsw, Vectors::GraphReloaded),
                None => {
                    let hnsw = crate::ann::Hnsw::build(items).map_err(|e| e.to_string())?;
                    if let Some(graph) = &graph {
                        if let Err(e) = graph.save(&hnsw, &graph_sum) {
                            eprintln!("visual search: cannot save {}: {e}", graph.path.display());
                        }
                    }
                    (hnsw, Vectors::GraphBuilt)
                }
            };
            eprintln!(
                "visual search: {count} products in an HNSW index, ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            (Box::new(hnsw), kind)
        } else {
            (Box::new(BruteForce { items }), Vectors::Exact)
        };
        let mut search = Self::new(embedder, vectors);
        search.centre = centre;
        search.products = products;
        search.indexed = Indexed {
            embedded,
            unchanged: reused,
            vectors: kind,
        };
        Ok(search)
    }

    /// A search over a given index.
    pub fn new(embedder: Embedder, index: Box<dyn VectorIndex>) -> Self {
        Self {
            indexed: Indexed::default(),
            closeness: Closeness::DEFAULT,
            embedder,
            centre: Vec::new(),
            products: index.len(),
            index,
            recent: Mutex::new(Recent::default()),
            admission: crate::admission::Admission::new(
                crate::admission::Policy::for_this_machine(),
            ),
        }
    }

    /// Admits searches by `policy` from now on.
    pub fn set_admission(&mut self, policy: crate::admission::Policy) {
        self.admission = crate::admission::Admission::new(policy);
    }

    /// Keeps each client's pace in Redis, shared by every instance on `bus`.
    pub fn share_pace(&mut self, bus: std::sync::Arc<crate::bus::RedisBus>) {
        self.admission.share_pace(bus);
    }

    /// Who gets a search now.
    pub fn admission(&self) -> &crate::admission::Admission {
        &self.admission
    }

    /// Bytes of uploads held for re-querying.
    pub fn recent_bytes(&self) -> usize {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .bytes
    }

    /// How many products are indexed.
    pub fn len(&self) -> usize {
        self.products
    }

    /// How many photos are indexed (a product's every photo).
    pub fn photos(&self) -> usize {
        self.index.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Searches `crop` of an uploaded image, or of a recent query's image when `bytes` is
    /// `None` and `query_id` names one; no crop: [`QUERY_CENTRE`]. `Ok(None)`: that query is no
    /// longer held.
    pub fn search(
        &self,
        bytes: Option<&[u8]>,
        query_id: Option<&str>,
        crop: Option<CropBox>,
        k: usize,
    ) -> Result<Option<Hits>, SearchError> {
        let recent = || {
            self.recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let (query_id, image) = match (bytes, query_id) {
            (Some(bytes), _) => {
                let image = decode(bytes, &QUERY_LIMITS)?.image;
                let id = format!("{:016x}", fnv1a(bytes));
                recent().keep(&id, bytes);
                (id, image)
            }
            (None, Some(id)) => {
                let Some(bytes) = recent().get(id) else {
                    return Ok(None);
                };
                (id.to_string(), decode(&bytes, &QUERY_LIMITS)?.image)
            }
            (None, None) => return Ok(None),
        };
        // No box given: the photo's centre.
        let crop = crop.unwrap_or(QUERY_CENTRE);
        let mut vector = describe(&self.embedder, &image, crop)?;
        if !self.centre.is_empty() {
            vector = centred(vector, &self.centre);
        }
        // Each product once, by its best photo: photos past the first of a product are
        // skipped, so ask for more.
        let wanted = k.max(2);
        let mut nearest = self.index.nearest(&vector, wanted * PHOTOS_PER_PRODUCT);
        let mut seen = std::collections::HashSet::new();
        nearest.retain(|(id, _)| seen.insert(id.clone()));
        nearest.truncate(wanted);
        let close = match (nearest.first(), nearest.get(1)) {
            (Some(first), second) => self.closeness.judge(first.1, second.map(|s| s.1)),
            (None, _) => false,
        };
        Ok(Some(Hits {
            query_id,
            products: nearest
                .into_iter()
                .take(k)
                .enumerate()
                .map(|(i, (id, similarity))| Hit {
                    id,
                    similarity,
                    close: i == 0 && close,
                })
                .collect(),
        }))
    }
}

/// The mean of `vectors` (empty for none).
fn mean<'a>(vectors: impl Iterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut sum: Vec<f32> = Vec::new();
    let mut n = 0usize;
    for v in vectors {
        if sum.is_empty() {
            sum = vec![0.0; v.len()];
        }
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
        n += 1;
    }
    for s in &mut sum {
        *s /= n as f32;
    }
    sum
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The HNSW graph saved beside an index (`index.usearch`), with the fingerprint of the items it
/// was built from (`index.usearch.sha256`).
struct Graph {
    path: std::path::PathBuf,
    sum: std::path::PathBuf,
}

impl Graph {
    fn beside(index: &Path) -> Self {
        let path = index.with_extension("usearch");
        let sum = index.with_extension("usearch.sha256");
        Self { path, sum }
    }

    /// Whether the saved graph was built from the items `sum` names.
    fn built_from(&self, sum: &str) -> bool {
        std::fs::read_to_string(&self.sum).is_ok_and(|saved| saved.trim() == sum)
    }

    /// Saves `hnsw`, then its fingerprint: a graph cut short by a crash has none, and is built
    /// again.
    fn save(&self, hnsw: &crate::ann::Hnsw, sum: &str) -> Result<(), String> {
        match std::fs::remove_file(&self.sum) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.to_string()),
            _ => {}
        }
        hnsw.save(&self.path).map_err(|e| e.to_string())?;
        std::fs::write(&self.sum, sum).map_err(|e| e.to_string())
    }
}

fn load_index(path: &Path) -> Option<SavedIndex> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn save_index(path: &Path, index: &SavedIndex) -> std::io::Result<()> {
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
    fn recent_uploads_are_kept_as_bytes_within_their_cap() {
        let mut recent = Recent::default();
        let third = vec![7u8; RECENT_BYTES / 3 + 1];
        for id in ["a", "b", "c"] {
            recent.keep(id, &third);
        }
        // Three thirds and a byte do not fit: the oldest went.
        assert_eq!(recent.bytes, 2 * third.len());
        assert!(recent.get("a").is_none());
        assert_eq!(recent.get("c").as_deref(), Some(&third[..]));
        // The same query again is kept once, as the newest.
        recent.keep("b", &third);
        assert_eq!(recent.bytes, 2 * third.len());
        recent.keep("d", &[1, 2, 3]);
        assert!(recent.get("c").is_some() && recent.get("b").is_some());
        assert_eq!(recent.bytes, 2 * third.len() + 3);
        // An upload larger than the cap is not kept, and nothing else is lost for it.
        recent.keep("huge", &vec![0u8; RECENT_BYTES + 1]);
        assert!(recent.get("huge").is_none());
        assert!(recent.bytes <= RECENT_BYTES);
    }

    #[test]
    fn a_first_result_is_close_by_its_lead_not_its_score_alone() {
        let judge = Closeness {
            similarity: 0.3,
            margin: 0.15,
        };
        assert!(judge.judge(0.5, Some(0.3)));
        // High, but a look-alike is as high: not sure which one it is.
        assert!(!judge.judge(0.9, Some(0.8)));
        // Far ahead of a distant field, but itself distant.
        assert!(!judge.judge(0.25, Some(0.0)));
        // Nothing else indexed: its score decides.
        assert!(judge.judge(0.31, None));
    }

    #[test]
    fn without_a_box_the_backend_searches_the_box_the_widget_suggests() {
        assert_eq!(
            QUERY_CENTRE,
            CropBox::from(live_shop_core::search::Region::SUGGESTED)
        );
    }

    #[test]
    fn centring_removes_what_every_product_shares() {
        let items = [vec![1.0, 0.9, 0.0], vec![1.0, 0.0, 0.9]];
        let centre = mean(items.iter().map(Vec::as_slice));
        assert_eq!(centre, vec![1.0, 0.45, 0.45]);
        let [a, b] = items.map(|v| centred(v, &centre));
        // Alike before (cosine 0.5 of their unit vectors), opposite after.
        assert!((cosine(&a, &b) + 1.0).abs() < 1e-6, "{a:?} {b:?}");
    }

    #[test]
    fn brute_force_ranks_by_cosine() {
        let index = BruteForce {
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
