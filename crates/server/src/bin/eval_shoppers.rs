//! `live-shop-eval-shoppers`: visual search on shoppers' own photos. The catalog is a set of
//! web-shop product shots; the queries are phone photos of the same products taken in shops
//! (`../shared/grocery-val`: the Grocery Store Dataset's iconic images and validation photos,
//! MIT licence). The catalog is indexed by the server's own indexing path, and every photo is
//! searched through the server's search path: raw with no box, as an API client sends it, and
//! as the widget sends it, the panel's suggested box prepared by each upload profile. Prints recall@1/5/10 and MRR per group (packaged goods,
//! fruit, vegetables, all), search latency, and how far `close` can be trusted; exits 1 when a
//! target is missed.
//!
//! Usage: `live-shop-eval-shoppers [--data DIR] [--model FILE]`
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use live_shop_core::prep::{prepare, CropBox, PrepLimits, Profile};
use live_shop_core::protocol::Product;
use live_shop_core::search::Region;
use live_shop_server::catalog::Catalog;
use live_shop_server::search::{preferred_profile, VisualSearch};

/// The groups the figures are given for, as the data set's folders name them.
const GROUPS: [&str; 3] = ["Packages", "Fruit", "Vegetables"];

/// Targets on the profile this backend asks for: (group, recall@1, recall@5).
const RECALL_TARGETS: [(&str, f64, f64); 2] = [("Packages", 0.85, 0.97), ("all", 0.60, 0.90)];
/// Of the first results called close, at least this share must be the right product.
const CLOSE_PRECISION_TARGET: f64 = 0.90;

struct Query {
    path: PathBuf,
    product: String,
    group: String,
}

/// One way of sending the photo: raw, or prepared by a profile.
#[derive(Default)]
struct Score {
    ranks: BTreeMap<String, Vec<Option<usize>>>,
    /// (first result right, first result called close).
    first: Vec<(bool, bool)>,
    /// (first result right, its similarity, the second's).
    leads: Vec<(bool, f32, Option<f32>)>,
    took: Vec<Duration>,
    bytes: usize,
}

impl Score {
    fn add(&mut self, group: &str, rank: Option<usize>) {
        for g in [group, "all"] {
            self.ranks.entry(g.to_string()).or_default().push(rank);
        }
    }

    fn ranks(&self, group: &str) -> &[Option<usize>] {
        self.ranks.get(group).map_or(&[], Vec::as_slice)
    }

    fn recall(&self, group: &str, k: usize) -> f64 {
        let ranks = self.ranks(group);
        ranks.iter().filter(|r| r.is_some_and(|r| r < k)).count() as f64 / ranks.len() as f64
    }

    fn mrr(&self, group: &str) -> f64 {
        let ranks = self.ranks(group);
        ranks
            .iter()
            .map(|r| r.map_or(0.0, |r| 1.0 / (r as f64 + 1.0)))
            .sum::<f64>()
            / ranks.len() as f64
    }

    /// Precision and recall of `close` on first results: of those called close, how many are
    /// right; of those right, how many are called close.
    fn close(&self) -> (f64, f64, usize) {
        let called = self.first.iter().filter(|(_, c)| *c).count();
        let right_called = self.first.iter().filter(|(r, c)| *r && *c).count();
        let right = self.first.iter().filter(|(r, _)| *r).count();
        (
            right_called as f64 / called.max(1) as f64,
            right_called as f64 / right.max(1) as f64,
            called,
        )
    }

