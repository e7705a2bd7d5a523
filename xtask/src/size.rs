//! The size report: the release SPA shell and the Worker bundle, raw / gzip / brotli, and a
//! `wrangler deploy --dry-run` that proves the deployable bundle builds offline.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use test_support::{node_bin, quiet_wrangler_env, workspace_root};

use crate::build::{self, target_dir};
use crate::process::{self, Failure, Outcome, step};
use crate::setup::{self, Needs};

/// The goal for the whole SPA (wasm + JS glue), brotli-compressed: 200 KB (issue #6). The report
/// says when the SPA is over it.
const SPA_GOAL_BROTLI: usize = 200_000;
/// The ceiling: going over fails the size step (and CI), so no change can let the SPA grow
/// unnoticed past it.
const SPA_CEILING_BROTLI: usize = 230_000;

/// Builds everything, then reports the sizes and runs the dry-run deploy.
pub(crate) fn run() -> Outcome {
    setup::run(Needs::Build)?;
    build::run()?;
    report()
}

/// Reports the sizes of the built artifacts and runs the dry-run deploy.
pub(crate) fn report() -> Outcome {
    let root = workspace_root();
    step("size report", || print_sizes(&root))?;
    step("wrangler deploy --dry-run", || dry_run_deploy(&root))
}

fn print_sizes(root: &Path) -> Outcome {
    let spa = [("app/dist/app_bg.wasm", "SPA wasm"), ("app/dist/app.js", "SPA JS glue")];
    let worker =
        [("edge/build/index_bg.wasm", "Worker wasm"), ("edge/build/index.js", "Worker JS")];
    println!("{:<14} {:>10} {:>10} {:>10}  file", "artifact", "raw", "gzip -9", "brotli 11");
    let spa_total = print_group(root, &spa, "SPA")?;
    print_group(root, &worker, "Worker bundle")?;
    let verdict = match spa_total.brotli {
        n if n <= SPA_GOAL_BROTLI => "within the goal",
        n if n <= SPA_CEILING_BROTLI => "OVER the goal, within the ceiling",
        _ => "OVER the ceiling",
    };
    println!(
        "SPA: {} B brotli ({:.1} KiB), {verdict} ({} KB goal, {} KB ceiling)",
        spa_total.brotli,
        kib(spa_total.brotli),
        SPA_GOAL_BROTLI / 1000,
        SPA_CEILING_BROTLI / 1000
    );
    if spa_total.brotli <= SPA_CEILING_BROTLI {
        Ok(())
    } else {
        Err(Failure::new(format!("the SPA is over its {SPA_CEILING_BROTLI} B brotli ceiling")))
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn print_group(root: &Path, files: &[(&str, &str)], total_label: &str) -> Result<Sizes, Failure> {
    let mut total = Sizes::default();
    for (file, label) in files {
        let bytes = fs::read(root.join(file))
            .map_err(|e| Failure::new(format!("reading {file}: {e} (build first)")))?;
        let sizes =
            Sizes { raw: bytes.len(), gzip: gzip_len(&bytes)?, brotli: brotli_len(&bytes)? };
        print_row(label, sizes, file);
        total.raw += sizes.raw;
        total.gzip += sizes.gzip;
        total.brotli += sizes.brotli;
    }
    print_row(total_label, total, "(total)");
    Ok(total)
}

fn print_row(label: &str, sizes: Sizes, file: &str) {
    println!("{label:<14} {:>10} {:>10} {:>10}  {file}", sizes.raw, sizes.gzip, sizes.brotli);
}

fn gzip_len(bytes: &[u8]) -> Result<usize, Failure> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| Failure::new(format!("gzip: {e}")))?;
    Ok(encoder.finish().map_err(|e| Failure::new(format!("gzip: {e}")))?.len())
}

fn brotli_len(bytes: &[u8]) -> Result<usize, Failure> {
    let mut compressed = Vec::new();
    {
        // Quality 11 and a 4 MiB window: what `brotli -q 11` and Cloudflare's static assets use.
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 64 * 1024, 11, 22);
        writer.write_all(bytes).map_err(|e| Failure::new(format!("brotli: {e}")))?;
    }
    Ok(compressed.len())
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

/// Bundles the Worker as `wrangler deploy` would, without uploading it (no login, no network).
fn dry_run_deploy(root: &Path) -> Outcome {
    let out_dir = target_dir(root).join("deploy-dry-run");
    let mut command = Command::new(node_bin(root, "wrangler"));
    command
        .current_dir(root)
        .args(["deploy", "--config", "wrangler.toml", "--dry-run", "--outdir"])
        .arg(&out_dir);
    quiet_wrangler_env(&mut command, root);
    process::run(&mut command)?;
    println!(
        "deployable bundle written to {}",
        out_dir.strip_prefix(root).unwrap_or(&out_dir).display()
    );
    Ok(())
}
