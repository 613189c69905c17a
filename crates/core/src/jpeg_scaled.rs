//! Plain baseline JPEGs decoded at 1/2, 1/4 or 1/8 scale, faster than a general decoder.
//!
//! Scaled decoding transforms each 8 × 8 block of coefficients straight to 4 × 4, 2 × 2 or one
//! pixel, but a general decoder still spends most of its time in the entropy decoding. Here a
//! bit reader over the byte slice (no per-byte `Read` call) and lookup tables that give a
//! coefficient's value, or at 1/8 skip several coefficients at once, do that part about twice
//! as fast. At 1/8 a block is its DC coefficient alone: the AC coefficients are read past, never
//! sign-extended, dequantised or stored.
//!
//! The output is byte for byte `jpeg-decoder`'s at the same scale: its reduced IDCTs, chroma
//! upsamplers and YCbCr conversion are reproduced exactly, and a test checks that over many
//! files. Anything outside the common case (progressive or multi-scan files, other colour
//! models, damaged data) answers `None`, and the caller uses `jpeg-decoder`.

use std::num::Wrapping;

/// Bits looked up at once for a Huffman symbol; longer codes take the slow path.
const LOOKUP_BITS: u32 = 10;
/// Bits looked up at once to skip a whole AC coefficient (code and value bits).
const SKIP_BITS: u32 = 13;
/// In the skip table: the block ends here (EOB).
const END_OF_BLOCK: u8 = 0xFF;

/// Zig-zag order to natural (row-major) order.
const UNZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
/// Bits looked up at once to skip as many whole AC coefficients as they hold.
const MULTI_BITS: u32 = 12;

/// The decoded image at reduced scale: `width × height`, 1 (grey) or 3 (RGB) bytes a pixel.
pub struct ScaledImage {
    /// Pixels across: the JPEG's width divided by the divisor, rounded up.
    pub width: u32,
    /// Pixels down: the JPEG's height divided by the divisor, rounded up.
    pub height: u32,
    /// Grey or RGB samples, row by row.
    pub pixels: Vec<u8>,
    /// Whether `pixels` is grey (one byte a pixel).
    pub grey: bool,
}

/// A Huffman table: a lookup on the next [`LOOKUP_BITS`] bits, and canonical code ranges for
/// longer codes (JPEG Annex F.2.2.3).
struct Table {
    /// `(length, symbol)`, length 0 when the code is longer than the lookup.
    lookup: Vec<(u8, u8)>,
    /// Every code as `(length, code, symbol)`, for [`AcLookups`].
    codes: Vec<(u32, usize, u8)>,
    maxcode: [i32; 17],
    valptr: [i32; 17],
    mincode: [i32; 17],
    values: Vec<u8>,
}

impl Table {
    fn new(counts: &[u8; 16], values: &[u8]) -> Option<Table> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || values.len() < total {
            return None;
        }
        let mut lookup = vec![(0u8, 0u8); 1 << LOOKUP_BITS];
        let mut codes = Vec::with_capacity(total);
        let mut maxcode = [-1i32; 17];
        let mut valptr = [0i32; 17];
        let mut mincode = [0i32; 17];
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            valptr[len] = k as i32;
            mincode[len] = code;
            for _ in 0..n {
                if code >= (1 << len) {
                    return None;
                }
                let symbol = values[k];
                if len as u32 <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - len as u32;
                    let start = (code as usize) << shift;
                    for entry in &mut lookup[start..start + (1 << shift)] {
                        *entry = (len as u8, symbol);
                    }
                }
                codes.push((len as u32, code as usize, symbol));
                code += 1;
                k += 1;
            }
            if n > 0 {
                maxcode[len] = code - 1;
            }
            code <<= 1;
        }
        Some(Table {
            lookup,
            codes,
            maxcode,
            valptr,
            mincode,
            values: values[..total].to_vec(),
        })
    }
}

/// An AC table's lookups for reading whole coefficients at once, built for the scale in use
/// only (each takes thousands of entries to fill).
struct AcLookups {
    /// At 1/8: bits to skip for a whole coefficient (code and value), and how far the
    /// coefficient index moves ([`END_OF_BLOCK`] for EOB); 0 bits when the lookup cannot say.
    skip: Box<[(u8, u8); 1 << SKIP_BITS]>,
    /// At 1/8: every whole coefficient in the next [`MULTI_BITS`] bits, packed as bits used
    /// (low byte), total index advance (next byte), and 1 << 16 when the last is EOB.
    multi: Box<[u32; 1 << MULTI_BITS]>,
    /// At 1/2 and 1/4: a whole coefficient in the next [`SKIP_BITS`] bits as its value, the
    /// index advance (zero run + 1) and the bits used; 0 bits when the lookup cannot say.
    coefficient: Box<[(i16, u8, u8); 1 << SKIP_BITS]>,
}

