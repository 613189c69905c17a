//! The fast baseline JPEG path against `jpeg-decoder` at the same scale (the last byte picks
//! 1/2, 1/4 or 1/8): no input may panic it, and whenever both decode an input they must give
//! the same pixels.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use live_shop_core::jpeg_scaled;

fuzz_target!(|data: &[u8]| {
    // Bytes after a JPEG's end are ignored by both decoders, so real files seed this as they are.
    let Some(&pick) = data.last() else {
        return;
    };
    let divisor = [2u16, 4, 8][usize::from(pick % 3)];
    // Whatever jpeg-decoder makes of the header, the fast path must never panic.
    let _ = jpeg_scaled::decode(data, usize::from(divisor));
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(data));
    decoder.set_max_decoding_buffer_size(64 * 1024 * 1024);
    if decoder.read_info().is_err() {
        return;
    }
    let Some(info) = decoder.info() else {
        return;
    };
    let requested = (info.width.div_ceil(divisor), info.height.div_ceil(divisor));
    let used = jpeg_scaled::divisor_for(
        (u32::from(info.width), u32::from(info.height)),
        (u32::from(requested.0), u32::from(requested.1)),
    );
    let Some(fast) = jpeg_scaled::decode(data, used as usize) else {
        return;
    };
    let Ok((w, h)) = decoder.scale(requested.0, requested.1) else {
        return;
    };
    if let Ok(pixels) = decoder.decode() {
        assert_eq!((u32::from(w), u32::from(h)), (fast.width, fast.height));
        assert!(pixels == fast.pixels, "pixels differ");
    }
});
