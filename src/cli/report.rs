//! `report`: the static HTML site of the milestones' progress.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::model::MilestoneId;
use crate::report::html::MilestonePage;
use crate::store::{Checkpoint, Parts};

use super::chart::{chart_of, today, By};
use super::{milestone_id, open_store, CliError, Output, Unreadable};

/// How many of a milestone's newest events its page lists.
const RECENT_EVENTS: usize = 100;

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Only these milestones (default: all).
    pub milestones: Vec<String>,
    /// The folder to write the site into.
    #[arg(long, value_name = "DIR", default_value = "milestone-report")]
    pub out: PathBuf,
    /// Count tasks, or weigh them by their points.
    #[arg(long, value_enum, default_value_t = By::Count)]
    pub by: By,
    /// Draw as of this day (YYYY-MM-DD or an RFC 3339 time) instead of today: the same
    /// ref tip and day give the same files.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
}

pub fn report(out: &Output, args: ReportArgs) -> Result<(), CliError> {
    let today = today(args.now.as_deref())?;
    let wanted = args
        .milestones
        .iter()
        .map(|m| milestone_id(m))
        .collect::<Result<Vec<_>, _>>()?;
    let store = open_store()?;
    let tip = store.tip()?;
    let snapshot = store.snapshot_at(tip)?;
    let ids = if wanted.is_empty() {
        snapshot.milestone_ids()?
    } else {
        for id in &wanted {
            if !snapshot.has_milestone(id)? {
                return Err(crate::workflow::Rejection::NoSuchMilestone(id.clone()).into());
            }
        }
        wanted
    };
    let only = match ids.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let mut histories = store.progress_histories(tip, only, RECENT_EVENTS)?;
    let mut checkpoints = checkpoints_by_milestone(store.checkpoints(only)?);
    let mut overrides = super::overrides_shown::overrides_by_milestone(&store, only)?;
    let parts = Parts {
        sessions: false,
        approvals: true,
    };
    let mut unreadable = Unreadable::default();
    let mut pages = Vec::new();
    for id in &ids {
        let Some(Some(files)) = unreadable.check(snapshot.milestone_with(id, parts))? else {
            continue;
        };
        let history = histories.remove(id.as_str()).unwrap_or_default();
        let mut approvals: Vec<_> = files
            .approvals
            .clone()
            .unwrap_or_default()
            .into_values()
            .collect();
        approvals.sort_by(|a, b| (&a.requested_at, &a.id).cmp(&(&b.requested_at, &b.id)));
        let freshness = super::freshness::page_freshness(&store, &files, &approvals)?;
        pages.push(MilestonePage {
            freshness,
            chart: chart_of(&files.definition, &history, args.by.into(), today),
            progress: crate::workflow::points::progress_by(&files.definition, args.by.into()),
            definition: files.definition,
            approvals,
            overrides: overrides.remove(id.as_str()).unwrap_or_default(),
            event_count: history.events,
            recent: history.recent.into(),
            checkpoints: checkpoints.remove(id).unwrap_or_default(),
        });
    }
    let index =
        crate::report::site::write(&args.out, &pages, today, &tip.to_string()).map_err(|e| {
            CliError::user(format!(
                "cannot write the report to {}: {e}",
                args.out.display()
            ))
            .hint("choose another folder with --out DIR")
        })?;
    if out.json {
        out.json_value(&json!({
            "index": index,
            "milestones": pages.iter().map(|p| p.definition.id.as_str()).collect::<Vec<_>>(),
        }))?;
    } else {
        out.line(index.display().to_string())?;
    }
    unreadable.finish()
}

fn checkpoints_by_milestone(list: Vec<Checkpoint>) -> BTreeMap<MilestoneId, Vec<Checkpoint>> {
    let mut by: BTreeMap<MilestoneId, Vec<Checkpoint>> = BTreeMap::new();
    for c in list {
        if let Ok(id) = MilestoneId::new(&c.milestone_id) {
            by.entry(id).or_default().push(c);
        }
    }
    by
}
