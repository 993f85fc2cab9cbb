//! Milestones and a sequence of operations, applied as the store and a merge would.
//! The input is either a JSON scenario (`{...}`, the form of the regression inputs)
//! or bytes that `generate` turns into one.
#![no_main]

use git_milestone_fuzz::{checks, generate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scenario = match data.first() {
        Some(b'{') => match serde_json::from_slice::<checks::Scenario>(data) {
            Ok(scenario) => scenario,
            Err(_) => return,
        },
        _ => match generate::scenario(&mut arbitrary::Unstructured::new(data)) {
            Ok(scenario) => scenario,
            Err(_) => return,
        },
    };
    if std::env::var_os("FUZZ_PRINT_SCENARIO").is_some() {
        eprintln!("{}", serde_json::to_string_pretty(&scenario).unwrap());
    }
    checks::apply_scenario(&scenario);
});