impl AcLookups {
    /// The lookups for `table`: the skipping ones when only DC coefficients count, else the
    /// value one. The others stay empty (every entry "cannot say").
    #[inline(never)]
    fn new(table: &Table, dc_only: bool) -> AcLookups {
        let mut skip = Box::new([(0u8, 0u8); 1 << SKIP_BITS]);
        let mut coefficient = Box::new([(0i16, 0u8, 0u8); 1 << SKIP_BITS]);
        let mut multi = Box::new([0u32; 1 << MULTI_BITS]);
        for &(len, code, symbol) in &table.codes {
            let (run, size) = (symbol >> 4, symbol & 15);
            let whole = len + u32::from(size);
            if whole > SKIP_BITS {
                continue;
            }
            let shift = SKIP_BITS - len;
            let start = code << shift;
            if dc_only {
                let advance = match (run, size) {
                    (0, 0) => END_OF_BLOCK,
                    (15, 0) => 16,
                    // EOB runs belong to progressive scans: the slow path refuses them.
                    (_, 0) => 0,
                    _ => run + 1,
                };
                if advance > 0 {
                    for entry in &mut skip[start..start + (1 << shift)] {
                        *entry = (whole as u8, advance);
                    }
                }
            } else if size > 0 {
                let value_shift = SKIP_BITS - whole;
                for (i, entry) in coefficient[start..start + (1 << shift)]
                    .iter_mut()
                    .enumerate()
                {
                    let raw = ((i >> value_shift) & ((1 << size) - 1)) as u32;
                    *entry = (extend(raw, size), run + 1, whole as u8);
                }
            }
        }
        if dc_only {
            for (window, entry) in multi.iter_mut().enumerate() {
                let (mut used, mut advance) = (0u32, 0u32);
                let mut end = 0;
                while used < MULTI_BITS {
                    // The unread bits of the window, left-aligned; bits past it read as zeros,
                    // so an entry is taken only when it ends inside the window.
                    let rest = ((window as u32) << used) & ((1 << MULTI_BITS) - 1);
                    let (whole, step) = skip[(rest << (SKIP_BITS - MULTI_BITS)) as usize];
                    if whole == 0 || used + u32::from(whole) > MULTI_BITS {
                        break;
                    }
                    used += u32::from(whole);
                    if step == END_OF_BLOCK {
                        end = 1 << 16;
                        break;
                    }
                    advance += u32::from(step);
                }
                *entry = used | advance << 8 | end;
            }
        }
        AcLookups {
            skip,
            multi,
            coefficient,
        }
    }
}

/// Entropy-coded bits, read ahead into a 64-bit register. Stuffed `FF 00` bytes become `FF`; a
/// marker stops the reading and zero bits follow, counted so that reading into them is caught.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    count: u32,
    /// Zero bits appended after a marker or the end of the data, still in `acc`.
    padding: u32,
    stopped: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            acc: 0,
            count: 0,
            padding: 0,
            stopped: false,
        }
    }

    #[inline]
    fn refill(&mut self) {
        // Fast: eight bytes without a 0xFF among them.
        if !self.stopped && self.pos + 8 <= self.data.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.data[self.pos..self.pos + 8]);
            let word = u64::from_be_bytes(word);
            let inverted = !word;
            let has_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
            let take = (64 - self.count) / 8;
            if has_ff == 0 && take > 0 {
                let value = if take == 8 {
                    word
                } else {
                    word >> (64 - 8 * take)
                };
                self.acc |= value << (64 - self.count - 8 * take);
                self.count += 8 * take;
                self.pos += take as usize;
                return;
            }
        }
        while self.count <= 56 {
            let byte = if self.stopped {
                self.padding += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    None => {
                        self.stopped = true;
                        continue;
                    }
                    Some(0xFF) => match self.data.get(self.pos + 1) {
                        Some(0x00) => {
                            self.pos += 2;
                            0xFF
                        }
                        // A marker (or fill bytes before one): the data ends here.
                        _ => {
                            self.stopped = true;
                            continue;
                        }
                    },
                    Some(&byte) => {
                        self.pos += 1;
                        byte
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    #[inline]
    fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    /// Consumes `n` bits; `false` when they run into the padding (the data ended early).
    #[inline]
    fn consume(&mut self, n: u32) -> bool {
        self.acc <<= n;
        self.count -= n;
        self.count >= self.padding
    }

    /// Consumes `n` bits without the padding check (the caller checks later).
    #[inline]
    fn skip(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// One Huffman symbol.
    #[inline]
    fn symbol(&mut self, table: &Table) -> Option<u8> {
        if self.count < 32 {
            self.refill();
        }
        let (len, symbol) = table.lookup[self.peek(LOOKUP_BITS) as usize];
        if len > 0 {
            return self.consume(u32::from(len)).then_some(symbol);
        }
        let bits = self.peek(16) as i32;
        for len in (LOOKUP_BITS as usize + 1)..=16 {
            let code = bits >> (16 - len);
            if code <= table.maxcode[len] {
                let index = table.valptr[len] + code - table.mincode[len];
                let symbol = *table.values.get(usize::try_from(index).ok()?)?;
                return self.consume(len as u32).then_some(symbol);
            }
        }
        None
    }

    /// `n` (at most 16) raw bits.
    #[inline]
    fn take(&mut self, n: u32) -> Option<u32> {
        if n == 0 {
            return Some(0);
        }
        if self.count < 32 {
            self.refill();
        }
        let value = self.peek(n);
        self.consume(n).then_some(value)
    }

    /// Skips the rest of the byte and the restart marker that must follow.
    fn restart(&mut self) -> Option<()> {
        // Unread whole bytes in the register go back to the data (none are stuffed bytes'
        // halves: a stuffed FF 00 is read as one byte and only the FF is counted).
        let unread = self.count.checked_sub(self.padding)? / 8;
        let mut pos = self.pos;
        for _ in 0..unread {
            pos = pos.checked_sub(1)?;
            if pos > 0 && self.data[pos] == 0x00 && self.data[pos - 1] == 0xFF {
                pos -= 1;
            }
        }
        while self.data.get(pos) == Some(&0xFF) && self.data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        match (self.data.get(pos), self.data.get(pos + 1)) {
            (Some(0xFF), Some(0xD0..=0xD7)) => {}
            _ => return None,
        }
        *self = Bits::new(self.data);
        self.pos = pos + 2;
        Some(())
    }
}

/// One frame component.
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    dc_table: usize,
    ac_table: usize,
}

/// What the headers say, up to the scan.
struct Header<'a> {
    width: usize,
    height: usize,
    components: Vec<Component>,
    /// Quantisation tables, in natural order.
    quant: [Option<[u16; 64]>; 4],
    dc_tables: [Option<Table>; 4],
    ac_tables: [Option<Table>; 4],
    restart_interval: usize,
    /// A JFIF (APP0) segment was seen.
    jfif: bool,
    /// The colour transform byte of an Adobe (APP14) segment.
    adobe: Option<u8>,
    /// The last Exif (APP1) segment's TIFF data, as the image crate's decoder reports it.
    exif: Option<&'a [u8]>,
    scan: &'a [u8],
}

impl Header<'_> {
    /// Whether three components are YCbCr, decided as `jpeg-decoder` decides (component ids,
    /// then JFIF, then Adobe's transform flag).
    fn is_ycbcr(&self) -> bool {
        let ids: Vec<u8> = self.components.iter().map(|c| c.id).collect();
        match ids.as_slice() {
            [1, 2, 3] => true,
            [1, 34, 35] | [82, 71, 66] | [114, 103, 98] => false,
            _ if self.jfif => true,
            _ => matches!(self.adobe, None | Some(1)),
        }
    }
}

