//! What a file's own structure says before any decoder runs: a JPEG cut off before its end,
//! one with more scans than a photo ever has, a PNG whose colour profile inflates past any real
//! one. Decoders are lenient with such files (a cut-off JPEG decodes to half a photo, grey
//! below), and leniency is wrong for search: half a photo finds the wrong product, silently.
//! Each check is one pass over the bytes, with no allocation but the PNG profile's capped
//! inflation.

use crate::prep::PrepError;

/// Most scans a JPEG may have. A progressive photo from a camera, a phone or libjpeg has ten
/// or so; every scan is another pass over all of the image's coefficients, so thousands of them
/// hold a core for seconds.
pub const MAX_JPEG_SCANS: usize = 100;

/// Largest colour profile a PNG may carry, inflated. Real ICC profiles are a few kilobytes to a
/// few hundred; the pipeline does not use them, but the decoder inflates them.
pub const MAX_ICC_BYTES: usize = 4 * 1024 * 1024;

/// What [`check`] learnt of a file the decoders may read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// A sequential JPEG whose colour components come in separate scans (non-interleaved).
    pub non_interleaved: bool,
}

/// Checks a JPEG's or a PNG's structure; other formats pass as they are.
pub fn check(bytes: &[u8]) -> Result<Shape, PrepError> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes).map(|()| Shape::default())
    } else {
        Ok(Shape::default())
    }
}

fn cut_off() -> PrepError {
    PrepError::Decode("the file ends before the image does (it was cut off)".into())
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*bytes.get(at)?) << 8 | usize::from(*bytes.get(at + 1)?))
}

/// Walks a JPEG's segments and entropy-coded data to its end-of-image marker.
fn jpeg(bytes: &[u8]) -> Result<Shape, PrepError> {
    let mut shape = Shape::default();
    let mut frame_components = 0usize;
    let mut progressive = false;
    let mut scans = 0usize;
    let mut pos = 2;
    loop {
        // Fill bytes (0xFF runs) may precede a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        // Stray bytes before a marker are skipped, as libjpeg does.
        if bytes.get(pos).is_some_and(|&b| b != 0xFF) {
            pos += bytes[pos..]
                .iter()
                .position(|&b| b == 0xFF)
                .ok_or_else(cut_off)?;
            continue;
        }
        let Some(&marker) = bytes.get(pos + 1) else {
            return Err(cut_off());
        };
        match marker {
            0xD9 => return Ok(shape),
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {
                pos += 2;
                continue;
            }
            _ => {}
        }
        let len = be16(bytes, pos + 2).ok_or_else(cut_off)?;
        let end = pos + 2 + len;
        if len < 2 || end > bytes.len() {
            return Err(cut_off());
        }
        let body = &bytes[pos + 4..end];
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                frame_components = usize::from(body.get(5).copied().unwrap_or(0));
                progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
            }
            0xDA => {
                scans += 1;
                if scans > MAX_JPEG_SCANS {
                    return Err(PrepError::Limits(format!(
                        "a JPEG with more than {MAX_JPEG_SCANS} scans"
                    )));
                }
                let in_scan = usize::from(body.first().copied().unwrap_or(0));
                if !progressive && in_scan < frame_components {
                    shape.non_interleaved = true;
                }
                pos = entropy_end(bytes, end).ok_or_else(cut_off)?;
                continue;
            }
            _ => {}
        }
        pos = end;
    }
}

