//! Shared helpers for integration tests: the shared corpus, isolated git environments, and
//! running the real binaries.

use std::path::{Path, PathBuf};

/// `../shared` next to the repository, where the real gitsign corpus lives.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// One row of `corpus/index.tsv`.
#[derive(Debug, Clone)]
pub struct CorpusObject {
    pub sha: String,
    pub kind: String,
    pub mode: String,
    pub identity: String,
    pub issuer: String,
    pub raw: Vec<u8>,
}

/// Every corpus object. Panics (test failure) if the shared corpus is absent.
pub fn corpus() -> Vec<CorpusObject> {
    let dir = shared_dir().join("corpus");
    let index = std::fs::read_to_string(dir.join("index.tsv"))
        .expect("the shared corpus (../shared/corpus/index.tsv) must exist");
    index
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let raw = std::fs::read(dir.join(format!("{}.{}", f[0], f[1]))).unwrap();
            CorpusObject {
                sha: f[0].into(),
                kind: f[1].into(),
                mode: f[2].into(),
                identity: f[4].into(),
                issuer: f[5].into(),
                raw,
            }
        })
        .collect()
}