fn be16(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*data.get(at)?) << 8 | usize::from(*data.get(at + 1)?))
}

fn parse(data: &[u8]) -> Option<Header<'_>> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut header = Header {
        width: 0,
        height: 0,
        components: Vec::new(),
        quant: [None; 4],
        dc_tables: [None, None, None, None],
        ac_tables: [None, None, None, None],
        restart_interval: 0,
        jfif: false,
        adobe: None,
        exif: None,
        scan: &[],
    };
    let mut pos = 2;
    loop {
        while data.get(pos) == Some(&0xFF) && data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if *data.get(pos)? != 0xFF {
            return None;
        }
        let marker = *data.get(pos + 1)?;
        let len = be16(data, pos + 2)?;
        let body = data.get(pos + 4..(pos + 2).checked_add(len)?)?;
        match marker {
            // Baseline and extended sequential Huffman frames.
            0xC0 | 0xC1 => {
                if *body.first()? != 8 || !header.components.is_empty() {
                    return None;
                }
                header.height = be16(body, 1)?;
                header.width = be16(body, 3)?;
                let count = usize::from(*body.get(5)?);
                if header.width == 0 || header.height == 0 || !(count == 1 || count == 3) {
                    return None;
                }
                for c in 0..count {
                    let at = 6 + 3 * c;
                    let sampling = *body.get(at + 1)?;
                    let (h, v) = (usize::from(sampling >> 4), usize::from(sampling & 15));
                    let quant = usize::from(*body.get(at + 2)?);
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) || quant > 3 {
                        return None;
                    }
                    header.components.push(Component {
                        id: body[at],
                        h,
                        v,
                        quant,
                        dc_table: 0,
                        ac_table: 0,
                    });
                }
            }
            // Every other frame type: progressive, lossless, arithmetic, hierarchical.
            0xC2..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => {
                let mut at = 0;
                while at < body.len() {
                    let class_id = body[at];
                    let (class, id) = (class_id >> 4, usize::from(class_id & 15));
                    let counts: [u8; 16] = body.get(at + 1..at + 17)?.try_into().ok()?;
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let values = body.get(at + 17..at + 17 + total)?;
                    let table = Table::new(&counts, values)?;
                    match (class, id) {
                        (0, 0..=3) => header.dc_tables[id] = Some(table),
                        (1, 0..=3) => header.ac_tables[id] = Some(table),
                        _ => return None,
                    }
                    at += 17 + total;
                }
            }
            0xDB => {
                let mut at = 0;
                while at < body.len() {
                    let (precision, id) = (body[at] >> 4, usize::from(body[at] & 15));
                    if id > 3 {
                        return None;
                    }
                    let mut table = [0u16; 64];
                    for (k, &natural) in UNZIGZAG.iter().enumerate() {
                        table[usize::from(natural)] = match precision {
                            0 => u16::from(*body.get(at + 1 + k)?),
                            1 => be16(body, at + 1 + 2 * k)? as u16,
                            _ => return None,
                        };
                    }
                    header.quant[id] = Some(table);
                    at += 1 + 64 * (usize::from(precision) + 1);
                }
            }
            0xDD => header.restart_interval = be16(body, 0)?,
            0xE0 if body.starts_with(b"JFIF\0") => header.jfif = true,
            0xE1 if body.len() > 6 && body.starts_with(b"Exif\0\0") => {
                header.exif = Some(&body[6..]);
            }
            0xEE if body.starts_with(b"Adobe") && body.len() >= 12 => {
                header.adobe = Some(body[11]);
            }
            0xDA => {
                let count = usize::from(*body.first()?);
                if count != header.components.len() || count == 0 {
                    return None;
                }
                for s in 0..count {
                    let id = *body.get(1 + 2 * s)?;
                    let tables = *body.get(2 + 2 * s)?;
                    // Components in frame order, as an interleaved scan must list them.
                    let component = header.components.get_mut(s)?;
                    if component.id != id {
                        return None;
                    }
                    component.dc_table = usize::from(tables >> 4);
                    component.ac_table = usize::from(tables & 15);
                }
                let spectral = body.get(1 + 2 * count..4 + 2 * count)?;
                if spectral != [0, 63, 0] {
                    return None;
                }
                header.scan = data.get(pos + 2 + len..)?;
                return Some(header);
            }
            0xD8 | 0xD9 | 0xD0..=0xD7 | 0x01 => return None,
            _ => {}
        }
        pos += 2 + len;
    }
}

