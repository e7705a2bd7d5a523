// Loads the wasm-bindgen glue and starts the app (its `main` mounts it on <body>).
import init from "/app.js";

init({ module_or_path: "/app_bg.wasm" });
