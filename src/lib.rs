//! git-milestone: milestones, tasks, a phased workflow and their history, kept on
//! `refs/milestones` inside a git repository.
//!
//! Data flows one way: [`cli`] → [`store`] transaction → [`workflow`] rules over
//! [`model`] types → [`store`].
#![deny(missing_docs, unsafe_code)]

pub mod cli;
pub mod clock;
pub mod config;
pub mod exchange;
pub mod hooks;
pub mod migrate;
pub mod model;
pub mod report;
pub mod sign;
pub mod spec_folder;
pub mod store;
pub mod sync;
pub mod workflow;
pub mod worktree;
pub mod yaml;
