//! Integration tests: the real binary against real repositories. One test binary, so
//! the suite links once.

mod common;

mod concurrency;
mod corruption;
mod demo;
mod discovery;
mod edit;
mod events;
#[path = "../../fuzz/src/checks.rs"]
mod fuzz_checks;
mod fuzz_regressions;
mod git_native;
mod identity;
mod import_export;
mod init;
mod milestones;
mod readback_props;
mod refusals;
mod state;
mod store;
mod sync_props;
mod tasks;
