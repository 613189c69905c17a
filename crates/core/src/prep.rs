//! Visual search's image preparation: untrusted bytes in, a small, upright, cropped JPEG with no
//! metadata out. The same code runs in the browser's worker and in the native `live-shop-prep`
//! command, so the catalog and the shoppers' queries are prepared identically.
//!
//! [`decode`] is the only way untrusted bytes become pixels (`clippy.toml` bans the others): it
//! reads the header, checks the pixel count and the allocation budget, and only then decodes.
use std::io::Cursor;

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8x3, U8};
use fast_image_resize::{FilterType, PixelTrait, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use crate::i18n::{Lang, SearchText, Text};

/// Decoded pixels, as [`decode`] returns them.
pub use image::DynamicImage;

/// Limits for untrusted images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrepLimits {
    /// Largest input file.
    pub max_bytes: usize,
    /// Most pixels (width × height) an image may have.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for PrepLimits {
    /// Room for a 48 MP phone photo; a decompression bomb claims far more.
    fn default() -> Self {
        Self {
            max_bytes: 40 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_alloc: 400 * 1024 * 1024,
        }
    }
}

/// Why an image could not be prepared, by who can fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    /// The bytes are damaged or not an image: the shopper should pick another photo.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// The image is over a limit (file size, pixels, memory): a smaller photo works.
    #[error("image over the limits: {0}")]
    Limits(String),
    /// A real image in a format this build does not read (HEIC, AVIF, …).
    #[error("unsupported image format: {format}")]
    Unsupported {
        /// The format's name.
        format: &'static str,
    },
    /// A caller's parameter is wrong (unknown profile, empty crop box): a developer's bug.
    #[error("invalid parameter: {0}")]
    Parameter(String),
}

impl PrepError {
    /// A stable code for APIs (`LiveShop.prepareImage` rejects with it).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode(_) => "decode",
            Self::Limits(_) => "limits",
            Self::Unsupported { .. } => "unsupported",
            Self::Parameter(_) => "parameter",
        }
    }

    /// What the shopper reads, saying what to do.
    pub fn user_message(&self, lang: Lang) -> &'static str {
        match self {
            Self::Decode(_) => SearchText::PrepDecode.get(lang),
            Self::Limits(_) => SearchText::PrepLimits.get(lang),
            Self::Unsupported { format: "HEIC" } => SearchText::PrepHeic.get(lang),
            Self::Unsupported { .. } => SearchText::PrepUnsupported.get(lang),
            Self::Parameter(_) => Text::ErrorGeneric.get(lang),
        }
    }
}

/// What the search backend receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Long edge at most 512 px ([`crate::search::DEFAULT_PROFILE`]).
    #[default]
    Max512,
    /// Long edge at most 1024 px.
    Max1024,
    /// The region's centre square at 224 × 224, for CLIP-style models.
    Square224,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 3] = [Profile::Max512, Profile::Max1024, Profile::Square224];

    /// Parses a profile's [`name`](Self::name): `max-512`, `max-1024`, `square-224`.
    pub fn parse(name: &str) -> Result<Self, PrepError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                PrepError::Parameter(format!(
                    "unknown profile {name:?} ({})",
                    crate::search::PROFILES.join(", ")
                ))
            })
    }

    /// The profile's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Max512 => "max-512",
            Self::Max1024 => "max-1024",
            Self::Square224 => "square-224",
        }
    }

    /// Most bytes of the encoded JPEG; quality steps down until it fits.
    pub fn byte_cap(self) -> usize {
        match self {
            Self::Max512 => 64 * 1024,
            Self::Max1024 => 192 * 1024,
            // A model's input: on the evaluation's busy scenes 8 KiB means JPEG quality 60 at
            // the median (40 at worst) with no recall lost (`scripts/eval.sh`).
            Self::Square224 => 8 * 1024,
        }
    }

    /// Output size for a region of `width × height`; never enlarges.
    fn output_size(self, width: u32, height: u32) -> (u32, u32) {
        let fit = |long: u32| {
            let scale = (f64::from(long) / f64::from(width.max(height))).min(1.0);
            let w = (f64::from(width) * scale).round().max(1.0) as u32;
            let h = (f64::from(height) * scale).round().max(1.0) as u32;
            (w, h)
        };
        match self {
            Self::Max512 => fit(512),
            Self::Max1024 => fit(1024),
            Self::Square224 => (224, 224),
        }
    }
}

