//! The network on plain `f32` buffers, channels last, for speed on one core: every 1 × 1
//! convolution is one matrix product (the `gemm` crate, which picks AVX2/FMA or NEON kernels at
//! run time), depthwise and stem convolutions are direct loops over contiguous channels (which
//! the compiler vectorises), batch norm is folded into the weights, and nothing is allocated
//! per layer beyond its output. Same weights and same arithmetic as the candle graph in
//! `lib.rs`, which stays as the reference this one is tested against; only the order of
//! additions differs.
use candle_core::Tensor;

use crate::EmbedError;

/// A batch of feature maps: `n` images of `h × w` pixels of `c` channels, channels last, one
/// image after another.
struct Map {
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    data: Vec<f32>,
}

fn relu6(values: &mut [f32]) {
    for v in values {
        *v = v.clamp(0.0, 6.0);
    }
}

/// TensorFlow "SAME": the output is ceil(size / stride); this many padding pixels go before
/// the input (the odd one goes after).
fn same(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(size);
    (out, total / 2)
}

/// The folded weights of one convolution, from the reference's tensors: `weight` is
/// (out, in / groups, k, k), `scale` and `shift` the batch norm per output channel.
struct Folded {
    cout: usize,
    cin: usize,
    k: usize,
    weight: Vec<f32>,
    scale: Vec<f32>,
    bias: Vec<f32>,
}

impl Folded {
    fn of(weight: &Tensor, scale: &Tensor, shift: &Tensor) -> Result<Self, EmbedError> {
        let (cout, cin, k, _) = weight.dims4()?;
        Ok(Self {
            cout,
            cin,
            k,
            weight: weight.flatten_all()?.to_vec1::<f32>()?,
            scale: scale.flatten_all()?.to_vec1::<f32>()?,
            bias: shift.flatten_all()?.to_vec1::<f32>()?,
        })
    }

    /// Weight (o, i, dy, dx) times its channel's scale.
    fn at(&self, o: usize, i: usize, dy: usize, dx: usize) -> f32 {
        self.weight[((o * self.cin + i) * self.k + dy) * self.k + dx] * self.scale[o]
    }
}

/// A 1 × 1 convolution: a (pixels × in) by (in × out) product, the pixels of every image in the
/// batch in one product.
struct Pointwise {
    cin: usize,
    cout: usize,
    /// (in × out), row-major.
    weight: Vec<f32>,
    bias: Vec<f32>,
    relu6: bool,
}

impl Pointwise {
    fn new(f: &Folded, relu6: bool) -> Self {
        let mut weight = vec![0.0; f.cin * f.cout];
        for o in 0..f.cout {
            for i in 0..f.cin {
                weight[i * f.cout + o] = f.at(o, i, 0, 0);
            }
        }
        Self {
            cin: f.cin,
            cout: f.cout,
            weight,
            bias: f.bias.clone(),
            relu6,
        }
    }

