//! Arbitrary bytes as a milestone YAML file given to `import`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| git_milestone_fuzz::checks::yaml_import(data));