/// JPEG qualities tried in turn until the byte cap is met.
const QUALITIES: [u8; 6] = [85, 78, 70, 60, 50, 40];

/// A region of the upright image, as fractions of its width and height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropBox {
    /// Left edge, 0 to 1.
    pub x: f64,
    /// Top edge, 0 to 1.
    pub y: f64,
    /// Width, 0 to 1.
    pub width: f64,
    /// Height, 0 to 1.
    pub height: f64,
}

impl From<crate::search::Region> for CropBox {
    /// The region a shopper drew, as the box the pipeline crops (checked by [`CropBox::clamped`]).
    fn from(region: crate::search::Region) -> Self {
        Self {
            x: region.x,
            y: region.y,
            width: region.width,
            height: region.height,
        }
    }
}

impl CropBox {
    /// The whole image.
    pub const FULL: CropBox = CropBox {
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    };

    /// Clamps the box into the image; refuses one that is empty or not finite.
    pub fn clamped(self) -> Result<CropBox, PrepError> {
        let values = [self.x, self.y, self.width, self.height];
        if values.iter().any(|v| !v.is_finite()) {
            return Err(PrepError::Parameter("crop box is not finite".into()));
        }
        let x = self.x.clamp(0.0, 1.0);
        let y = self.y.clamp(0.0, 1.0);
        let width = (self.x + self.width).clamp(0.0, 1.0) - x;
        let height = (self.y + self.height).clamp(0.0, 1.0) - y;
        if width <= 0.0 || height <= 0.0 {
            return Err(PrepError::Parameter("crop box is empty".into()));
        }
        Ok(CropBox {
            x,
            y,
            width,
            height,
        })
    }

    /// Parses `x,y,width,height`.
    pub fn parse(text: &str) -> Result<CropBox, PrepError> {
        let parts: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                PrepError::Parameter(format!("crop box {text:?} is not x,y,width,height"))
            })?;
        match parts[..] {
            [x, y, width, height] => CropBox {
                x,
                y,
                width,
                height,
            }
            .clamped(),
            _ => Err(PrepError::Parameter(format!(
                "crop box {text:?} is not x,y,width,height"
            ))),
        }
    }
}

/// A prepared image.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// The JPEG: baseline, no EXIF, XMP, GPS or any other metadata segment.
    pub jpeg: Vec<u8>,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// The region used, after clamping, in fractions of the upright original.
    pub crop: CropBox,
    /// The upright original's size.
    pub original: (u32, u32),
    /// 64-bit difference hash of the output, for answering repeated queries from a cache.
    pub hash: u64,
    /// The JPEG quality that met the byte cap.
    pub quality: u8,
    /// How the photo was decoded.
    pub decoded_by: DecodePath,
}

/// How a photo's pixels were decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodePath {
    /// At full size, by the format's decoder.
    Full,
    /// A JPEG at 1/2, 1/4 or 1/8 scale in the DCT domain by `jpeg-decoder` (progressive,
    /// CMYK and other files the fast path leaves); the divisor.
    Scaled(u32),
    /// A plain baseline JPEG at 1/2, 1/4 or 1/8 scale by [`crate::jpeg_scaled`] (at 1/8 from
    /// the DC coefficients alone); the divisor.
    Baseline(u32),
}

/// The image as decoded: upright, with its format.
#[derive(Debug)]
pub struct Decoded {
    /// Pixels, with EXIF orientation applied.
    pub image: DynamicImage,
    /// The container format.
    pub format: ImageFormat,
    /// The upright image's full size (a JPEG may have been decoded smaller).
    pub original: (u32, u32),
    /// How the pixels were decoded.
    pub path: DecodePath,
}

/// Sniffs formats the image crate does not read, to name them instead of "unknown".
fn unsupported_format(bytes: &[u8]) -> Option<&'static str> {
    let brand = bytes.get(4..12)?;
    if &brand[..4] != b"ftyp" {
        return None;
    }
    match &brand[4..] {
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
            Some("HEIC")
        }
        b"avif" | b"avis" => Some("AVIF"),
        _ => None,
    }
}

