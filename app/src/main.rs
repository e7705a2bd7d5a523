//! Boots the SPA: panic messages to the console, then the app mounted on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
