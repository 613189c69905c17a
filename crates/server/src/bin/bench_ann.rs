//! `live-shop-bench-ann [N]`: the HNSW index (`live_shop_server::ann`) over N synthetic
//! 1280-d embeddings (default 1,000,000), against the exact scan. Prints build time, memory,
//! query time and recall@10 with a verdict per target; exits 1 when a target is missed.
//!
//! The vectors are synthetic, and the output says so: real image embeddings lie near a space of
//! few dimensions, so each vector is a random 1280 × 32 projection `A` of a point `z` in 32
//! dimensions, drawn around one of 1,000 cluster centres, then normalised. Vector `i` is made
//! again from its number whenever it is needed, so nothing holds the 5 GB of f32. The exact
//! nearest neighbours are found by scanning all N: the cosine of `A·z₁` and `A·z₂` is
//! `z₁ᵀGz₂ / √(z₁ᵀGz₁ · z₂ᵀGz₂)` with `G = AᵀA`, so the scan is exact in 32 dimensions; two
//! queries are also scanned in the full 1280 to show both agree.
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use live_shop_server::ann::{Hnsw, EXPANSION_SEARCH};

const D: usize = 1280;
const LATENT: usize = 32;
const CLUSTERS: usize = 1000;

/// A small deterministic generator: vector `i` is the same on every call.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed)
    }
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f32 / (1u64 << 53) as f32
    }
    /// Roughly normal: the sum of four uniforms, centred.
    fn normal(&mut self) -> f32 {
        (self.next() + self.next() + self.next() + self.next() - 2.0) * 1.732
    }
}

struct Space {
    /// A, row-major (D × LATENT).
    a: Vec<f32>,
    /// G = AᵀA (LATENT × LATENT).
    g: Vec<f32>,
    centres: Vec<[f32; LATENT]>,
}

impl Space {
    fn new() -> Self {
        let mut dice = Dice::new(1);
        let a: Vec<f32> = (0..D * LATENT).map(|_| dice.normal()).collect();
        let mut g = vec![0.0; LATENT * LATENT];
        for r in 0..D {
            let row = &a[r * LATENT..][..LATENT];
            for i in 0..LATENT {
                for j in 0..LATENT {
                    g[i * LATENT + j] += row[i] * row[j];
                }
            }
        }
        let centres = (0..CLUSTERS)
            .map(|_| std::array::from_fn(|_| dice.normal()))
            .collect();
        Self { a, g, centres }
    }

    /// Point `i` in the latent space: a cluster centre and a spread around it.
    fn latent(&self, i: u64) -> [f32; LATENT] {
        let mut dice = Dice::new(i + 1_000_003);
        let centre = &self.centres[(dice.next() * CLUSTERS as f32) as usize % CLUSTERS];
        std::array::from_fn(|k| centre[k] + 0.7 * dice.normal())
    }

    /// The unit vector `A·z`.
    fn vector(&self, z: &[f32; LATENT]) -> Vec<f32> {
        let mut v: Vec<f32> = self
            .a
            .chunks_exact(LATENT)
            .map(|row| row.iter().zip(z).map(|(a, z)| a * z).sum())
            .collect();
        let norm = v
            .iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }

    /// G·z, and √(zᵀGz): the pieces of an exact cosine in the latent space.
    fn gram(&self, z: &[f32; LATENT]) -> ([f32; LATENT], f32) {
        let gz: [f32; LATENT] =
            std::array::from_fn(|i| (0..LATENT).map(|j| self.g[i * LATENT + j] * z[j]).sum());
        let norm = gz.iter().zip(z).map(|(a, b)| a * b).sum::<f32>().sqrt();
        (gz, norm)
    }
}

fn peak_rss_mb() -> f64 {
    live_shop_server::peak_memory_mb().unwrap_or(f64::NAN)
}