/// The one decode entry for untrusted bytes: format sniffing, header-first limit checks, then
/// decoding (first frame of an animation) and EXIF orientation, applied exactly once.
pub fn decode(bytes: &[u8], limits: &PrepLimits) -> Result<Decoded, PrepError> {
    decode_scaled(bytes, limits, &|width, height| (width, height))
}

/// [`decode`], but a JPEG may be decoded at 1/2, 1/4 or 1/8 scale in the DCT domain, as long
/// as the result is at least `wanted(upright_width, upright_height)` in both dimensions.
/// Most of a large photo's decoding time goes into pixels a small output never shows.
pub fn decode_scaled(
    bytes: &[u8],
    limits: &PrepLimits,
    wanted: &dyn Fn(u32, u32) -> (u32, u32),
) -> Result<Decoded, PrepError> {
    if bytes.len() > limits.max_bytes {
        return Err(PrepError::Limits(format!(
            "{} bytes is over the {} byte limit",
            bytes.len(),
            limits.max_bytes
        )));
    }
    if let Some(format) = unsupported_format(bytes) {
        return Err(PrepError::Unsupported { format });
    }
    let shape = crate::container::check(bytes)?;
    if shape.non_interleaved {
        return decode_separate_scans(bytes, limits);
    }
    if let Some(decoded) = decode_baseline(bytes, limits, wanted)? {
        return Ok(decoded);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PrepError::Decode(one_line(&e.to_string())))?;
    let format = reader
        .format()
        .ok_or_else(|| PrepError::Decode("not an image format this build reads".into()))?;
    let mut decoder_limits = Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        // Recognised from its magic bytes, but not a format this build reads.
        image::ImageError::Unsupported(_) => PrepError::Unsupported {
            format: format_name(format),
        },
        other => classify(other),
    })?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, decoder.total_bytes(), limits)?;
    // A broken EXIF block means "upright", not "unreadable".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let upright = Upright::new(orientation, (width, height));
    let scaled = match format {
        ImageFormat::Jpeg => {
            decode_jpeg_scaled(bytes, limits, (width, height), upright.wanted(wanted))?
        }
        _ => None,
    };
    let (mut image, path) = match scaled {
        Some(scaled) => scaled,
        None => (
            DynamicImage::from_decoder(decoder).map_err(classify)?,
            DecodePath::Full,
        ),
    };
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        format,
        original: upright.size,
        path,
    })
}

/// A sequential JPEG whose colour components come in separate scans, which the image crate's
/// JPEG decoder gets wrong (each scan is read as if it held every component): decoded whole by
/// `jpeg-decoder`, which reads such files right.
fn decode_separate_scans(bytes: &[u8], limits: &PrepLimits) -> Result<Decoded, PrepError> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let one_line = |e: jpeg_decoder::Error| PrepError::Decode(one_line(&e.to_string()));
    let mut decoder = Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    decoder.read_info().map_err(one_line)?;
    let info = decoder
        .info()
        .ok_or_else(|| PrepError::Decode("no JPEG frame".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let grey = match info.pixel_format {
        PixelFormat::L8 => true,
        PixelFormat::RGB24 => false,
        PixelFormat::L16 | PixelFormat::CMYK32 => {
            return Err(PrepError::Decode(
                "a JPEG of separate scans in 16-bit or CMYK".into(),
            ))
        }
    };
    check_size(
        width,
        height,
        u64::from(width) * u64::from(height) * if grey { 1 } else { 3 },
        limits,
    )?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let pixels = decoder.decode().map_err(one_line)?;
    let mut image = from_samples(width, height, pixels, grey)
        .ok_or_else(|| PrepError::Decode("fewer pixels than the frame says".into()))?;
    let upright = Upright::new(orientation, (width, height));
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        format: ImageFormat::Jpeg,
        original: upright.size,
        path: DecodePath::Full,
    })
}