/// Where the entropy-coded data starting at `from` ends: the next marker that is neither a
/// stuffed zero nor a restart. `None`: the file ends first.
fn entropy_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    loop {
        pos += bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

/// Walks a PNG's chunk headers; inflates a colour profile under [`MAX_ICC_BYTES`].
fn png(bytes: &[u8]) -> Result<(), PrepError> {
    let mut pos = 8;
    loop {
        let header = bytes.get(pos..pos + 8).ok_or_else(cut_off)?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        // Data and CRC, checked in a way that cannot wrap: in the browser's worker `usize` is
        // 32 bits, and a chunk may claim 4 GiB.
        let data = pos + 8;
        let Some(end) = data
            .checked_add(len)
            .and_then(|e| e.checked_add(4))
            .filter(|&e| e <= bytes.len())
        else {
            return Err(cut_off());
        };
        match kind {
            b"IEND" => return Ok(()),
            b"iCCP" => icc(&bytes[data..end - 4])?,
            _ => {}
        }
        pos = end;
    }
}

/// An `iCCP` chunk: a name, a NUL, the compression method, then the zlib stream.
fn icc(data: &[u8]) -> Result<(), PrepError> {
    let name = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let stream = data.get(name + 2..).unwrap_or_default();
    let too_large = || {
        PrepError::Limits(format!(
            "a colour profile over {} MiB",
            MAX_ICC_BYTES / (1024 * 1024)
        ))
    };
    // The profile's header gives its size in its first four bytes.
    let head = match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, 4) {
        Ok(head) => head,
        Err(partial) => partial.output,
    };
    {
        if head.len() >= 4 {
            let declared = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            if declared as usize > MAX_ICC_BYTES {
                return Err(too_large());
            }
        }
    }
    match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, MAX_ICC_BYTES) {
        Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => Err(too_large()),
        // A damaged profile is the decoder's to judge (it ignores it).
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG's segments: SOI, a frame of `components`, one scan per entry of `scans`
    /// (its component count), each with a few bytes of entropy data, then EOI.
    fn jpeg_of(marker: u8, components: u8, scans: &[u8], eoi: bool) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        let mut frame = vec![8, 0, 16, 0, 16, components];
        for c in 0..components {
            frame.extend([c + 1, 0x11, 0]);
        }
        out.extend([0xFF, marker]);
        out.extend(((frame.len() + 2) as u16).to_be_bytes());
        out.extend(frame);
        for &count in scans {
            let mut sos = vec![count];
            for c in 0..count {
                sos.extend([c + 1, 0]);
            }
            sos.extend([0, 63, 0]);
            out.extend([0xFF, 0xDA]);
            out.extend(((sos.len() + 2) as u16).to_be_bytes());
            out.extend(sos);
            // Entropy data with a stuffed 0xFF and a restart marker.
            out.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        }
        if eoi {
            out.extend([0xFF, 0xD9]);
        }
        out
    }

    #[test]
    fn a_whole_interleaved_jpeg_passes() {
        assert_eq!(check(&jpeg_of(0xC0, 3, &[3], true)), Ok(Shape::default()));
    }

    #[test]
    fn a_jpeg_cut_off_anywhere_is_refused() {
        let whole = jpeg_of(0xC2, 3, &[3, 1, 1, 1], true);
        for cut in 2..whole.len() - 1 {
            let error = check(&whole[..cut]).expect_err("a cut-off file passed");
            assert!(
                matches!(error, PrepError::Decode(ref m) if m.contains("cut off")),
                "{cut}: {error}"
            );
        }
    }

    #[test]
    fn separate_colour_scans_in_a_sequential_jpeg_are_noticed() {
        let shape = check(&jpeg_of(0xC0, 3, &[1, 1, 1], true)).expect("whole");
        assert!(shape.non_interleaved);
        // Progressive files always split components: nothing to notice there.
        let shape = check(&jpeg_of(0xC2, 3, &[3, 1, 1, 1], true)).expect("whole");
        assert!(!shape.non_interleaved);
    }

    #[test]
    fn thousands_of_scans_are_refused_before_decoding() {
        let ok = jpeg_of(0xC2, 1, &[1; MAX_JPEG_SCANS], true);
        assert!(check(&ok).is_ok());
        let many = jpeg_of(0xC2, 1, &[1; 3000], true);
        assert!(matches!(check(&many), Err(PrepError::Limits(_))));
    }

    fn png_with_icc(profile_size: u32, inflated: usize) -> Vec<u8> {
        let mut profile = profile_size.to_be_bytes().to_vec();
        profile.resize(inflated, 0);
        let mut data = b"icc\0\0".to_vec();
        data.extend(miniz_oxide::deflate::compress_to_vec_zlib(&profile, 6));
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, body) in [(&b"iCCP"[..], data), (&b"IEND"[..], Vec::new())] {
            out.extend((body.len() as u32).to_be_bytes());
            out.extend(kind);
            out.extend(&body);
            out.extend([0; 4]);
        }
        out
    }

    #[test]
    fn a_colour_profile_is_refused_from_what_it_declares_or_inflates_to() {
        assert!(check(&png_with_icc(3_000, 3_000)).is_ok());
        // Declares 512 MiB in its header.
        let declared = png_with_icc(512 << 20, 128);
        assert!(matches!(check(&declared), Err(PrepError::Limits(_))));
        // Declares little, inflates to more than the cap.
        let bomb = png_with_icc(1_000, MAX_ICC_BYTES + 1);
        assert!(bomb.len() < 64 * 1024);
        assert!(matches!(check(&bomb), Err(PrepError::Limits(_))));
    }

    #[test]
    fn a_png_chunk_claiming_4_gib_is_refused_without_wrapping() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(0xFFFF_FFF8u32.to_be_bytes());
        png.extend(b"iCCP");
        png.extend([0; 16]);
        assert!(matches!(check(&png), Err(PrepError::Decode(_))));
    }

    #[test]
    fn a_png_cut_off_is_refused() {
        let whole = png_with_icc(3_000, 3_000);
        for cut in [9, 20, whole.len() - 13, whole.len() - 1] {
            assert!(check(&whole[..cut]).is_err(), "{cut}");
        }
    }
}
