//! Random histories with valid and forged commits, synced by two clones in opposite
//! orders: they must end on the same commit, which a fresh clone takes as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    git_milestone_fuzz::graph::sync_graph(data);
});