/// A decoder's message on one line: some run to several.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A plain baseline JPEG that may be decoded at reduced scale goes straight to the fast
/// decoder, read from its own headers. This skips the general decoders' setup, which copies
/// the whole file and parses its headers several times. The same limits apply. `None`: decode
/// the general way.
fn decode_baseline(
    bytes: &[u8],
    limits: &PrepLimits,
    wanted: &dyn Fn(u32, u32) -> (u32, u32),
) -> Result<Option<Decoded>, PrepError> {
    let Some(baseline) = crate::jpeg_scaled::Baseline::parse(bytes) else {
        return Ok(None);
    };
    let (width, height) = baseline.size();
    let channels = if baseline.grey() { 1 } else { 3 };
    check_size(
        width,
        height,
        u64::from(width) * u64::from(height) * channels,
        limits,
    )?;
    // The image crate's reading of the same Exif data.
    let orientation = baseline
        .exif()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let upright = Upright::new(orientation, (width, height));
    let Some(divisor) = jpeg_divisor((width, height), upright.wanted(wanted)) else {
        return Ok(None);
    };
    let Some(fast) = baseline.decode(divisor as usize) else {
        return Ok(None);
    };
    let Some(mut image) = from_samples(fast.width, fast.height, fast.pixels, fast.grey) else {
        return Ok(None);
    };
    image.apply_orientation(orientation);
    Ok(Some(Decoded {
        image,
        format: ImageFormat::Jpeg,
        original: upright.size,
        path: DecodePath::Baseline(divisor),
    }))
}

/// Refuses, from the header alone, an image over the pixel limit or one whose decoding
/// (`decoded_bytes`, plus the pipeline's 8-bit RGB(A) copy) would exceed the memory budget.
fn check_size(
    width: u32,
    height: u32,
    decoded_bytes: u64,
    limits: &PrepLimits,
) -> Result<(), PrepError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(PrepError::Limits(format!(
            "{width}×{height} is {pixels} pixels, over the {} pixel limit",
            limits.max_pixels
        )));
    }
    if pixels == 0 {
        return Err(PrepError::Decode("the image has no pixels".into()));
    }
    let needed = decoded_bytes.saturating_add(pixels.saturating_mul(4));
    if needed > limits.max_alloc {
        return Err(PrepError::Limits(format!(
            "decoding needs about {needed} bytes, over the {} byte budget",
            limits.max_alloc
        )));
    }
    Ok(())
}

/// A stored image's size upright, and whether its orientation swaps the axes.
struct Upright {
    size: (u32, u32),
    turned: bool,
}

impl Upright {
    fn new(orientation: Orientation, (width, height): (u32, u32)) -> Self {
        let turned = matches!(
            orientation,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        );
        let size = if turned {
            (height, width)
        } else {
            (width, height)
        };
        Upright { size, turned }
    }

    /// The caller's wish for the upright image, in stored axes.
    fn wanted(&self, wanted: &dyn Fn(u32, u32) -> (u32, u32)) -> (u32, u32) {
        let (w, h) = wanted(self.size.0, self.size.1);
        if self.turned {
            (h, w)
        } else {
            (w, h)
        }
    }
}

/// The scale divisor (2, 4 or 8) `jpeg-decoder` decodes a JPEG of `size` at for a `wanted`
/// size, or `None` when it must be decoded whole.
fn jpeg_divisor(size: (u32, u32), wanted: (u32, u32)) -> Option<u32> {
    let divisor = dct_divisor(size, wanted)?;
    let used = crate::jpeg_scaled::divisor_for(size, jpeg_request(size, divisor));
    (used > 1).then_some(used)
}

/// The size asked of `jpeg-decoder` for 1/`divisor` scale.
fn jpeg_request(size: (u32, u32), divisor: u32) -> (u32, u32) {
    let request = |len: u32| len.div_ceil(divisor).min(u32::from(u16::MAX));
    (request(size.0), request(size.1))
}

/// The largest DCT scale divisor (8, 4 or 2) whose output still covers `wanted`.
fn dct_divisor((width, height): (u32, u32), (want_w, want_h): (u32, u32)) -> Option<u32> {
    [8, 4, 2]
        .into_iter()
        .find(|&d| width.div_ceil(d) >= want_w.max(1) && height.div_ceil(d) >= want_h.max(1))
}

