//! `Leptos.toml` (read by the server at run time) and the root `Cargo.toml`'s
//! `[[workspace.metadata.leptos]]` (read by cargo-leptos) must say the same thing.

fn leptos_block(path: &str) -> toml::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    doc["workspace"]["metadata"]["leptos"][0].clone()
}

#[test]
fn leptos_toml_and_cargo_metadata_do_not_drift_apart() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let runtime = leptos_block(&format!("{root}/Leptos.toml"));
    let build = leptos_block(&format!("{root}/Cargo.toml"));
    assert_eq!(
        runtime, build,
        "edit Leptos.toml and Cargo.toml's [[workspace.metadata.leptos]] together"
    );
    assert_eq!(runtime["output-name"].as_str(), Some("atlaslens"));
}

#[test]
fn the_server_reads_the_site_options_from_leptos_toml() {
    let options = super::helpers::options();
    assert_eq!(&*options.output_name, "atlaslens");
    assert_eq!(&*options.site_pkg_dir, "pkg");
}
