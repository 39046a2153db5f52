//! `man/gitseal.1` is generated from the CLI definition; this test fails when they drift.
//! Regenerate with `GITSEAL_UPDATE_MAN=1 cargo test --test integration docs`.

#[test]
fn man_page_is_in_sync() {
    let cmd = gitseal::cli::commands::command();
    let mut rendered = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut rendered).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/gitseal.1");
    if std::env::var_os("GITSEAL_UPDATE_MAN").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "man/gitseal.1 is stale: run GITSEAL_UPDATE_MAN=1 cargo test --test integration docs"
    );
}