/// The divisor (1, 2, 4 or 8) `jpeg-decoder` decodes at when asked for `requested` pixels of an
/// image of `size`: the smallest scale at which either side reaches the request (its
/// `choose_idct_size`).
pub fn divisor_for(size: (u32, u32), requested: (u32, u32)) -> u32 {
    let scaled = |len: u32, scale: u32| (len * scale).div_ceil(8);
    [1, 2, 4]
        .into_iter()
        .find(|&s| scaled(size.0, s) >= requested.0 || scaled(size.1, s) >= requested.1)
        .map_or(1, |s| 8 / s)
}

/// Decodes `data` at 1/`divisor` scale (2, 4 or 8), or `None` when the file is not a plain
/// baseline YCbCr or grey JPEG in one scan, or its data is damaged.
///
/// Its buffers take about `width × height × 3 / divisor²` bytes for the size the header claims:
/// untrusted files come here only through [`crate::prep::decode_scaled`], which checks the pixel
/// count and the memory budget first.
pub fn decode(data: &[u8], divisor: usize) -> Option<ScaledImage> {
    Baseline::parse(data)?.decode(divisor)
}

/// A plain baseline JPEG whose headers this path reads: its size, colour and Exif data are
/// known before any pixel is decoded, so the caller can check its limits first.
pub struct Baseline<'a> {
    header: Header<'a>,
}

impl<'a> Baseline<'a> {
    /// `None` when the file is not one this path decodes (see the module's description).
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let header = parse(data)?;
        if header.components.len() == 3 && !header.is_ycbcr() {
            return None;
        }
        Some(Baseline { header })
    }

    /// Width and height as stored (before any Exif orientation).
    pub fn size(&self) -> (u32, u32) {
        // Both come from 16-bit header fields.
        (self.header.width as u32, self.header.height as u32)
    }

    /// Whether the file is greyscale (one component).
    pub fn grey(&self) -> bool {
        self.header.components.len() == 1
    }

    /// The Exif data (TIFF header onwards) of the last Exif segment, if any.
    pub fn exif(&self) -> Option<&'a [u8]> {
        self.header.exif
    }

    /// The pixels at 1/`divisor` scale (2, 4 or 8); `None` for damaged data.
    pub fn decode(&self, divisor: usize) -> Option<ScaledImage> {
        decode_header(&self.header, divisor)
    }
}

