//! Integration tests: the real binary against real repositories made by the `git` CLI.
//! One test binary, so the suite links once.

mod common;

mod migrate;