fn run() -> Result<bool, String> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|_| format!("not a count: {arg}"))?,
        None => 1_000_000,
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "{n} synthetic {D}-d unit vectors (a random projection of {LATENT}-d points around \
         {CLUSTERS} centres), HNSW with i8 vectors and cosine, built on {threads} threads"
    );
    let space = Space::new();
    let mut index = Hnsw::with_capacity(D, n, threads).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok(());
                    }
                    index.add(i as u64, &space.vector(&space.latent(i as u64)))?;
                })
            })
            .collect();
        let mut shown = 0;
        while workers.iter().any(|w| !w.is_finished()) {
            std::thread::sleep(Duration::from_millis(200));
            let done = next.load(Ordering::Relaxed).min(n);
            if done * 20 / n > shown {
                shown = done * 20 / n;
                let rate = done as f64 / started.elapsed().as_secs_f64();
                eprintln!(
                    "  added {done}/{n}, {rate:.0}/s, {:.0} s left",
                    (n - done) as f64 / rate.max(1.0)
                );
            }
        }
        workers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or(Ok(())))
    })
    .map_err(|e: live_shop_server::ann::AnnError| e.to_string())?;
    index.set_ids((0..n).map(|i| i.to_string()).collect());
    let build = started.elapsed();
    let memory = index.memory_usage() as f64 / 1024.0 / 1024.0;
    let peak = peak_rss_mb();
    println!(
        "  built in {:.0} s ({:.0} vectors/s); the process peaked at {peak:.0} MB resident (usearch counts {memory:.0} MB, reserved space included)",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64()
    );
    let path = std::env::temp_dir().join(format!("live-shop-bench-{}.usearch", std::process::id()));
    let saved = Instant::now();
    index.save(&path).map_err(|e| e.to_string())?;
    let save_secs = saved.elapsed().as_secs_f64();
    drop(index);
    let loaded = Instant::now();
    let index =
        Hnsw::load(&path, D, (0..n).map(|i| i.to_string()).collect()).map_err(|e| e.to_string())?;
    println!(
        "  saved in {save_secs:.1} s ({:.0} MB on disk), reloaded in {:.1} s",
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1024.0 / 1024.0,
        loaded.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&path);

    // Queries: new points of the same distribution, not in the index.
    let queries: Vec<[f32; LATENT]> = (0..200u64)
        .map(|q| space.latent(u64::MAX / 2 + q))
        .collect();
    let vectors: Vec<Vec<f32>> = queries.iter().map(|z| space.vector(z)).collect();
    // Each query's 10 keys and the query times, weighing `candidates` while searching.
    let run = |candidates: usize| -> Result<(Vec<Vec<u64>>, Vec<Duration>), String> {
        index.set_expansion_search(candidates);
        let mut times = Vec::new();
        let mut found = Vec::new();
        for v in &vectors {
            let start = Instant::now();
            let hits = index.search(v, 10).map_err(|e| e.to_string())?;
            times.push(start.elapsed());
            found.push(hits.into_iter().map(|(k, _)| k).collect::<Vec<u64>>());
        }
        times.sort();
        Ok((found, times))
    };
    let ms =
        |times: &[Duration], p: usize| times[(times.len() - 1) * p / 100].as_secs_f64() * 1000.0;
    let mut sweep = Vec::new();
    for candidates in [64, 128, 512] {
        sweep.push((candidates, run(candidates)?));
    }
    let (found, times) = run(EXPANSION_SEARCH)?;
    println!(
        "  query, one thread, weighing {EXPANSION_SEARCH} candidates: p50 {:.2} ms, p99 {:.2} ms",
        ms(&times, 50),
        ms(&times, 99)
    );

    // The exact top 10 of every query, by scanning all n points (in the latent space).
    let scan = Instant::now();
    let grams: Vec<([f32; LATENT], f32)> = queries.iter().map(|z| space.gram(z)).collect();
    let chunk = n.div_ceil(threads);
    let tops: Vec<Vec<Vec<(f32, u64)>>> = std::thread::scope(|scope| {
        let parts: Vec<_> = (0..threads)
            .map(|t| {
                let (space, grams) = (&space, &grams);
                scope.spawn(move || {
                    let mut tops = vec![Vec::<(f32, u64)>::with_capacity(11); grams.len()];
                    for i in (t * chunk)..((t + 1) * chunk).min(n) {
                        let z = space.latent(i as u64);
                        let (_, norm) = space.gram(&z);
                        for ((gz, qnorm), top) in grams.iter().zip(tops.iter_mut()) {
                            let cos =
                                gz.iter().zip(&z).map(|(a, b)| a * b).sum::<f32>() / (norm * qnorm);
                            if top.len() < 10 || cos > top[top.len() - 1].0 {
                                let at = top.partition_point(|(c, _)| *c >= cos);
                                top.insert(at, (cos, i as u64));
                                top.truncate(10);
                            }
                        }
                    }
                    tops
                })
            })
            .collect();
        parts
            .into_iter()
            .map(|p| p.join().unwrap_or_default())
            .collect()
    });
    let exact: Vec<Vec<u64>> = (0..queries.len())
        .map(|q| {
            let mut all: Vec<(f32, u64)> = tops.iter().flat_map(|t| t[q].clone()).collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0));
            all.into_iter().take(10).map(|(_, i)| i).collect()
        })
        .collect();
    // Two queries scanned in the full 1280 dimensions, in one pass, agree with the latent scan.
    let full_queries: Vec<Vec<f32>> = queries.iter().take(2).map(|z| space.vector(z)).collect();
    let mut full_tops = vec![Vec::<(f32, u64)>::new(); full_queries.len()];
    for i in 0..n as u64 {
        let u = space.vector(&space.latent(i));
        for (v, top) in full_queries.iter().zip(full_tops.iter_mut()) {
            let cos: f32 = u.iter().zip(v).map(|(a, b)| a * b).sum();
            if top.len() < 10 || cos > top[top.len() - 1].0 {
                let at = top.partition_point(|(c, _)| *c >= cos);
                top.insert(at, (cos, i));
                top.truncate(10);
            }
        }
    }
    for (q, top) in full_tops.iter().enumerate() {
        let same = top.iter().filter(|(_, i)| exact[q].contains(i)).count();
        println!("  query {q}: the full 1280-d scan and the latent scan share {same} of 10");
    }
    let recall_of = |found: &[Vec<u64>]| {
        let hits: usize = found
            .iter()
            .zip(&exact)
            .map(|(got, want)| got.iter().filter(|k| want.contains(k)).count())
            .sum();
        hits as f64 / (queries.len() * 10) as f64
    };
    let recall = recall_of(&found);
    println!(
        "  recall@10 against the exact scan over {} queries: {recall:.3} (the scan took {:.0} s)",
        queries.len(),
        scan.elapsed().as_secs_f64()
    );
    for (candidates, (found, times)) in &sweep {
        println!(
            "    weighing {candidates} candidates instead: recall@10 {:.3}, p50 {:.2} ms, p99 {:.2} ms",
            recall_of(found),
            ms(times, 50),
            ms(times, 99)
        );
    }

    let mut met = true;
    for (what, ok) in [
        (format!("recall@10 >= 0.95 ({recall:.3})"), recall >= 0.95),
        (
            format!("query p99 <= 10 ms ({:.2} ms)", ms(&times, 99)),
            ms(&times, 99) <= 10.0,
        ),
        (
            format!("memory <= 2 GB (peak {peak:.0} MB)"),
            peak <= 2048.0,
        ),
    ] {
        println!("  target {what}: {}", if ok { "met" } else { "NOT MET" });
        met &= ok;
    }
    Ok(met)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("live-shop-bench-ann: {e}");
            ExitCode::from(2)
        }
    }
}