fn decode_header(header: &Header<'_>, divisor: usize) -> Option<ScaledImage> {
    // Samples across a block at this scale.
    let scale = match divisor {
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return None,
    };
    let grey = header.components.len() == 1;
    let (width, height) = (header.width, header.height);
    // A single-component scan is not interleaved: its blocks cover the image, unpadded.
    let (h_max, v_max) = if grey {
        (1, 1)
    } else {
        (
            header.components.iter().map(|c| c.h).max()?,
            header.components.iter().map(|c| c.v).max()?,
        )
    };
    let mcus_x = width.div_ceil(8 * h_max);
    let mcus_y = height.div_ceil(8 * v_max);
    let layout: Vec<(usize, usize)> = if grey {
        vec![(1, 1)]
    } else {
        header.components.iter().map(|c| (c.h, c.v)).collect()
    };
    let mut planes: Vec<Vec<u8>> = layout
        .iter()
        .map(|&(h, v)| vec![0u8; mcus_x * h * scale * mcus_y * v * scale])
        .collect();
    // The AC tables' lookups, once per table the scan uses.
    let mut lookups: [Option<AcLookups>; 4] = [None, None, None, None];
    for c in &header.components {
        let table = header.ac_tables.get(c.ac_table)?.as_ref()?;
        let slot = lookups.get_mut(c.ac_table)?;
        if slot.is_none() {
            *slot = Some(AcLookups::new(table, scale == 1));
        }
    }
    let mut tables = Vec::with_capacity(layout.len());
    for c in &header.components {
        tables.push(Tables {
            dc: header.dc_tables.get(c.dc_table)?.as_ref()?,
            ac: header.ac_tables.get(c.ac_table)?.as_ref()?,
            lookups: lookups[c.ac_table].as_ref()?,
            quant: header.quant[c.quant].as_ref()?,
        });
    }
    let mut scan = Scan {
        bits: Bits::new(header.scan),
        predictors: vec![0i16; layout.len()],
        tables,
        layout: &layout,
        mcus_x,
        restart_interval: header.restart_interval,
    };
    // One call per row of MCUs rather than one loop over the image: a browser runs wasm on a
    // baseline compiler first and swaps in optimised code only between calls, so on a cold
    // start most rows already run optimised. One function per scale keeps each small, so the
    // browser optimises it sooner.
    for my in 0..mcus_y {
        match scale {
            1 => scan.row::<1>(my, &mut planes)?,
            2 => scan.row::<2>(my, &mut planes)?,
            _ => scan.row::<4>(my, &mut planes)?,
        }
    }
    let (out_w, out_h) = ((width * scale).div_ceil(8), (height * scale).div_ceil(8));
    let pixels = if grey {
        let plane = &planes[0];
        let stride = mcus_x * scale;
        (0..out_h)
            .flat_map(|y| plane[y * stride..y * stride + out_w].iter().copied())
            .collect()
    } else {
        let size = (width * scale, height * scale);
        to_rgb(&planes, &layout, (h_max, v_max), size, mcus_x * scale)?
    };
    Some(ScaledImage {
        width: u32::try_from(out_w).ok()?,
        height: u32::try_from(out_h).ok()?,
        pixels,
        grey,
    })
}

/// One component's tables.
#[derive(Clone, Copy)]
struct Tables<'a> {
    dc: &'a Table,
    ac: &'a Table,
    lookups: &'a AcLookups,
    /// Quantisation, in natural order.
    quant: &'a [u16; 64],
}

/// The entropy-coded scan being read.
struct Scan<'a> {
    bits: Bits<'a>,
    predictors: Vec<i16>,
    /// Per component.
    tables: Vec<Tables<'a>>,
    layout: &'a [(usize, usize)],
    mcus_x: usize,
    restart_interval: usize,
}

impl Scan<'_> {
    /// Row `my` of MCUs into the per-component planes.
    /// `S`: samples across a block (4, 2 or 1).
    #[inline(never)]
    fn row<const S: usize>(&mut self, my: usize, planes: &mut [Vec<u8>]) -> Option<()> {
        let s = S;
        for mx in 0..self.mcus_x {
            let mcu = my * self.mcus_x + mx;
            if self.restart_interval > 0 && mcu > 0 && mcu % self.restart_interval == 0 {
                self.bits.restart()?;
                self.predictors.iter_mut().for_each(|p| *p = 0);
            }
            for (c, &(h, v)) in self.layout.iter().enumerate() {
                let tables = self.tables[c];
                let stride = self.mcus_x * h * s;
                let plane = planes.get_mut(c)?;
                for by in 0..v {
                    for bx in 0..h {
                        let predictor = &mut self.predictors[c];
                        let at = (my * v + by) * s * stride + (mx * h + bx) * s;
                        let out = plane.get_mut(at..at + (s - 1) * stride + s)?;
                        if s == 1 {
                            let dc = block_dc(&mut self.bits, tables, predictor)?;
                            let sample = (Wrapping(i32::from(dc))
                                * Wrapping(i32::from(tables.quant[0]))
                                + Wrapping(1024))
                                / Wrapping(8);
                            out[0] = clamp(sample);
                        } else {
                            let mut coefficients = [0i16; 64];
                            block(&mut self.bits, tables, predictor, &mut coefficients)?;
                            if s == 4 {
                                idct_4x4(&coefficients, tables.quant, stride, out);
                            } else {
                                idct_2x2(&coefficients, tables.quant, stride, out);
                            }
                        }
                    }
                }
            }
        }
        Some(())
    }
}

/// A block's DC coefficient: its difference read with `table`, added to `predictor`.
#[inline(always)]
fn read_dc(bits: &mut Bits<'_>, table: &Table, predictor: &mut i16) -> Option<i16> {
    let size = bits.symbol(table)?;
    if size > 11 {
        return None;
    }
    let raw = bits.take(u32::from(size))?;
    *predictor = predictor.wrapping_add(extend(raw, size));
    Some(*predictor)
}

