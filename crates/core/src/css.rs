//! The widget's stylesheets as they ship (the overlay's and each part's): comments and needless
//! spaces taken out while the widget compiles (`const fn`, so no build step), the sources
//! keeping them.
//!
//! Only what is safe in any stylesheet: comments go (each counts as white space), a run of
//! white space becomes one space, and that space goes next to `{`, `}`, `;` and `,`, and after
//! `:`. A space before `:` stays, since `a :is(b)` and `a ::slotted(b)` differ from `a:is(b)`.
//! Strings are copied as they are.

/// The length of [`minify`]'s output for `css`.
pub const fn minified_len(css: &[u8]) -> usize {
    let mut nothing: [u8; 0] = [];
    run(css, &mut nothing)
}

/// `css` without comments and needless spaces; `N` must be [`minified_len`] of it.
pub const fn minify<const N: usize>(css: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let written = run(css, &mut out);
    assert!(written == N, "minify: N is not minified_len(css)");
    out
}

const fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c')
}

/// Bytes next to which a space means nothing.
const fn is_tight(byte: u8) -> bool {
    matches!(byte, b'{' | b'}' | b';' | b',')
}

/// Puts `byte` at `at` when `out` has room; returns where the next one goes.
const fn put(out: &mut [u8], at: usize, byte: u8) -> usize {
    if at < out.len() {
        out[at] = byte;
    }
    at + 1
}

/// Writes the output into `out` while it has room; returns the output's length.
const fn run(css: &[u8], out: &mut [u8]) -> usize {
    let mut written = 0;
    let mut i = 0;
    let mut last = 0u8;
    let mut space = false;
    while i < css.len() {
        let byte = css[i];
        if byte == b'/' && i + 1 < css.len() && css[i + 1] == b'*' {
            i += 2;
            while i < css.len() && !(css[i] == b'*' && i + 1 < css.len() && css[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            space = true;
            continue;
        }
        if is_space(byte) {
            space = true;
            i += 1;
            continue;
        }
        if space && written > 0 && !is_tight(last) && last != b':' && !is_tight(byte) {
            written = put(out, written, b' ');
        }
        space = false;
        if byte == b'"' || byte == b'\'' {
            // The whole string, escapes and all.
            let quote = byte;
            loop {
                written = put(out, written, css[i]);
                i += 1;
                if i >= css.len() {
                    break;
                }
                if css[i] == b'\\' && i + 1 < css.len() {
                    written = put(out, written, css[i]);
                    i += 1;
                } else if css[i] == quote {
                    written = put(out, written, quote);
                    i += 1;
                    break;
                }
            }
            last = quote;
            continue;
        }
        written = put(out, written, byte);
        last = byte;
        i += 1;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(css: &str) -> String {
        let mut out = vec![0u8; minified_len(css.as_bytes())];
        let written = run(css.as_bytes(), &mut out);
        assert_eq!(written, out.len());
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn comments_and_spacing_go() {
        assert_eq!(
            min("/* a note */\n.a {\n  color: red;\n  margin: 0 auto;\n}\n\n.b, .c { x: y }\n"),
            ".a{color:red;margin:0 auto;}.b,.c{x:y}"
        );
        assert_eq!(
            min("@media (max-width: 520px) {\n  .a > .b { c: d }\n}"),
            "@media (max-width:520px){.a > .b{c:d}}"
        );
    }

    #[test]
    fn spaces_that_mean_something_stay() {
        // Descendant combinators before pseudo-classes and pseudo-elements.
        assert_eq!(
            min(":host(:fullscreen) ::slotted(video) { a: b }"),
            ":host(:fullscreen) ::slotted(video){a:b}"
        );
        assert_eq!(
            min(".short .pinned :is(.brand, .bar) {a:b}"),
            ".short .pinned :is(.brand,.bar){a:b}"
        );
        // Arithmetic in calc() needs its spaces.
        assert_eq!(min("x: calc(100cqb  -  110px);"), "x:calc(100cqb - 110px);");
        assert_eq!(min("x: 100% !important;"), "x:100% !important;");
    }

    #[test]
    fn strings_are_copied_as_they_are() {
        assert_eq!(
            min("font-family: \"Segoe  UI\", 'a /* b */ c', \"q\\\"  r\";"),
            "font-family:\"Segoe  UI\",'a /* b */ c',\"q\\\"  r\";"
        );
        // An unterminated string or comment ends the sheet without a panic.
        assert_eq!(min("a: \"open"), "a:\"open");
        assert_eq!(min("a: b; /* open"), "a:b;");
    }

    #[test]
    fn compile_time_and_run_time_agree() {
        const SOURCE: &[u8] = b"/* c */ .a { b: c }";
        const OUT: [u8; minified_len(SOURCE)] = minify(SOURCE);
        assert_eq!(&OUT, b".a{b:c}");
    }
}