    fn latency(&mut self, p: usize) -> f64 {
        self.took.sort();
        let at = (self.took.len().saturating_sub(1)) * p / 100;
        self.took
            .get(at)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

fn read_catalog(data: &Path) -> Result<(Catalog, BTreeMap<String, String>), String> {
    let classes = data.join("classes.csv");
    let text = std::fs::read_to_string(&classes).map_err(|e| {
        format!(
            "{}: {e} (see ../shared/grocery-val/README.md)",
            classes.display()
        )
    })?;
    let mut products = Vec::new();
    let mut groups = BTreeMap::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [name, _id, _coarse, _coarse_id, iconic, ..] = fields[..] else {
            return Err(format!(
                "{}: a line of fewer fields: {line}",
                classes.display()
            ));
        };
        let group = iconic.split('/').nth(2).unwrap_or_default().to_string();
        groups.insert(name.to_string(), group);
        products.push(Product {
            id: name.to_string(),
            title: name.replace('-', " "),
            brand: None,
            images: vec![format!("/media{iconic}")],
            offers: Vec::new(),
            url: None,
            variant_id: None,
        });
    }
    Ok((Catalog::from_parts(products, 1), groups))
}

fn read_queries(data: &Path, catalog: &Catalog) -> Result<Vec<Query>, String> {
    let list = data.join("val.txt");
    let text = std::fs::read_to_string(&list).map_err(|e| format!("{}: {e}", list.display()))?;
    let mut queries = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (Some(path), Some(id)) = (fields.first(), fields.get(1)) else {
            return Err(format!("{}: {line}", list.display()));
        };
        let index: usize = id
            .parse()
            .map_err(|_| format!("{}: {line}", list.display()))?;
        let product = catalog
            .products
            .get(index)
            .ok_or_else(|| format!("{}: no class {index}", list.display()))?;
        queries.push(Query {
            path: data.join(path),
            product: product.id.clone(),
            group: path.split('/').nth(1).unwrap_or_default().to_string(),
        });
    }
    Ok(queries)
}

