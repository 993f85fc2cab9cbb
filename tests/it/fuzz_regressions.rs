//! The fuzz targets' seeds and the inputs that once broke them (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`), checked with the same properties as the targets, so
//! that `cargo test` keeps them fixed without a nightly toolchain.

use std::path::PathBuf;

use crate::fuzz_checks;

/// The files of `fuzz/<kind>/<target>/`, sorted.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            files.push((path, bytes));
        }
    }
    files.sort();
    files
}

/// Runs `check` on every input of `target`, naming the one that fails.
fn replay(target: &str, check: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs for {target}");
    for (path, bytes) in files {
        if std::panic::catch_unwind(|| check(&bytes)).is_err() {
            panic!("{} fails its fuzz target's checks", path.display());
        }
    }
}

#[test]
fn yaml_import_inputs() {
    replay("yaml_import", fuzz_checks::yaml_import);
}

#[test]
fn message_decode_inputs() {
    replay("message_decode", fuzz_checks::message_decode);
}

#[test]
fn apply_inputs() {
    replay("apply", |bytes| {
        let scenario: fuzz_checks::Scenario =
            serde_json::from_slice(bytes).expect("an apply input is a JSON scenario");
        fuzz_checks::apply_scenario(&scenario);
    });
}

#[test]
fn sync_graph_inputs() {
    replay("sync_graph", crate::fuzz_graph::sync_graph);
}
