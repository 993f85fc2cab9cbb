//! Arbitrary bytes as the message of a commit on refs/milestones.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| git_milestone_fuzz::checks::message_decode(data));