/// Decodes a JPEG at reduced scale with `jpeg-decoder`, when a reduction is possible and the
/// pixels are 8-bit grey or RGB; `None` means "decode at full size instead".
fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: &PrepLimits,
    size: (u32, u32),
    wanted: (u32, u32),
) -> Result<Option<(DynamicImage, DecodePath)>, PrepError> {
    use jpeg_decoder::{CodingProcess, Decoder, PixelFormat};
    let Some(divisor) = dct_divisor(size, wanted) else {
        return Ok(None);
    };
    let mut decoder = Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    if decoder.read_info().is_err() {
        // The full decoder gives the precise reason.
        return Ok(None);
    }
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    if (u32::from(info.width), u32::from(info.height)) != size {
        return Ok(None);
    }
    let gray = match info.pixel_format {
        PixelFormat::L8 => true,
        PixelFormat::RGB24 => false,
        PixelFormat::L16 | PixelFormat::CMYK32 => return Ok(None),
    };
    // A progressive JPEG keeps every coefficient at full size: 2 bytes per sample.
    if info.coding_process == CodingProcess::DctProgressive {
        let samples = u64::from(size.0) * u64::from(size.1) * if gray { 1 } else { 3 };
        if samples.saturating_mul(2) > limits.max_alloc {
            return Err(PrepError::Limits(format!(
                "a progressive {}×{} JPEG needs more than the {} byte budget",
                size.0, size.1, limits.max_alloc
            )));
        }
    }
    let (request_w, request_h) = jpeg_request(size, divisor);
    // Both within u16: the JPEG's own sides are.
    let Ok((out_w, out_h)) = decoder.scale(request_w as u16, request_h as u16) else {
        return Ok(None);
    };
    // The scale jpeg-decoder picked (a tiny image may get a smaller one with the same size).
    let used = crate::jpeg_scaled::divisor_for(size, (request_w, request_h));
    // A damaged or truncated stream goes to the full decoder, which recovers what it can
    // (and names the problem when it cannot).
    let Ok(pixels) = decoder.decode() else {
        return Ok(None);
    };
    let image = from_samples(u32::from(out_w), u32::from(out_h), pixels, gray);
    Ok(image.map(|i| (i, DecodePath::Scaled(used))))
}

/// 8-bit samples, one a pixel when `grey` else three, as an image; `None` when their count
/// does not match the size.
fn from_samples(width: u32, height: u32, samples: Vec<u8>, grey: bool) -> Option<DynamicImage> {
    if grey {
        image::GrayImage::from_raw(width, height, samples).map(DynamicImage::ImageLuma8)
    } else {
        RgbImage::from_raw(width, height, samples).map(DynamicImage::ImageRgb8)
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Avif => "AVIF",
        ImageFormat::Ico => "ICO",
        ImageFormat::Tga => "TGA",
        ImageFormat::Dds => "DDS",
        ImageFormat::Hdr => "HDR",
        ImageFormat::OpenExr => "OpenEXR",
        ImageFormat::Pnm => "PNM",
        ImageFormat::Qoi => "QOI",
        ImageFormat::Farbfeld => "Farbfeld",
        _ => "this format",
    }
}

fn classify(error: image::ImageError) -> PrepError {
    match error {
        image::ImageError::Limits(e) => PrepError::Limits(one_line(&e.to_string())),
        image::ImageError::Unsupported(e) => PrepError::Decode(one_line(&e.to_string())),
        other => PrepError::Decode(one_line(&other.to_string())),
    }
}

/// Alpha composited onto white; 16-bit and grayscale to 8-bit RGB.
pub fn flatten(image: &DynamicImage) -> RgbImage {
    if let DynamicImage::ImageRgb8(rgb) = image {
        // A copy of the buffer, not a conversion pixel by pixel.
        return rgb.clone();
    }
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let (width, height) = rgba.dimensions();
    let mut out = RgbImage::new(width, height);
    for (src, dst) in rgba.pixels().zip(out.pixels_mut()) {
        let [r, g, b, a] = src.0;
        let a = u32::from(a);
        let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        dst.0 = [blend(r), blend(g), blend(b)];
    }
    out
}

/// [`flatten`] for an image the caller is done with: 8-bit RGB, what photos decode to, is
/// taken as it is instead of copied (a 12 MP photo decoded at 1/4 scale is 2.3 MB; on a first
/// photo in the browser, the copy into fresh memory took 1–9 ms).
pub fn into_rgb(image: DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => flatten(&other),
    }
}