/// One block: its DC coefficient (after prediction); the AC coefficients are skipped.
#[inline]
fn block_dc(bits: &mut Bits<'_>, tables: Tables<'_>, predictor: &mut i16) -> Option<i16> {
    let (ac, fast) = (tables.ac, tables.lookups);
    read_dc(bits, tables.dc, predictor)?;
    let mut k = 1u32;
    while k < 64 {
        if bits.count < 32 {
            bits.refill();
        }
        // Several coefficients at once, when they all belong to this block.
        let entry = fast.multi[bits.peek(MULTI_BITS) as usize & ((1 << MULTI_BITS) - 1)];
        let (used, advance, end) = (entry & 0xFF, (entry >> 8) & 0xFF, entry >> 16 != 0);
        if used > 0 && k + advance + u32::from(end) <= 64 {
            bits.skip(used);
            if end {
                break;
            }
            k += advance;
            continue;
        }
        let (skip, advance) = fast.skip[bits.peek(SKIP_BITS) as usize & ((1 << SKIP_BITS) - 1)];
        if skip > 0 {
            // Reading into the padding is caught once the block ends.
            bits.skip(u32::from(skip));
            if advance == END_OF_BLOCK {
                break;
            }
            k += u32::from(advance);
            continue;
        }
        let symbol = bits.symbol(ac)?;
        let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
        match (run, size) {
            (0, 0) => break,
            (15, 0) => k += 16,
            (_, 0) => return None,
            _ => {
                bits.take(size)?;
                k += run + 1;
            }
        }
    }
    // A run past the block's end, or bits read past the data, mean damaged data.
    (k <= 64 && bits.count >= bits.padding).then_some(*predictor)
}

/// One block's coefficients, in natural order.
#[inline]
fn block(
    bits: &mut Bits<'_>,
    tables: Tables<'_>,
    predictor: &mut i16,
    coefficients: &mut [i16; 64],
) -> Option<()> {
    let (ac, fast) = (tables.ac, tables.lookups);
    coefficients[0] = read_dc(bits, tables.dc, predictor)?;
    let mut k = 1usize;
    while k < 64 {
        if bits.count < 32 {
            bits.refill();
        }
        let (value, advance, used) =
            fast.coefficient[bits.peek(SKIP_BITS) as usize & ((1 << SKIP_BITS) - 1)];
        let (run, value) = if used > 0 {
            bits.skip(u32::from(used));
            (usize::from(advance) - 1, value)
        } else {
            let symbol = bits.symbol(ac)?;
            let (run, size) = (usize::from(symbol >> 4), symbol & 15);
            match (run, size) {
                (0, 0) => break,
                (15, 0) => {
                    k += 16;
                    continue;
                }
                (_, 0) => return None,
                _ => (run, extend(bits.take(u32::from(size))?, size)),
            }
        };
        k += run;
        // A run past the block's end means damaged data.
        coefficients[usize::from(*UNZIGZAG.get(k)?)] = value;
        k += 1;
    }
    (k <= 64 && bits.count >= bits.padding).then_some(())
}

fn clamp(value: Wrapping<i32>) -> u8 {
    value.0.clamp(0, 255) as u8
}

/// `jpeg-decoder`'s fixed point for its reduced IDCTs (12 bits).
fn f2f(x: f32) -> Wrapping<i32> {
    Wrapping((x * 4096.0 + 0.5) as i32)
}

/// A block to 4 × 4 samples: `jpeg-decoder`'s `dequantize_and_idct_block_4x4`, exactly.
fn idct_4x4(coefficients: &[i16; 64], quant: &[u16; 64], stride: usize, output: &mut [u8]) {
    const CONST_BITS: usize = 12;
    const PASS1_BITS: usize = 2;
    const FINAL_BITS: usize = CONST_BITS + PASS1_BITS + 3;
    let at = |i: usize| Wrapping(i32::from(coefficients[i]) * i32::from(quant[i]));
    let mut temp = [Wrapping(0i32); 16];
    for i in 0..4 {
        let (s0, s1, s2, s3) = (at(i), at(i + 8), at(i + 16), at(i + 24));
        let x0 = (s0 + s2) << PASS1_BITS;
        let x2 = (s0 - s2) << PASS1_BITS;
        let p1 = (s1 + s3) * f2f(0.541_196_1);
        let t0 = (p1 + s3 * f2f(-1.847_759_1) + Wrapping(512)) >> (CONST_BITS - PASS1_BITS);
        let t2 = (p1 + s1 * f2f(0.765_366_9) + Wrapping(512)) >> (CONST_BITS - PASS1_BITS);
        temp[i] = x0 + t2;
        temp[i + 12] = x0 - t2;
        temp[i + 4] = x2 + t0;
        temp[i + 8] = x2 - t0;
    }
    for i in 0..4 {
        let (s0, s1, s2, s3) = (
            temp[i * 4],
            temp[i * 4 + 1],
            temp[i * 4 + 2],
            temp[i * 4 + 3],
        );
        let x0 = (s0 + s2) << CONST_BITS;
        let x2 = (s0 - s2) << CONST_BITS;
        let p1 = (s1 + s3) * f2f(0.541_196_1);
        let t0 = p1 + s3 * f2f(-1.847_759_1);
        let t2 = p1 + s1 * f2f(0.765_366_9);
        let bias = Wrapping(1 << (FINAL_BITS - 1)) + Wrapping(128 << FINAL_BITS);
        let (x0, x2) = (x0 + bias, x2 + bias);
        let row = &mut output[i * stride..i * stride + 4];
        row[0] = clamp((x0 + t2) >> FINAL_BITS);
        row[3] = clamp((x0 - t2) >> FINAL_BITS);
        row[1] = clamp((x2 + t0) >> FINAL_BITS);
        row[2] = clamp((x2 - t0) >> FINAL_BITS);
    }
}

