//! `live-shop-prep IN -o OUT [--profile max-512] [--box x,y,w,h]`: prepares an image exactly as
//! the widget's worker does. Prints one line on success; on failure, one line with the reason
//! and a non-zero status (1 for the image, 2 for the command line).
use std::path::PathBuf;
use std::process::ExitCode;

use live_shop_core::prep::{prepare, CropBox, DecodePath, PrepLimits, Profile};

const USAGE: &str = "usage: live-shop-prep IN -o OUT [--profile max-512|max-1024|square-224] [--box x,y,width,height]";

struct Args {
    input: PathBuf,
    output: PathBuf,
    profile: Profile,
    crop: CropBox,
}

fn parse() -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let (mut input, mut output) = (None, None);
    let mut profile = Profile::Max512;
    let mut crop = CropBox::FULL;
    let err = |e: lexopt::Error| e.to_string();
    while let Some(arg) = parser.next().map_err(err)? {
        match arg {
            Short('o') | Long("output") => {
                output = Some(PathBuf::from(parser.value().map_err(err)?))
            }
            Long("profile") => {
                let name = parser.value().map_err(err)?.string().map_err(err)?;
                profile = Profile::parse(&name).map_err(|e| e.to_string())?;
            }
            Long("box") => {
                let text = parser.value().map_err(err)?.string().map_err(err)?;
                crop = CropBox::parse(&text).map_err(|e| e.to_string())?;
            }
            Long("help") | Short('h') => return Err(USAGE.into()),
            Value(path) if input.is_none() => input = Some(PathBuf::from(path)),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Args {
        input: input.ok_or("missing IN")?,
        output: output.ok_or("missing -o OUT")?,
        profile,
        crop,
    })
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("live-shop-prep: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let fail = |message: String| {
        eprintln!("live-shop-prep: {message}");
        ExitCode::from(1)
    };
    let bytes = match std::fs::read(&args.input) {
        Ok(bytes) => bytes,
        Err(e) => return fail(format!("cannot read {}: {e}", args.input.display())),
    };
    let prepared = match prepare(&bytes, args.profile, args.crop, &PrepLimits::default()) {
        Ok(prepared) => prepared,
        Err(e) => return fail(format!("{}: {e} [{}]", args.input.display(), e.code())),
    };
    if let Err(e) = std::fs::write(&args.output, &prepared.jpeg) {
        return fail(format!("cannot write {}: {e}", args.output.display()));
    }
    let decoded = match prepared.decoded_by {
        DecodePath::Full => "full size".to_string(),
        DecodePath::Scaled(divisor) => format!("1/{divisor} scale"),
        DecodePath::Baseline(8) => "1/8 scale, DC only".to_string(),
        DecodePath::Baseline(divisor) => format!("1/{divisor} scale, baseline fast path"),
    };
    println!(
        "{} {}x{} {} bytes quality {} hash {:016x} from {}x{} (decoded at {decoded})",
        args.profile.name(),
        prepared.width,
        prepared.height,
        prepared.jpeg.len(),
        prepared.quality,
        prepared.hash,
        prepared.original.0,
        prepared.original.1
    );
    ExitCode::SUCCESS
}