/// Prepares untrusted bytes for search with `profile`, cropped to `crop` (in the upright
/// image's coordinates).
pub fn prepare(
    bytes: &[u8],
    profile: Profile,
    crop: CropBox,
    limits: &PrepLimits,
) -> Result<Prepared, PrepError> {
    let crop = crop.clamped()?;
    // The region's output size decides how small the JPEG may be decoded: the pixels under
    // the crop box must still cover the output, so Lanczos3 only ever shrinks.
    let wanted = |width: u32, height: u32| {
        let (_, _, rw, rh) = region(crop, width, height, profile == Profile::Square224);
        let (out_w, out_h) =
            profile.output_size(rw.round().max(1.0) as u32, rh.round().max(1.0) as u32);
        let cover = |out: u32, part: f64, full: u32| {
            (f64::from(out) * f64::from(full) / part.max(1.0)).ceil() as u32
        };
        (cover(out_w, rw, width), cover(out_h, rh, height))
    };
    let decoded = decode_scaled(bytes, limits, &wanted)?;
    let mut prepared = prepare_image(decoded.image, profile, crop)?;
    prepared.original = decoded.original;
    prepared.decoded_by = decoded.path;
    Ok(prepared)
}

/// The crop box in pixels, inside the image whatever the rounding; for square output, its
/// centre square.
fn region(crop: CropBox, width: u32, height: u32, square: bool) -> (f64, f64, f64, f64) {
    let (w, h) = (f64::from(width), f64::from(height));
    let x = (crop.x * w).clamp(0.0, w - 1.0);
    let y = (crop.y * h).clamp(0.0, h - 1.0);
    let rw = (crop.width * w).max(1.0).min(w - x);
    let rh = (crop.height * h).max(1.0).min(h - y);
    if !square {
        return (x, y, rw, rh);
    }
    let side = rw.min(rh);
    (x + (rw - side) / 2.0, y + (rh - side) / 2.0, side, side)
}

/// The crop box's centre square as raw 8-bit RGB, `side` × `side`, resized with Lanczos3: the
/// pixels an embedding model takes, and the same pixels `square-224` encodes.
pub fn square_pixels(image: &DynamicImage, crop: CropBox, side: u32) -> Result<Vec<u8>, PrepError> {
    let crop = crop.clamped()?;
    if side == 0 {
        return Err(PrepError::Parameter("side must be at least 1".into()));
    }
    let rgb = flatten(image);
    let (width, height) = rgb.dimensions();
    resize(rgb, region(crop, width, height, true), side, side)
}

/// Prepares decoded pixels: crop, Lanczos3 resize, JPEG under the profile's byte cap.
pub fn prepare_image(
    image: DynamicImage,
    profile: Profile,
    crop: CropBox,
) -> Result<Prepared, PrepError> {
    let crop = crop.clamped()?;
    let rgb = into_rgb(image);
    let (width, height) = rgb.dimensions();
    let region = region(crop, width, height, profile == Profile::Square224);
    let (out_w, out_h) = profile.output_size(
        region.2.round().max(1.0) as u32,
        region.3.round().max(1.0) as u32,
    );
    let pixels = resize(rgb, region, out_w, out_h)?;
    let (jpeg, quality) = encode_under_cap(&pixels, out_w, out_h, profile.byte_cap())?;
    Ok(Prepared {
        hash: difference_hash(&pixels, out_w, out_h),
        jpeg,
        width: out_w,
        height: out_h,
        crop,
        original: (width, height),
        quality,
        decoded_by: DecodePath::Full,
    })
}

fn resize(
    rgb: RgbImage,
    region: (f64, f64, f64, f64),
    width: u32,
    height: u32,
) -> Result<Vec<u8>, PrepError> {
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(region.0, region.1, region.2, region.3);
    resize_typed::<U8x3>(rgb.as_raw(), rgb.dimensions(), (width, height), &options)
        .map_err(|e| PrepError::Decode(format!("resize: {e}")))
}

