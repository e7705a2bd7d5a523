//! Release builds of the Worker (`edge/build/`, by worker-build) and of the SPA (`app/dist/`, by
//! cargo, wasm-bindgen, wasm-opt and esbuild's minifier: the same output as trunk without its
//! 11-minute install).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::{node_bin, workspace_root};

use crate::process::{self, Failure, Outcome, step};
use crate::short_imports;
use crate::tools::Tools;

/// Builds the Worker and the SPA. Expects the tools installed (`setup`).
pub(crate) fn run() -> Outcome {
    let root = workspace_root();
    let tools = Tools::locate(&root)?;
    step("build the Worker (worker-build --release)", || build_edge(&root, &tools))?;
    step("build the SPA (cargo, wasm-bindgen, wasm-opt, esbuild)", || build_app(&root, &tools))
}

fn build_edge(root: &Path, tools: &Tools) -> Outcome {
    let mut command = Command::new(tools.worker_build());
    command.current_dir(root.join("edge")).arg("--release");
    tools.apply_env(&mut command, root);
    process::run(&mut command)
}

fn build_app(root: &Path, tools: &Tools) -> Outcome {
    process::run(Command::new("cargo").current_dir(root).args([
        "build",
        "--locked",
        "--release",
        "--package",
        "app",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let dist = root.join("app").join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| io_failure("clearing app/dist", e))?;
    }
    fs::create_dir_all(&dist).map_err(|e| io_failure("creating app/dist", e))?;

    let wasm = target_dir(root).join("wasm32-unknown-unknown").join("release").join("app.wasm");
    process::run(
        Command::new(tools.wasm_bindgen())
            .args(["--target", "web", "--no-typescript"])
            // The producers section only helps debuggers. The name section stays for wasm-opt
            // (below), which orders the functions by it and then leaves it out.
            .arg("--remove-producers-section")
            .arg("--out-dir")
            .arg(&dist)
            .args(["--out-name", "app"])
            .arg(&wasm),
    )?;
    let module = dist.join("app_bg.wasm");
    shorten_imports(&module, &dist.join("app.js"))?;
    // Measured on this SPA in brotli, the size that travels (issue #12): `-Os` compresses 0.4 KB
    // smaller than `-Oz`; flattening and re-looping the control flow, then a whole-program
    // analysis of what each value can be (`--gufa`), each followed by `-Os`, take 2.4 KB more
    // (222.7 KB to 220.3 KB of wasm) for about 15 s of build time. Running them twice gains
    // nothing; `--converge` gains nothing. Ordering the functions by their Rust names first puts
    // related code side by side, where brotli finds more of it again: 2.9 KB less (it needs the
    // name section; with the functions numbered it costs 4.0 KB instead). wasm-opt writes no name
    // section without `-g`; `--strip-debug` says so, and changes no byte. The target-features
    // section is for tools, not browsers: 0.1 KB.
    process::run(
        Command::new(node_bin(root, "wasm-opt"))
            .arg("--reorder-functions-by-name")
            .args(["-Os", "--flatten", "--rereloop", "-Os", "--gufa", "-Os"])
            .args(["--strip-debug", "--strip-target-features"])
            .arg(&module)
            .arg("-o")
            .arg(&module),
    )?;
    // The JS glue minified (a third of its brotli size goes), with esbuild from wrangler's npm
    // packages: no new tool.
    let glue = dist.join("app.js");
    let minified = dist.join("app.min.js");
    process::run(
        Command::new(node_bin(root, "esbuild"))
            .arg(&glue)
            .args(["--minify", "--format=esm", "--log-level=warning"])
            .arg(format!("--outfile={}", minified.display())),
    )?;
    fs::rename(&minified, &glue).map_err(|e| io_failure("replacing app.js", e))?;

    copy_static_files(&root.join("app").join("static"), &dist)?;
    bundle_styles(&root.join("style"), &dist.join("app.css"))
}

/// Renames the wasm's imports from the glue `a`, `b`, … in the module and the glue alike
/// (see [`short_imports`]). Before wasm-opt, which then checks the module it reads.
fn shorten_imports(module: &Path, glue: &Path) -> Outcome {
    let mut wasm = fs::read(module).map_err(|e| io_failure("reading app_bg.wasm", e))?;
    let mut js = fs::read_to_string(glue).map_err(|e| io_failure("reading app.js", e))?;
    // The module wasm-bindgen's `--target web` glue hands the wasm its imports as.
    let renamed = short_imports::shorten(&mut wasm, &mut js, "./app_bg.js")?;
    if renamed == 0 {
        return Err(Failure::new(
            "no import of app_bg.wasm was renamed: has the form of wasm-bindgen's glue changed?",
        ));
    }
    println!("renamed {renamed} imports of app_bg.wasm");
    fs::write(module, wasm).map_err(|e| io_failure("writing app_bg.wasm", e))?;
    fs::write(glue, js).map_err(|e| io_failure("writing app.js", e))
}

/// Copies `index.html`, `boot.js` and the other static files next to the wasm.
fn copy_static_files(from: &Path, to: &Path) -> Outcome {
    for entry in fs::read_dir(from).map_err(|e| io_failure("reading app/static", e))? {
        let path = entry.map_err(|e| io_failure("reading app/static", e))?.path();
        if let Some(name) = path.file_name() {
            fs::copy(&path, to.join(name)).map_err(|e| io_failure("copying app/static", e))?;
        }
    }
    Ok(())
}

/// Concatenates `style/*.css` in file-name order into one stylesheet: one request, no bundler.
/// Foundations are named `_*.css` so that they come before the components they underlie.
fn bundle_styles(from: &Path, to: &Path) -> Outcome {
    let mut sheets: Vec<PathBuf> = fs::read_dir(from)
        .map_err(|e| io_failure("reading style/", e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "css"))
        .collect();
    sheets.sort();
    let mut bundle = String::new();
    for sheet in sheets {
        let css = fs::read_to_string(&sheet).map_err(|e| io_failure("reading a stylesheet", e))?;
        bundle.push_str(&css);
        bundle.push('\n');
    }
    fs::write(to, bundle).map_err(|e| io_failure("writing app.css", e))
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else `target/` in the workspace.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn io_failure(what: &str, error: std::io::Error) -> Failure {
    Failure::new(format!("{what}: {error}"))
}