fn run() -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut data = root.join("../shared/grocery-val/dataset");
    let cache = std::env::var_os("LIVE_SHOP_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/live-shop")))
        .unwrap_or_else(|| PathBuf::from(".cache/live-shop"));
    let mut model = cache.join("models/efficientnet-lite0.safetensors");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().ok_or("--data needs a folder")?.into(),
            "--model" => model = args.next().ok_or("--model needs a file")?.into(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let (catalog, groups) = read_catalog(&data)?;
    let queries = read_queries(&data, &catalog)?;
    let started = Instant::now();
    let search = VisualSearch::open(
        &model,
        &catalog,
        &data,
        None,
        live_shop_server::fetch::Reach::PublicHttps,
    )?;
    let indexing = started.elapsed();
    println!(
        "shoppers' photos: {} products indexed in {:.1} s ({:.0} ms a product on {} cores), {} queries",
        search.len(),
        indexing.as_secs_f64(),
        indexing.as_secs_f64() * 1000.0 / search.len().max(1) as f64,
        std::thread::available_parallelism().map_or(1, usize::from),
        queries.len()
    );
    let per_group: BTreeMap<&str, usize> = queries.iter().fold(BTreeMap::new(), |mut m, q| {
        *m.entry(q.group.as_str()).or_default() += 1;
        m
    });
    let catalog_groups: BTreeMap<&str, usize> =
        groups.values().fold(BTreeMap::new(), |mut m, g| {
            *m.entry(g.as_str()).or_default() += 1;
            m
        });
    println!("  queries by group {per_group:?}; products by group {catalog_groups:?}");
    let modes: Vec<Option<Profile>> = std::iter::once(None)
        .chain(Profile::ALL.map(Some))
        .collect();
    let mut scores: Vec<Score> = modes.iter().map(|_| Score::default()).collect();
    for (i, query) in queries.iter().enumerate() {
        let bytes =
            std::fs::read(&query.path).map_err(|e| format!("{}: {e}", query.path.display()))?;
        for (mode, score) in modes.iter().zip(scores.iter_mut()) {
            // The raw photo as an API client sends it, with no box: the backend picks the part
            // to search. Through a profile as the widget sends it: the box the panel opens
            // with, prepared, and the upload searched whole.
            let (upload, crop) = match mode {
                None => (bytes.clone(), None),
                Some(profile) => {
                    let region = CropBox::from(Region::SUGGESTED);
                    let prepared = prepare(&bytes, *profile, region, &PrepLimits::default())
                        .map_err(|e| format!("{}: {e}", query.path.display()))?;
                    (prepared.jpeg, Some(CropBox::FULL))
                }
            };
            let asked = Instant::now();
            let hits = search
                .search(Some(&upload), None, crop, 10)
                .map_err(|e| format!("{}: {e}", query.path.display()))?
                .ok_or("no results")?;
            score.took.push(asked.elapsed());
            score.bytes += upload.len();
            let rank = hits.products.iter().position(|h| h.id == query.product);
            score.add(&query.group, rank);
            if let Some(first) = hits.products.first() {
                score.first.push((rank == Some(0), first.close));
                let second = hits.products.get(1).map(|h| h.similarity);
                score
                    .leads
                    .push((rank == Some(0), first.similarity, second));
            }
        }
        if (i + 1) % 50 == 0 || i + 1 == queries.len() {
            eprintln!("searched {}/{}", i + 1, queries.len());
        }
    }
    eprintln!();
    println!();
    println!(
        "{:<16} {:<11} {:>8} {:>8} {:>9} {:>6}",
        "upload", "group", "recall@1", "recall@5", "recall@10", "MRR"
    );
    for (mode, score) in modes.iter().zip(&scores) {
        let name = mode.map_or("raw photo", Profile::name);
        for group in GROUPS.iter().copied().chain(["all"]) {
            println!(
                "{name:<16} {group:<11} {:>8.2} {:>8.2} {:>9.2} {:>6.2}",
                score.recall(group, 1),
                score.recall(group, 5),
                score.recall(group, 10),
                score.mrr(group)
            );
        }
    }
    println!();
    println!(
        "{:<16} {:>12} {:>12} {:>10} {:>10} {:>12}",
        "upload", "close: prec.", "recall", "called", "p50 ms", "mean bytes"
    );
    for (mode, score) in modes.iter().zip(scores.iter_mut()) {
        let name = mode.map_or("raw photo", Profile::name);
        let (precision, recall, called) = score.close();
        let bytes = score.bytes / queries.len().max(1);
        println!(
            "{name:<16} {precision:>12.2} {recall:>12.2} {called:>10} {:>10.1} {bytes:>12}",
            score.latency(50)
        );
    }
    // How `close` would fare at other thresholds, on the profile this backend asks for.
    if let Some(at) = modes
        .iter()
        .position(|m| m.map(Profile::name) == Some(preferred_profile().as_str()))
    {
        println!();
        println!(
            "close on {}, by threshold (similarity ≥ s and lead over the second ≥ m): precision / recall / called",
            preferred_profile()
        );
        let leads = &scores[at].leads;
        let right = leads.iter().filter(|l| l.0).count().max(1);
        print!("{:>8}", "s \\ m");
        let margins = [0.0f32, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15];
        for m in margins {
            print!(" {m:>16.2}");
        }
        println!();
        for s in [0.2f32, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
            print!("{s:>8.2}");
            for m in margins {
                let judge = live_shop_server::search::Closeness {
                    similarity: s,
                    margin: m,
                };
                let called: Vec<bool> = leads
                    .iter()
                    .filter(|(_, first, second)| judge.judge(*first, *second))
                    .map(|l| l.0)
                    .collect();
                let good = called.iter().filter(|r| **r).count();
                print!(
                    " {:>5.2}/{:>4.2}/{:>4}",
                    good as f64 / called.len().max(1) as f64,
                    good as f64 / right as f64,
                    called.len()
                );
            }
            println!();
        }
    }
    // Targets, on the profile this backend asks the widget for.
    let preferred = Profile::parse(&preferred_profile()).map_err(|e| e.to_string())?;
    let at = modes
        .iter()
        .position(|m| *m == Some(preferred))
        .ok_or("no preferred profile")?;
    let score = &scores[at];
    println!();
    println!(
        "targets, through {} (in-process search; end-to-end latency is scripts/bench-search.sh's):",
        preferred.name()
    );
    let mut met = true;
    for (group, r1, r5) in RECALL_TARGETS {
        let (got1, got5) = (score.recall(group, 1), score.recall(group, 5));
        let ok = got1 >= r1 && got5 >= r5;
        met &= ok;
        println!(
            "  {group:<9} recall@1 {got1:.2} (target {r1:.2}), recall@5 {got5:.2} (target {r5:.2}): {}",
            if ok { "met" } else { "MISSED" }
        );
    }
    let (precision, _, called) = score.close();
    let ok = precision >= CLOSE_PRECISION_TARGET && called > 0;
    met &= ok;
    println!(
        "  close     precision {precision:.2} over {called} first results called close (target {CLOSE_PRECISION_TARGET:.2}): {}",
        if ok { "met" } else { "MISSED" }
    );
    println!(
        "verdict: {}",
        if met {
            "every target met"
        } else {
            "TARGET MISSED"
        }
    );
    Ok(met)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("live-shop-eval-shoppers: {e}");
            ExitCode::FAILURE
        }
    }
}
