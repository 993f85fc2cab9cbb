//! Integration tests: the real binary against real repositories made by the real `git`.
//! One test binary, so the suite links once.

mod common;

mod hooks;
mod watch;