/// A block to 2 × 2 samples: `jpeg-decoder`'s `dequantize_and_idct_block_2x2`, exactly.
fn idct_2x2(coefficients: &[i16; 64], quant: &[u16; 64], stride: usize, output: &mut [u8]) {
    const SCALE_BITS: usize = 3;
    let at = |i: usize| Wrapping(i32::from(coefficients[i]) * i32::from(quant[i]));
    let (x0, x2) = (at(0) + at(8), at(0) - at(8));
    let (x1, x3) = (at(1) + at(9), at(1) - at(9));
    let bias = Wrapping(1 << (SCALE_BITS - 1)) + Wrapping(128 << SCALE_BITS);
    let (x0, x2) = (x0 + bias, x2 + bias);
    output[0] = clamp((x0 + x1) >> SCALE_BITS);
    output[1] = clamp((x0 - x1) >> SCALE_BITS);
    output[stride] = clamp((x2 + x3) >> SCALE_BITS);
    output[stride + 1] = clamp((x2 - x3) >> SCALE_BITS);
}

fn extend(raw: u32, size: u8) -> i16 {
    if size == 0 {
        return 0;
    }
    let raw = raw as i32;
    let value = if raw < 1 << (size - 1) {
        raw - (1 << size) + 1
    } else {
        raw
    };
    value as i16
}

/// How a component reaches full resolution, chosen as `jpeg-decoder` chooses.
#[derive(Clone, Copy)]
enum Upsample {
    H1V1,
    H2V1,
    H1V2,
    H2V2,
    /// Nearest neighbour by whole ratios.
    Nearest(usize, usize),
}

impl Upsample {
    fn choose(
        (h, v): (usize, usize),
        (h_max, v_max): (usize, usize),
        out: (usize, usize),
    ) -> Option<Self> {
        let h1 = h == h_max || out.0 == 1;
        let v1 = v == v_max || out.1 == 1;
        let (h2, v2) = (h * 2 == h_max, v * 2 == v_max);
        Some(match (h1, v1, h2, v2) {
            (true, true, _, _) => Self::H1V1,
            (_, true, true, _) => Self::H2V1,
            (true, _, _, true) => Self::H1V2,
            (_, _, true, true) => Self::H2V2,
            _ if h_max % h == 0 && v_max % v == 0 => Self::Nearest(h_max / h, v_max / v),
            // `jpeg-decoder` refuses non-integer ratios; so does this path.
            _ => return None,
        })
    }
}

/// Upsamples chroma and converts to RGB exactly as `jpeg-decoder` does.
fn to_rgb(
    planes: &[Vec<u8>],
    layout: &[(usize, usize)],
    (h_max, v_max): (usize, usize),
    (width, height): (usize, usize),
    mcus_x: usize,
) -> Option<Vec<u8>> {
    let (out_w, out_h) = (width.div_ceil(8), height.div_ceil(8));
    let kinds = layout
        .iter()
        .map(|&hv| Upsample::choose(hv, (h_max, v_max), (out_w, out_h)))
        .collect::<Option<Vec<_>>>()?;
    let line = layout
        .iter()
        .map(|&(h, _)| (width * h).div_ceil(h_max * 8))
        .max()
        .unwrap_or(0)
        * h_max;
    let mut rows = RgbRows {
        planes,
        layout,
        kinds,
        max: (h_max, v_max),
        size: (width, height),
        mcus_x,
        lines: vec![vec![0u8; line.max(out_w) + 8 * h_max]; 3],
        out: Vec::with_capacity(out_w * out_h * 3),
    };
    // One call per output row, for the same reason as the scan's rows.
    for row in 0..out_h {
        rows.row(row)?;
    }
    Some(rows.out)
}

/// [`to_rgb`]'s state between rows.
struct RgbRows<'a> {
    planes: &'a [Vec<u8>],
    layout: &'a [(usize, usize)],
    kinds: Vec<Upsample>,
    /// The largest sampling factors.
    max: (usize, usize),
    /// The image's size times the scale's samples across a block.
    size: (usize, usize),
    mcus_x: usize,
    /// One upsampled line per component.
    lines: Vec<Vec<u8>>,
    out: Vec<u8>,
}

