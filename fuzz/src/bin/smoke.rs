//! Deterministic smoke run of the fuzz targets on stable Rust, without libFuzzer or sanitizers:
//!
//!   cargo run --release --no-default-features --bin smoke -- [--seconds N] [--seed S] [--target decode|session|properties|all]
//!                                                            [--corpus DIR] [--write-seeds N]
//!
//! `--write-seeds N` writes N generated inputs per target into `fuzz/corpus/<target>/` (a starting corpus
//! for `cargo fuzz run`) and exits.
//!
//! Generated inputs come from a seeded xorshift generator, so a failure reproduces with the same seed; the
//! failing input is written to `fuzz/artifacts/<target>/smoke-<seed>-<n>` before the panic propagates, and
//! can then be replayed with `cargo fuzz run <target> <file>` or `--corpus`.
use std::panic;
use std::time::{Duration, Instant};

use std::sync::atomic::Ordering::Relaxed;

use mqtt_napi_fuzz::{
    decode, decode_input, properties, properties_input, session, session_input, Rng, SESSION_STATS,
    SESSION_STAT_NAMES,
};

/// A target's name, the target, and its input generator.
type Target = (&'static str, fn(&[u8]), fn(&mut Rng) -> Vec<u8>);
/// A target's name and its input generator.
type Generator = (&'static str, fn(&mut Rng) -> Vec<u8>);

fn main() {
    let mut seconds = 10u64;
    let mut seed = 1u64;
    let mut target = "all".to_string();
    let mut corpus: Option<String> = None;
    let mut write_seeds: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => seconds = value().parse().expect("--seconds N"),
            "--seed" => seed = value().parse().expect("--seed S"),
            "--target" => target = value(),
            "--corpus" => corpus = Some(value()),
            "--write-seeds" => write_seeds = Some(value().parse().expect("--write-seeds N")),
            other => panic!("unknown argument {other}"),
        }
    }

    if let Some(count) = write_seeds {
        let generators: [Generator; 3] = [
            ("decode", decode_input),
            ("session", session_input),
            ("properties", properties_input),
        ];
        for (name, generate) in generators {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(name);
            std::fs::create_dir_all(&dir).expect("corpus dir");
            let mut rng = Rng::new(seed);
            for i in 0..count {
                std::fs::write(dir.join(format!("seed-{seed}-{i}")), generate(&mut rng))
                    .expect("seed file");
            }
            println!("{name}: wrote {count} seeds to {}", dir.display());
        }
        return;
    }

    if let Some(dir) = corpus {
        let run: fn(&[u8]) = if target == "session" { session } else { decode };
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("corpus dir").flatten() {
            run(&std::fs::read(entry.path()).expect("corpus file"));
            n += 1;
        }
        println!("{target}: replayed {n} corpus files from {dir}: ok");
        return;
    }

    let targets: Vec<Target> = vec![
        ("decode", decode, decode_input),
        ("session", session, session_input),
        ("properties", properties, properties_input),
    ];
    let chosen: Vec<_> = targets
        .into_iter()
        .filter(|(name, _, _)| target == "all" || target == *name)
        .collect();
    assert!(!chosen.is_empty(), "unknown target {target}");
    let budget = Duration::from_secs(seconds) / chosen.len() as u32;
    for (name, run, generate) in chosen {
        let mut rng = Rng::new(seed);
        let start = Instant::now();
        let mut n: u64 = 0;
        while start.elapsed() < budget {
            let input = generate(&mut rng);
            let result = panic::catch_unwind(|| run(&input));
            if let Err(cause) = result {
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("artifacts")
                    .join(name);
                let _ = std::fs::create_dir_all(&dir);
                let file = dir.join(format!("smoke-{seed}-{n}"));
                let _ = std::fs::write(&file, &input);
                eprintln!(
                    "{name}: input #{n} (seed {seed}) failed; saved to {}",
                    file.display()
                );
                panic::resume_unwind(cause);
            }
            n += 1;
        }
        println!(
            "{name}: {n} inputs in {:.1} s (seed {seed}): ok",
            start.elapsed().as_secs_f64()
        );
        if name == "session" {
            let stats: Vec<String> = SESSION_STAT_NAMES
                .iter()
                .zip(SESSION_STATS.iter())
                .map(|(k, v)| format!("{k} {}", v.load(Relaxed)))
                .collect();
            println!("  session depth: {}", stats.join(", "));
        }
    }
}