/// `src` (`size`, pixels of type `P`) resized to `out`. Typed, so only `P`'s kernels are built:
/// the crate's untyped entry links every pixel type's into the worker (about 150 KB of code).
fn resize_typed<P: PixelTrait>(
    src: &[u8],
    size: (u32, u32),
    out: (u32, u32),
    options: &ResizeOptions,
) -> Result<Vec<u8>, String> {
    let src = TypedImageRef::<P>::from_buffer(size.0, size.1, src).map_err(|e| e.to_string())?;
    let mut buffer = vec![0u8; out.0 as usize * out.1 as usize * P::size()];
    let mut dst =
        TypedImage::<P>::from_buffer(out.0, out.1, &mut buffer).map_err(|e| e.to_string())?;
    Resizer::new()
        .resize_typed(&src, &mut dst, options)
        .map_err(|e| e.to_string())?;
    Ok(buffer)
}

/// Encodes at falling qualities until the JPEG fits `cap`; the last try is returned even if
/// it does not, since the output size cannot shrink further without changing the profile.
fn encode_under_cap(
    pixels: &[u8],
    width: u32,
    height: u32,
    cap: usize,
) -> Result<(Vec<u8>, u8), PrepError> {
    let internal = |e: &dyn std::fmt::Display| PrepError::Decode(format!("encode: {e}"));
    // Profiles cap the long edge at 1024, far inside JPEG's 65535.
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(internal(&format!("output {width} × {height}")));
    };
    let mut last = (Vec::new(), 0);
    for quality in QUALITIES {
        let mut jpeg = Vec::with_capacity(cap);
        encode_jpeg(&mut jpeg, pixels, (w, h), quality).map_err(|e| internal(&e))?;
        if jpeg.len() <= cap {
            return Ok((jpeg, quality));
        }
        last = (jpeg, quality);
    }
    Ok(last)
}

/// 8-bit RGB `pixels` as a JPEG at `quality`, appended to `out`. Chroma at half resolution
/// (4:2:0), as cameras save: 10–20 % fewer bytes than 4:4:4 at the same quality. Huffman tables
/// stay the standard ones: zune-jpeg 0.5 (the image crate's decoder, so the reference
/// backend's) misreads this encoder's fitted tables in 4:2:0, which libjpeg and jpeg-decoder
/// read correctly.
fn encode_jpeg(
    out: &mut Vec<u8>,
    pixels: &[u8],
    (width, height): (u16, u16),
    quality: u8,
) -> Result<(), jpeg_encoder::EncodingError> {
    let mut encoder = jpeg_encoder::Encoder::new(out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder.encode(pixels, width, height, jpeg_encoder::ColorType::Rgb)
}

/// 64-bit difference hash: a 9 × 8 grey thumbnail, one bit per horizontal neighbour pair.
pub fn difference_hash(rgb: &[u8], width: u32, height: u32) -> u64 {
    let grey = grey(rgb);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box));
    let Ok(t) = resize_typed::<U8>(&grey, (width, height), (9, 8), &options) else {
        return 0;
    };
    let mut hash = 0u64;
    for row in 0..8 {
        for col in 0..8 {
            let bit = t[row * 9 + col] > t[row * 9 + col + 1];
            hash = (hash << 1) | u64::from(bit);
        }
    }
    hash
}

/// Luma of 8-bit RGB. Out of line: a browser then optimises this loop alone, not the hash.
#[inline(never)]
fn grey(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
        })
        .collect()
}

/// Bits that differ between two hashes.
pub fn hash_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// A photo-like JPEG of `width × height` (smooth gradients with fine texture, quality 92,
/// chroma at half resolution as cameras save), made here so no sample file ships: the worker
/// decodes it at every DCT scale to warm its code.
pub fn warm_up_jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut seed = 0x9e37_79b9_u32;
    let image = RgbImage::from_fn(u32::from(width), u32::from(height), |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed & 31) as u8;
        image::Rgb([
            ((x * 255 / u32::from(width.max(1))) as u8).saturating_add(grain),
            ((y * 255 / u32::from(height.max(1))) as u8).saturating_add(grain / 2),
            (((x + y) / 4) % 256) as u8,
        ])
    });
    let mut jpeg = Vec::new();
    // Encoding to memory only fails on an allocation failure, which would abort anyway.
    let _ = encode_jpeg(&mut jpeg, image.as_raw(), (width, height), 92);
    jpeg
}
