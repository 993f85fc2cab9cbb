//! Integration tests: the real binary against real repositories. One test binary, so
//! the suite links once.

mod common;

mod bad_input;
mod checkpoints;
mod cleanup;
mod clone_refs;
mod concurrency;
mod corruption;
mod crashes;
mod demo;
mod discovery;
mod edit;
mod event_index;
mod events;
mod everyday;
mod freshness;
#[path = "../../fuzz/src/checks.rs"]
mod fuzz_checks;
#[path = "../../fuzz/src/graph.rs"]
mod fuzz_graph;
mod fuzz_regressions;
mod git_native;
mod hooks;
mod identity;
mod import_export;
mod init;
mod integrity;
mod kiro;
mod migrate;
mod milestones;
mod pictures;
mod readback_props;
mod recovery;
mod refusals;
mod semantics;
mod semantics_props;
mod servers;
mod sessions;
mod snapshots;
mod source_shape;
mod state;
mod store;
mod summary_cache;
mod sync;
mod sync_props;
mod sync_rebase;
mod sync_resilience;
mod tasks;
mod team;
mod transports;
mod trust;
mod watch;
mod workflow;
