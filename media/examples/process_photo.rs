//! Benchmark helper (bench/photo.sh): renders a photo to its sizes and prints the time.
//!
//!   process_photo make PATH        writes a 4000 × 3000 phone-like JPEG of about 12 MB
//!   process_photo run PATH [N]     processes PATH N times (default 5), prints each time

use std::time::Instant;

use image::{ImageEncoder, Rgb, RgbImage, codecs::jpeg::JpegEncoder};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("make"), Some(path)) => make(path),
        (Some("run"), Some(path)) => {
            let times = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(5);
            run(path, times);
        }
        _ => {
            eprintln!("usage: process_photo make PATH | run PATH [N]");
            std::process::exit(2);
        }
    }
}

/// A 12 MP picture with fine detail (a gradient with pseudo-random grain), saved at quality 95
/// so that it is as large as what a phone writes.
fn make(path: &str) {
    let mut state: u32 = 0x1234_5678;
    let photo = RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state & 0x2f) as u8;
        Rgb([
            ((x / 16) as u8).wrapping_add(grain),
            ((y / 12) as u8).wrapping_add(grain / 2),
            (((x + y) / 28) as u8).wrapping_add(grain),
        ])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(photo.as_raw(), 4000, 3000, image::ExtendedColorType::Rgb8)
        .expect("encode");
    std::fs::write(path, &out).expect("write");
    println!("{path}: {} bytes", out.len());
}

fn run(path: &str, times: usize) {
    let bytes = std::fs::read(path).expect("read");
    let limits = media::Limits::default();
    for round in 1..=times {
        let started = Instant::now();
        let processed = media::process(&bytes, &limits).expect("process");
        let elapsed = started.elapsed();
        let sizes: Vec<String> = processed
            .renditions
            .iter()
            .map(|r| {
                format!(
                    "{}x{} {} {} B",
                    r.width,
                    r.height,
                    r.encoding.extension(),
                    r.bytes.len()
                )
            })
            .collect();
        println!(
            "round {round}: {:.0} ms  [{}]",
            elapsed.as_secs_f64() * 1000.0,
            sizes.join(", ")
        );
    }
}
