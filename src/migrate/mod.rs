//! Migration from the reference's bash scripts: reading a `.milestones/` folder in their
//! layout into operations. This module knows the reference's files, not the layout of
//! `refs/milestones`; the store writes what it plans.

pub mod milestone;