impl RgbRows<'_> {
    /// Output row `row`, appended to `out`.
    #[inline(never)]
    fn row(&mut self, row: usize) -> Option<()> {
        let ((h_max, v_max), (width, height)) = (self.max, self.size);
        let out_w = width.div_ceil(8);
        for (c, &(h, v)) in self.layout.iter().enumerate() {
            let input_w = (width * h).div_ceil(h_max * 8);
            let input_h = (height * v).div_ceil(v_max * 8);
            let stride = self.mcus_x * h;
            let output = &mut self.lines[c];
            let plane = &self.planes[c];
            match self.kinds[c] {
                Upsample::H1V1 => {
                    output[..out_w].copy_from_slice(plane.get(row * stride..row * stride + out_w)?)
                }
                Upsample::H2V1 => upsample_h2v1(plane.get(row * stride..)?, input_w, output),
                Upsample::H1V2 | Upsample::H2V2 => {
                    let (near, far) = near_far(row, input_h);
                    let near = plane.get(near * stride..)?;
                    let far = plane.get(far * stride..)?;
                    if matches!(self.kinds[c], Upsample::H1V2) {
                        upsample_h1v2(near, far, &mut output[..out_w]);
                    } else {
                        upsample_h2v2(near, far, input_w, output);
                    }
                }
                Upsample::Nearest(sh, sv) => {
                    let start = (row / sv) * stride;
                    upsample_nearest(plane.get(start..start + input_w)?, sh, output);
                }
            }
        }
        let [y, cb, cr] = [&self.lines[0], &self.lines[1], &self.lines[2]];
        for ((&y, &cb), &cr) in y[..out_w].iter().zip(cb).zip(cr) {
            let (r, g, b) = ycbcr_to_rgb(y, cb, cr);
            self.out.extend_from_slice(&[r, g, b]);
        }
        Some(())
    }
}

/// The nearer and farther source rows for output `row` when upsampling 2× vertically.
fn near_far(row: usize, input_h: usize) -> (usize, usize) {
    let near = row as f32 / 2.0;
    let far = (near + near.fract() * 3.0 - 0.25).min((input_h - 1) as f32);
    (near as usize, far as usize)
}

// The upsamplers stay out of line, so that the row function the browser optimises holds only
// the one in use.

#[inline(never)]
fn upsample_h1v2(near: &[u8], far: &[u8], output: &mut [u8]) {
    for (out, (&n, &f)) in output.iter_mut().zip(near.iter().zip(far)) {
        *out = ((3 * u32::from(n) + u32::from(f) + 2) >> 2) as u8;
    }
}

#[inline(never)]
fn upsample_nearest(input: &[u8], factor: usize, output: &mut [u8]) {
    for (i, &value) in input.iter().enumerate() {
        output[i * factor..i * factor + factor].fill(value);
    }
}

#[inline(never)]
fn upsample_h2v1(input: &[u8], width: usize, output: &mut [u8]) {
    if width == 1 {
        output[0] = input[0];
        output[1] = input[0];
        return;
    }
    let at = |i: usize| u32::from(input[i]);
    output[0] = input[0];
    output[1] = ((at(0) * 3 + at(1) + 2) >> 2) as u8;
    for i in 1..width - 1 {
        let sample = 3 * at(i) + 2;
        output[i * 2] = ((sample + at(i - 1)) >> 2) as u8;
        output[i * 2 + 1] = ((sample + at(i + 1)) >> 2) as u8;
    }
    output[(width - 1) * 2] = ((at(width - 1) * 3 + at(width - 2) + 2) >> 2) as u8;
    output[(width - 1) * 2 + 1] = input[width - 1];
}

#[inline(never)]
fn upsample_h2v2(near: &[u8], far: &[u8], width: usize, output: &mut [u8]) {
    let mix = |i: usize| 3 * u32::from(near[i]) + u32::from(far[i]);
    if width == 1 {
        let value = ((mix(0) + 2) >> 2) as u8;
        output[0] = value;
        output[1] = value;
        return;
    }
    let mut t1 = mix(0);
    output[0] = ((t1 + 2) >> 2) as u8;
    for i in 1..width {
        let t0 = t1;
        t1 = mix(i);
        output[i * 2 - 1] = ((3 * t0 + t1 + 8) >> 4) as u8;
        output[i * 2] = ((3 * t1 + t0 + 8) >> 4) as u8;
    }
    output[width * 2 - 1] = ((t1 + 2) >> 2) as u8;
}

const FIXED_POINT: i32 = 20;

fn fixed(x: f32) -> i32 {
    (x * ((1 << FIXED_POINT) as f32) + 0.5) as i32
}

/// ITU-R BT.601, in `jpeg-decoder`'s fixed point.
fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> (u8, u8, u8) {
    let y = i32::from(y) * (1 << FIXED_POINT) + (1 << FIXED_POINT) / 2;
    let cb = i32::from(cb) - 128;
    let cr = i32::from(cr) - 128;
    let clamp = |value: i32| (value >> FIXED_POINT).clamp(0, 255) as u8;
    (
        clamp(y + fixed(1.402_00) * cr),
        clamp(y - fixed(0.344_14) * cb - fixed(0.714_14) * cr),
        clamp(y + fixed(1.772_00) * cb),
    )
}