    fn forward(&self, x: &Map) -> Map {
        let pixels = x.n * x.h * x.w;
        let mut data = Vec::with_capacity(pixels * self.cout);
        for _ in 0..pixels {
            data.extend_from_slice(&self.bias);
        }
        debug_assert_eq!(x.c, self.cin);
        // SAFETY: `x.data` is pixels × cin, `self.weight` cin × cout and `data` pixels × cout,
        // all row-major, as the strides say; the three do not overlap.
        unsafe {
            gemm::gemm(
                pixels,
                self.cout,
                self.cin,
                data.as_mut_ptr(),
                1,
                self.cout as isize,
                true,
                x.data.as_ptr(),
                1,
                self.cin as isize,
                self.weight.as_ptr(),
                1,
                self.cout as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        if self.relu6 {
            relu6(&mut data);
        }
        Map {
            n: x.n,
            h: x.h,
            w: x.w,
            c: self.cout,
            data,
        }
    }
}

/// A k × k depthwise convolution with ReLU6.
struct Depthwise {
    c: usize,
    k: usize,
    stride: usize,
    /// (k × k × c): each tap's weights for every channel, contiguous.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Depthwise {
    fn new(f: &Folded, stride: usize) -> Self {
        let (c, k) = (f.cout, f.k);
        let mut weight = vec![0.0; k * k * c];
        for ch in 0..c {
            for dy in 0..k {
                for dx in 0..k {
                    weight[(dy * k + dx) * c + ch] = f.at(ch, 0, dy, dx);
                }
            }
        }
        Self {
            c,
            k,
            stride,
            weight,
            bias: f.bias.clone(),
        }
    }

    fn forward(&self, x: &Map) -> Map {
        let (c, k, s) = (self.c, self.k, self.stride);
        let (oh, top) = same(x.h, k, s);
        let (ow, left) = same(x.w, k, s);
        let mut data = vec![0.0; x.n * oh * ow * c];
        let images = x.data.chunks_exact(x.h * x.w * c);
        for (image, out) in images.zip(data.chunks_exact_mut(oh * ow * c)) {
            self.one(image, x.h, x.w, (top, left), out, (oh, ow));
        }
        Map {
            n: x.n,
            h: oh,
            w: ow,
            c,
            data,
        }
    }

    /// One image of `h × w` into `out` of `oh × ow`, padded by `top` and `left`.
    fn one(
        &self,
        input: &[f32],
        h: usize,
        w: usize,
        (top, left): (usize, usize),
        out: &mut [f32],
        (oh, ow): (usize, usize),
    ) {
        let (c, k, s) = (self.c, self.k, self.stride);
        for oy in 0..oh {
            for ox in 0..ow {
                let acc = &mut out[(oy * ow + ox) * c..][..c];
                acc.copy_from_slice(&self.bias);
                for dy in 0..k {
                    let Some(iy) = (oy * s + dy).checked_sub(top).filter(|&y| y < h) else {
                        continue;
                    };
                    for dx in 0..k {
                        let Some(ix) = (ox * s + dx).checked_sub(left).filter(|&v| v < w) else {
                            continue;
                        };
                        let pixel = &input[(iy * w + ix) * c..][..c];
                        let tap = &self.weight[(dy * k + dx) * c..][..c];
                        for ((a, i), t) in acc.iter_mut().zip(pixel).zip(tap) {
                            *a += i * t;
                        }
                    }
                }
                relu6(acc);
            }
        }
    }
}

/// The stem: a 3 × 3 convolution, stride 2, from the three input channels, with ReLU6.
struct Stem {
    cout: usize,
    k: usize,
    /// (k × k × 3 × out).
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Stem {
    fn new(f: &Folded) -> Self {
        let (cout, k) = (f.cout, f.k);
        let mut weight = vec![0.0; k * k * f.cin * cout];
        for o in 0..cout {
            for i in 0..f.cin {
                for dy in 0..k {
                    for dx in 0..k {
                        weight[((dy * k + dx) * f.cin + i) * cout + o] = f.at(o, i, dy, dx);
                    }
                }
            }
        }
        Self {
            cout,
            k,
            weight,
            bias: f.bias.clone(),
        }
    }

    fn forward(&self, x: &Map) -> Map {
        let (k, cout) = (self.k, self.cout);
        let (oh, top) = same(x.h, k, 2);
        let (ow, left) = same(x.w, k, 2);
        let mut data = vec![0.0; x.n * oh * ow * cout];
        let images = x.data.chunks_exact(x.h * x.w * x.c);
        for (image, out) in images.zip(data.chunks_exact_mut(oh * ow * cout)) {
            for oy in 0..oh {
                for ox in 0..ow {
                    let acc = &mut out[(oy * ow + ox) * cout..][..cout];
                    acc.copy_from_slice(&self.bias);
                    for dy in 0..k {
                        let Some(iy) = (oy * 2 + dy).checked_sub(top).filter(|&y| y < x.h) else {
                            continue;
                        };
                        for dx in 0..k {
                            let Some(ix) = (ox * 2 + dx).checked_sub(left).filter(|&v| v < x.w)
                            else {
                                continue;
                            };
                            for i in 0..x.c {
                                let v = image[(iy * x.w + ix) * x.c + i];
                                let tap = &self.weight[((dy * k + dx) * x.c + i) * cout..][..cout];
                                for (a, w) in acc.iter_mut().zip(tap) {
                                    *a += v * w;
                                }
                            }
                        }
                    }
                    relu6(acc);
                }
            }
        }
        Map {
            n: x.n,
            h: oh,
            w: ow,
            c: cout,
            data,
        }
    }
}

struct Block {
    expand: Option<Pointwise>,
    depthwise: Depthwise,
    project: Pointwise,
    skip: bool,
}

/// The network up to its pooled 1280 features.
pub(crate) struct Net {
    stem: Stem,
    blocks: Vec<Block>,
    head: Pointwise,
}

impl Net {
    /// The folded network of the reference's layers.
    pub(crate) fn new(reference: &crate::Embedder) -> Result<Self, EmbedError> {
        let fold = |c: &crate::ConvBn| Folded::of(&c.weight, &c.scale, &c.shift);
        let blocks = reference
            .blocks
            .iter()
            .map(|b| {
                Ok(Block {
                    expand: b
                        .expand
                        .as_ref()
                        .map(|e| Ok::<_, EmbedError>(Pointwise::new(&fold(e)?, true)))
                        .transpose()?,
                    depthwise: Depthwise::new(&fold(&b.depthwise)?, b.depthwise.stride),
                    project: Pointwise::new(&fold(&b.project)?, false),
                    skip: b.skip,
                })
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        Ok(Self {
            stem: Stem::new(&fold(&reference.stem)?),
            blocks,
            head: Pointwise::new(&fold(&reference.head)?, true),
        })
    }

    /// The pooled features of each `side × side` RGB image (checked by the caller), in one
    /// pass: every 1 × 1 convolution multiplies the whole batch's pixels at once.
    pub(crate) fn pooled(&self, images: &[&[u8]], side: usize) -> Vec<Vec<f32>> {
        self.maps(images, side)
            .into_iter()
            .map(|map| map.mean())
            .collect()
    }

    /// The head's feature map of each `side × side` RGB image (checked by the caller), in one
    /// pass.
    pub(crate) fn maps(&self, images: &[&[u8]], side: usize) -> Vec<crate::FeatureMap> {
        if images.is_empty() {
            return Vec::new();
        }
        let input = Map {
            n: images.len(),
            h: side,
            w: side,
            c: 3,
            data: images
                .iter()
                .flat_map(|rgb| rgb.iter())
                .map(|&v| (f32::from(v) - 127.0) / 128.0)
                .collect(),
        };
        let mut x = self.stem.forward(&input);
        for block in &self.blocks {
            let expanded = block.expand.as_ref().map(|e| e.forward(&x));
            let y = block.depthwise.forward(expanded.as_ref().unwrap_or(&x));
            let mut y = block.project.forward(&y);
            if block.skip {
                for (a, b) in y.data.iter_mut().zip(&x.data) {
                    *a += b;
                }
            }
            x = y;
        }
        let head = self.head.forward(&x);
        let size = head.h * head.w * head.c;
        head.data
            .chunks_exact(size)
            .map(|image| crate::FeatureMap {
                height: head.h,
                width: head.w,
                channels: head.c,
                data: image.to_vec(),
            })
            .collect()
    }
}
