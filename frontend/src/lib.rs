//! The browser entry point: hydrates the page the server rendered, turning it interactive.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script the server puts in every page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
