//! Forced overrides of the workflow's gates (`task set|complete --force --reason`), as
//! `approval show` and the report show them beside the requests they went past. They
//! are events (`kiro_workflow_overridden`), read back from the log.

use std::collections::BTreeMap;

use crate::model::{MilestoneId, TaskId};
use crate::store::{EventFilter, Store, StoreError};
use crate::workflow::gates::{GateOverride, OVERRIDDEN};

/// Every override of every milestone's gates (or only `milestone`'s), by milestone,
/// oldest first: one read of the log for a whole report.
pub fn overrides_by_milestone(
    store: &Store,
    milestone: Option<&MilestoneId>,
) -> Result<BTreeMap<String, Vec<GateOverride>>, StoreError> {
    let filter = EventFilter {
        milestone: milestone.map(MilestoneId::to_string),
        event_type: Some(OVERRIDDEN.to_string()),
        ..EventFilter::default()
    };
    let mut found: BTreeMap<String, Vec<GateOverride>> = BTreeMap::new();
    store.for_each_event(store.tip()?, &filter, |record| {
        if let Some(o) = GateOverride::of(&record) {
            let id = record.milestone_id.clone().unwrap_or_default();
            found.entry(id).or_default().push(o);
        }
        true
    })?;
    Ok(found)
}

/// Every override of `milestone`'s gates (of `task` only, when given), oldest first.
pub fn overrides(
    store: &Store,
    milestone: &MilestoneId,
    task: Option<&TaskId>,
) -> Result<Vec<GateOverride>, StoreError> {
    let mut found = overrides_by_milestone(store, Some(milestone))?
        .remove(milestone.as_str())
        .unwrap_or_default();
    found.retain(|o| task.is_none_or(|t| o.task_id == t.as_str()));
    Ok(found)
}
