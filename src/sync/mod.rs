//! Sharing `refs/milestones` between clones: fetch the remote's ref and checkpoint tags
//! with the system `git` (so credential helpers, ssh config and every transport work as
//! the user expects), merge by operation replay, push back. Never forces.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::Stdio;

use git2::Oid;
use serde::Serialize;

mod clash;
mod clone_ref;
mod push;

pub use clash::CheckpointClash;
pub use clone_ref::{is_clone_ref, CLONE_REFS, KEY as CLONE_ID_KEY};

use crate::model::EventKind;
use crate::store::refs::{checkpoint_of_tag, checkpoint_tag, CHECKPOINT_TAG_GLOB};
use crate::store::{Ignored, MergeKind, Store, StoreError, REF};
use crate::workflow::overrides::Override;

/// The name `refs/milestones` has on remotes. git's receive-pack refuses to update
/// one-level refs such as `refs/milestones` ("funny ref"), so what is shared lives one
/// level down; fetching also takes a remote's own `refs/milestones` when it has one
/// (a teammate's clone used as a remote).
pub const WIRE_REF: &str = "refs/meta/milestones";

mod retry;

pub use retry::DEFAULT_TIMEOUT_SECS;

/// Where fetched state is kept: outside `refs/heads` and `refs/remotes` (branch
/// listings stay clean) and outside `refs/milestones/` (git cannot create refs below
/// an existing ref).
pub fn tracking_prefix(remote: &str) -> String {
    let safe: String = remote
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("refs/milestone-remotes/{}", safe.trim_start_matches('.'))
}

/// The error returned by [`sync`].
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading or writing the local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A `git` command failed.
    #[error("`git {command}` failed: {stderr}")]
    Git {
        /// The command line, without `git`.
        command: String,
        /// What git said.
        stderr: String,
    },
    /// Neither side has anything.
    #[error("neither this repository nor {0} has refs/milestones")]
    NothingToSync(String),
    /// `milestone.cloneId` is set to something that cannot name a ref.
    #[error("git config {key} is {0:?}, which cannot name a ref", key = clone_ref::KEY)]
    BadCloneId(String),
    /// The remote kept moving until the time limit.
    #[error("{remote} kept moving while pushing ({rounds} rounds in {seconds} s)")]
    Contention {
        /// The remote.
        remote: String,
        /// Rounds tried.
        rounds: u32,
        /// Seconds spent.
        seconds: u64,
    },
}

/// What a sync did (the JSON of `sync --json`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct SyncReport {
    /// The remote synced with.
    pub remote: String,
    /// Whether the remote had operations we did not.
    pub fetched: bool,
    /// Whether a merge commit joined divergent work.
    pub merged: bool,
    /// Whether we pushed.
    pub pushed: bool,
    /// Operations replayed by merges.
    pub ops_merged: usize,
    /// Operations that merges recorded as no-ops, with why.
    pub noops: Vec<String>,
    /// Whether our ref moved forward to theirs without a merge.
    pub fast_forward: bool,
    /// Checkpoint tags that came in.
    pub tags_fetched: usize,
    /// Checkpoint tags that went out.
    pub tags_pushed: usize,
    /// Checkpoint tags that exist on both sides with different targets and could not
    /// be resolved (kept ours).
    pub tag_conflicts: Vec<String>,
    /// Checkpoint names made in both clones: which keeps the name, and the other's
    /// new name, the same in every clone.
    pub checkpoint_clashes: Vec<CheckpointClash>,
    /// Each value both sides set: which one the merge kept, which it dropped, by whom.
    pub overridden: Vec<Override>,
    /// Our tip afterwards.
    pub tip: Option<String>,
    /// Rounds after the first: the remote (or our ref) moved between our fetch and
    /// our update, and we fetched and merged again.
    pub retries: u32,
    /// Fetched commits not taken as state (their operations were replayed), and why.
    pub ignored: Vec<Ignored>,
    /// Whether the remote's shared ref moved on while we pushed and was left as it
    /// was. Merging, our own ref went in, and the next sync of anyone carries it
    /// forward; in rebase mode our work stayed here (see `unpublished`).
    pub shared_behind: bool,
    /// Rebase mode: this clone's operations re-applied on top of the remote's shared
    /// tip (their commit ids changed).
    pub rebased: usize,
    /// Rebase mode: this clone's operations the remote does not have after the sync
    /// (its shared ref moved on meanwhile); the next sync offers them again.
    pub unpublished: usize,
}

/// The config key that turns rebase mode on (see [`Mode::Rebase`]).
pub const REBASE_KEY: &str = "milestone.syncRebase";

/// How a sync joins this clone's work with the remote's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Merge by replay, and push this clone's own ref beside the shared one, so that
    /// work whose offer to the shared ref lost is on the remote all the same.
    Merge,
    /// Re-apply this clone's operations that no remote has on top of the shared tip
    /// (see `store/rebase.rs`), and push the shared ref only: work whose offer lost
    /// stays here, unpublished, until a later sync lands it.
    Rebase,
}

impl Mode {
    /// The mode git config asks for (`milestone.syncRebase`), merge by default.
    pub fn configured(store: &Store) -> Mode {
        match crate::config::get_bool(store.config().as_ref(), REBASE_KEY) {
            Some(true) => Mode::Rebase,
            _ => Mode::Merge,
        }
    }
}

/// Fetches, merges (or in rebase mode re-applies our unpublished operations) and
/// (unless `push` is false) pushes `refs/milestones` with `remote`: to the shared ref
/// when nobody moved it meanwhile, and in merge mode to this clone's own ref there.
/// `progress` is told each step, for a terminal.
pub fn sync(
    store: &Store,
    remote: &str,
    push: bool,
    mode: Mode,
    progress: &mut dyn FnMut(&str),
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport {
        remote: remote.to_string(),
        ..SyncReport::default()
    };
    let prefix = tracking_prefix(remote);
    // Another sync of this repository runs to its end first.
    let _one_at_a_time = store.lock_sync()?;
    // A bad id stops the sync before anything is fetched.
    let configured = clone_ref::configured(store)?;
    let mut own = configured.filter(|_| push && mode == Mode::Merge);
    let mut retry = retry::Retry::new(retry::timeout(store.config().as_ref()));
    loop {
        report.retries = retry.retries;
        // Only refs to ignore, and nothing of ours: the report says what was ignored.
        let Some(merged) = fetch_and_merge(store, remote, &prefix, mode, &mut report, progress)?
        else {
            return Ok(report);
        };
        // Moving our ref can race with a local command: then merge again.
        if Some(merged.tip) != merged.ours
            && !store.advance_ref(
                merged.ours,
                merged.tip,
                &format!("milestone: sync with {remote}"),
            )?
        {
            if retry.pause() {
                continue;
            }
            break;
        }
        report.tip = Some(merged.tip.to_string());
        if !push
            || push_merged(
                store,
                remote,
                &mut own,
                mode,
                &merged,
                &mut report,
                progress,
            )?
        {
            report.unpublished = unpublished(store, mode, &merged, &report)?;
            return Ok(report);
        }
        // Our own ref or a tag was refused: fetch and merge again, after a pause
        // that keeps us out of step with whoever beat us.
        progress(&format!("{remote} moved meanwhile; merging again"));
        if !retry.pause() {
            break;
        }
    }
    Err(SyncError::Contention {
        remote: remote.to_string(),
        rounds: retry.retries + 1,
        seconds: retry.elapsed_secs(),
    })
}

/// What one round's fetch and merge left: our tip before, the merged tip, and what
/// the remote has.
struct Merged {
    ours: Option<Oid>,
    tip: Oid,
    wire: Option<Oid>,
    advertised: BTreeMap<String, String>,
}

/// Fetches the remote's refs and tags, checks and merges what is new. `None` when
/// this clone has no ref and every incoming ref was ignored (the report lists them).
fn fetch_and_merge(
    store: &Store,
    remote: &str,
    prefix: &str,
    mode: Mode,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<Merged>, SyncError> {
    progress(&format!("Fetching refs/milestones from {remote}"));
    let shared_before = store.ref_target(&format!("{prefix}/milestones"));
    let (fetched, advertised) = fetch(store, remote, prefix)?;
    let cleaned = cleaned_checkpoints(store)?;
    report.ignored.clear();
    report.tags_fetched += adopt_tags(store, prefix, &advertised, &cleaned, report)?;
    // While the shared ref moves, whoever moves it carries their own work and
    // clone refs wait: merging each other's refs while everyone pushes weaves a
    // mesh of merges that every clone then checks (measured: minutes per sync).
    // Once it stands still, a clone's work that never reached it is merged here.
    let wire = fetched.wire;
    let quiet = wire.is_none() || wire == shared_before;
    let incoming = incoming_tips(store, fetched, quiet)?;
    let ours = local_tip(store)?;
    if ours.is_none() && incoming.tips.is_empty() {
        return Err(SyncError::NothingToSync(remote.to_string()));
    }
    let Some(tip) = merge_incoming(store, ours, incoming, mode, report, progress)? else {
        if report.ignored.is_empty() {
            return Err(SyncError::NothingToSync(remote.to_string()));
        }
        return Ok(None);
    };
    Ok(Some(Merged {
        ours,
        tip,
        wire,
        advertised,
    }))
}

/// Pushes the merged tip to this clone's own ref (made on the first push that has
/// something to give) and offers it to the shared ref, with the checkpoint tags to
/// share. Whether it is done: false when our own ref or a tag was refused.
fn push_merged(
    store: &Store,
    remote: &str,
    own: &mut Option<String>,
    mode: Mode,
    merged: &Merged,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(&str),
) -> Result<bool, SyncError> {
    // In rebase mode our unpublished work must stay unpublished until it lands: a
    // ref of our own would make re-applying it a second copy.
    if mode == Mode::Merge && own.is_none() && push::shared_behind(&merged.advertised, merged.tip) {
        *own = Some(clone_ref::make(store)?);
    }
    let tags = local_tags_to_push(store, &merged.advertised, &report.checkpoint_clashes)?;
    let mut outgoing = push::Outgoing::new(own.as_deref(), &merged.advertised, merged.tip, tags);
    // A shared ref naming a tree or a blob holds no history: ours replaces
    // exactly that object, or nothing.
    outgoing.garbage = merged.wire.filter(|t| !store.is_commit(*t));
    if outgoing.is_empty() {
        return Ok(true);
    }
    progress(&format!("Pushing to {remote}"));
    match push::push(store, remote, &outgoing)? {
        push::Pushed::Done { shared_behind } => {
            let prefix = tracking_prefix(remote);
            pushed(store, &prefix, &outgoing, merged.tip, shared_behind, report);
            Ok(true)
        }
        push::Pushed::Rejected => Ok(false),
    }
}

/// Rebase mode: how many of our operations the remote's shared ref lacks after the
/// push (none in merge mode, whose own ref carries them).
fn unpublished(
    store: &Store,
    mode: Mode,
    merged: &Merged,
    report: &SyncReport,
) -> Result<usize, SyncError> {
    if mode == Mode::Merge || (report.pushed && !report.shared_behind) {
        return Ok(0);
    }
    let hidden: Vec<Oid> = merged.wire.into_iter().collect();
    Ok(store.operations_between(merged.tip, &hidden)?)
}

/// Records a push that went in: the report, and where the remote's refs are now.
fn pushed(
    store: &Store,
    prefix: &str,
    outgoing: &push::Outgoing,
    tip: Oid,
    shared_behind: bool,
    report: &mut SyncReport,
) {
    // A push whose only ref, the shared one, lost put nothing on the remote.
    report.pushed |= !shared_behind || outgoing.clone_ref.is_some() || !outgoing.tags.is_empty();
    report.shared_behind = shared_behind;
    report.tags_pushed += outgoing.tags.len();
    if outgoing.shared && !shared_behind {
        store.set_tracking_ref(&format!("{prefix}/milestones"), tip, "milestone: pushed");
    }
    if let Some(own) = &outgoing.clone_ref {
        let rest = &own["refs/meta/".len()..];
        store.set_tracking_ref(&format!("{prefix}/{rest}"), tip, "milestone: pushed");
    }
}

/// The tips to merge, each once: the remote's shared ref, what a direct fetch gave and
/// what teammates pushed into this repository's shared ref, then (when the shared ref
/// is `quiet`, as it was at our last fetch) every clone's own ref, newest first. The shared ref first, so that clones converge on it; then the
/// newest first, so that older tips it contains cost no merge commit.
fn incoming_tips(store: &Store, fetched: Fetched, quiet: bool) -> Result<Incoming, SyncError> {
    let pushed_here = store
        .refs_under(CLONE_REFS)?
        .into_iter()
        .filter(|(rest, _)| is_clone_ref(&format!("{CLONE_REFS}{rest}")))
        .map(|(_, id)| id);
    let shared: Vec<Oid> = [fetched.wire, fetched.direct, store.ref_target(WIRE_REF)]
        .into_iter()
        .flatten()
        .collect();
    let all_clones: Vec<Oid> = fetched.clones.into_iter().chain(pushed_here).collect();
    let published: Vec<Oid> = shared.iter().chain(&all_clones).copied().collect();
    let mut clones: Vec<Oid> = if quiet { all_clones } else { Vec::new() };
    store.sort_newest_first(&mut clones);
    let mut tips: Vec<Oid> = Vec::new();
    for tip in shared.iter().copied().chain(clones) {
        if !tips.contains(&tip) {
            tips.push(tip);
        }
    }
    Ok(Incoming {
        tips,
        shared,
        published,
    })
}

/// The tips a sync merges, and which of them are shared refs (always merged), not a
/// clone's own.
struct Incoming {
    tips: Vec<Oid>,
    shared: Vec<Oid>,
    /// Every ref fetched or pushed here, merged or not: work on one of them is not
    /// this clone's alone, and is never re-applied.
    published: Vec<Oid>,
}

/// Our tip, or none in a clone that has not fetched the milestones yet.
fn local_tip(store: &Store) -> Result<Option<Oid>, StoreError> {
    match store.tip() {
        Ok(tip) => Ok(Some(tip)),
        Err(StoreError::NotInitialized) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How many clones' own refs one sync merges (those that bring operations we lack).
/// Each merge replays both sides from their merge base, and ours grows with every ref
/// merged, so gathering k refs in one sync replayed about k²/2 clone-rounds of
/// operations: with 16 busy clones the slowest syncs replayed 2,400 operations of a
/// run of 529 and took 10x the median. The rest are left to later syncs, of whoever
/// runs them; a clone that syncs again carries its own work itself.
const GATHER_PER_SYNC: usize = 1;

/// Merges each incoming tip into ours in turn, the shared refs always and at most
/// [`GATHER_PER_SYNC`] clones' own refs; the store checks every incoming commit before
/// anything is taken. Returns the merged tip (none when there is nothing).
fn merge_incoming(
    store: &Store,
    ours: Option<Oid>,
    incoming: Incoming,
    mode: Mode,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<Oid>, SyncError> {
    let mut merged_tip = ours;
    let mut gathered = 0;
    if let (Mode::Rebase, Some(ours), Some(shared)) = (mode, ours, incoming.shared.first()) {
        if store.not_a_commit(*shared).is_none() {
            if let Some(rebased) = store.rebase_onto(ours, *shared, &incoming.published)? {
                progress("Re-applied this clone's unpublished operations on the remote's");
                let taken = &rebased.taken;
                report.ignored.extend(taken.ignored.iter().cloned());
                report_unauthorized(store, Some(ours), taken, &mut report.ignored)?;
                report.fetched = true;
                report.rebased += rebased.operations;
                // What our operations, now after theirs, replaced of theirs.
                report
                    .overridden
                    .extend(store.overridden(ours, *shared, &rebased.order)?);
                merged_tip = Some(rebased.tip);
            }
        }
    }
    for tip in incoming.tips {
        let shared = incoming.shared.contains(&tip);
        if !shared && gathered == GATHER_PER_SYNC {
            break;
        }
        // A ref can name a tree or a blob: nothing to take from it.
        if let Some(reason) = store.not_a_commit(tip) {
            report.ignored.push(Ignored {
                commit: tip.to_string(),
                author: String::new(),
                reason,
            });
            continue;
        }
        // A clone's ref whose operations we all have differs from ours only by its
        // merge commits: merging it would only add another, which every clone would
        // then merge in turn. The shared ref is always taken, so all converge on it.
        if let Some(ours) = merged_tip.filter(|_| !shared) {
            if !store.brings_operations(ours, tip)? {
                continue;
            }
        }
        gathered += usize::from(!shared);
        if merged_tip != Some(tip) {
            progress("Merging");
        }
        // The store checks every incoming commit before anything is taken.
        let result = store.merge_tips(merged_tip, tip)?;
        report.ignored.extend(result.ignored.iter().cloned());
        if let (MergeKind::Merged, Some(ours)) = (result.kind, merged_tip) {
            report
                .overridden
                .extend(store.overridden(ours, tip, &result.resolved)?);
        }
        report.fetched |= result.kind != MergeKind::UpToDate;
        report.fast_forward |= result.kind == MergeKind::FastForward;
        report.merged |= result.kind == MergeKind::Merged;
        report.ops_merged += result.resolved.len();
        report.noops.extend(result.noops().map(|r| {
            format!(
                "{} {}: {}",
                &r.commit[..12],
                r.op,
                r.reason.as_deref().unwrap_or("")
            )
        }));
        report_unauthorized(store, merged_tip, &result, &mut report.ignored)?;
        merged_tip = Some(result.tip);
    }
    Ok(merged_tip)
}

/// Adds to `ignored` the fetched decisions and trust changes that had no effect
/// because the trust list did not allow them (those already in `ours` were reported
/// when they came); a commit also ignored for another reason gets both reasons.
fn report_unauthorized(
    store: &Store,
    ours: Option<Oid>,
    result: &crate::store::MergeResult,
    ignored: &mut Vec<Ignored>,
) -> Result<(), SyncError> {
    let mut unauthorized: Vec<(Oid, String)> = result
        .unauthorized()
        .filter_map(|r| Some((Oid::from_str(&r.commit).ok()?, r.reason.clone()?)))
        .collect();
    // Taken as it is, a history's decisions were not replayed here: their records say.
    if result.kind == MergeKind::FastForward {
        unauthorized.extend(result.not_counted.iter().cloned());
    }
    for (commit, reason) in unauthorized {
        let local = match ours {
            Some(ours) => store.descends_from(ours, commit)?,
            None => false,
        };
        if local {
            continue;
        }
        let id = commit.to_string();
        match ignored.iter_mut().find(|i| i.commit == id) {
            Some(known) if known.reason.contains(&reason) => {}
            Some(known) => known.reason = format!("{}; {reason}", known.reason),
            None => ignored.push(Ignored {
                author: store.author_of(commit).unwrap_or_default(),
                commit: id,
                reason,
            }),
        }
    }
    Ok(())
}

fn git(
    store: &Store,
    args: &[&str],
    show_progress: bool,
) -> Result<(bool, String, String), SyncError> {
    let mut command = store.git_command();
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    // On a terminal git's own progress meter is the best progress there is.
    if show_progress && std::io::stderr().is_terminal() {
        command.stderr(Stdio::inherit());
    } else {
        command.stderr(Stdio::piped());
    }
    let output = command.output().map_err(|e| SyncError::Git {
        command: args.join(" "),
        stderr: format!("cannot run git: {e}"),
    })?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    ))
}

fn failed(args: &[&str], stderr: String) -> SyncError {
    SyncError::Git {
        command: args.join(" "),
        stderr,
    }
}

/// The remote's tips, fetched.
struct Fetched {
    /// Its shared `refs/meta/milestones`.
    wire: Option<Oid>,
    /// Its own `refs/milestones`, when the remote is a clone that uses the tool.
    direct: Option<Oid>,
    /// Every clone's own ref on it (`refs/meta/milestones-by/*`).
    clones: Vec<Oid>,
}

/// Fetches the remote's milestone refs and checkpoint tags into the tracking
/// namespace, in one connection, and returns its tips and what it has (ref name →
/// id). Glob refspecs take what exists and nothing else, and `--prune` drops what the
/// remote no longer has, so the tracking refs afterwards are exactly what the remote
/// advertised; git's negotiation sends only the objects we lack, so a round after a
/// rejected push costs what is new since the last one.
fn fetch(
    store: &Store,
    remote: &str,
    prefix: &str,
) -> Result<(Fetched, BTreeMap<String, String>), SyncError> {
    let refspecs = [
        format!("+{WIRE_REF}*:{prefix}/milestones*"),
        format!("+{REF}*:{prefix}/direct*"),
        format!("+{CHECKPOINT_TAG_GLOB}:{prefix}/tags/*"),
    ];
    let mut args = vec![
        "fetch",
        "--no-tags",
        "--no-write-fetch-head",
        "--prune",
        "--",
        remote,
    ];
    args.extend(refspecs.iter().map(String::as_str));
    let (ok, _, stderr) = git(store, &args, true)?;
    if !ok {
        return Err(failed(&args, stderr));
    }
    let mut advertised = BTreeMap::new();
    for (rest, id) in store.refs_under(&format!("{prefix}/"))? {
        let remote_name = match rest.as_str() {
            "milestones" => WIRE_REF.to_string(),
            "direct" => REF.to_string(),
            rest => match rest.strip_prefix("tags/") {
                Some(tag) => checkpoint_tag(tag),
                None if is_clone_ref(&format!("refs/meta/{rest}")) => format!("refs/meta/{rest}"),
                None => continue,
            },
        };
        advertised.insert(remote_name, id.to_string());
    }
    let tip = |name: &str| advertised.get(name).and_then(|id| Oid::from_str(id).ok());
    let fetched = Fetched {
        wire: tip(WIRE_REF),
        direct: tip(REF),
        clones: advertised
            .iter()
            .filter(|(name, _)| is_clone_ref(name))
            .filter_map(|(_, id)| Oid::from_str(id).ok())
            .collect(),
    };
    Ok((fetched, advertised))
}

/// Creates the checkpoint tags that came in and that we do not have; a tag we have
/// with another target is kept and reported.
fn adopt_tags(
    store: &Store,
    prefix: &str,
    advertised: &BTreeMap<String, String>,
    cleaned: &std::collections::HashSet<String>,
    report: &mut SyncReport,
) -> Result<usize, SyncError> {
    let mut adopted = 0;
    for (name, id) in advertised {
        let Some(short) = checkpoint_of_tag(name) else {
            continue;
        };
        let Ok(target) = Oid::from_str(id) else {
            continue;
        };
        if cleaned.contains(short) {
            continue;
        }
        let fetched = store.ref_target(&format!("{prefix}/tags/{short}"));
        if let Some(reason) = fetched.and_then(|t| store.check_checkpoint_tag(t)) {
            report.ignored.push(Ignored {
                commit: id.clone(),
                author: String::new(),
                reason: format!("checkpoint {short}: {reason}"),
            });
            continue;
        }
        match store.ref_target(name) {
            Some(existing) if existing == target => {}
            Some(existing) if fetched == Some(target) => {
                let clash = clash::resolve(store, short, existing, target)?;
                adopted += usize::from(!clash.kept_ours);
                report.checkpoint_clashes.push(clash);
            }
            Some(_) => report.tag_conflicts.push(short.to_string()),
            // Only adopt what the fetch really brought.
            None if fetched == Some(target) && store.adopt_checkpoint_tag(name, target)? => {
                adopted += 1;
                report
                    .checkpoint_clashes
                    .extend(clash::gave_way(store, short, target)?);
            }
            None => {}
        }
    }
    Ok(adopted)
}

/// The checkpoints `cleanup` removed here (`<milestone>/<name>`): a remote that still
/// has them must not bring them back.
fn cleaned_checkpoints(store: &Store) -> Result<std::collections::HashSet<String>, SyncError> {
    let mut cleaned = std::collections::HashSet::new();
    let tip = match store.tip() {
        Ok(tip) => tip,
        Err(StoreError::NotInitialized) => return Ok(cleaned),
        Err(e) => return Err(e.into()),
    };
    let filter = crate::store::EventFilter {
        event_type: Some("state_cleaned".into()),
        ..Default::default()
    };
    store.for_each_event(tip, &filter, |event| {
        let milestone = event.milestone_id.as_deref().unwrap_or_default();
        if let Some(EventKind::StateCleaned {
            removed_checkpoints,
            ..
        }) = event.kind()
        {
            for name in removed_checkpoints {
                cleaned.insert(format!("{milestone}/{name}"));
            }
        }
        true
    })?;
    Ok(cleaned)
}

/// The checkpoint tags to push, each with whether it replaces the remote's: those the
/// remote lacks, and those whose name ours keeps after a clash (the remote holds the
/// other). Automatic `pre-restore-*` checkpoints stay here unless
/// `milestone.pushAutoCheckpoints` is true.
fn local_tags_to_push(
    store: &Store,
    advertised: &BTreeMap<String, String>,
    clashes: &[CheckpointClash],
) -> Result<Vec<(String, bool)>, SyncError> {
    let push_automatic =
        crate::config::get_bool(store.config().as_ref(), "milestone.pushAutoCheckpoints")
            == Some(true);
    let mut to_push = Vec::new();
    for (short, id) in store.checkpoint_tags()? {
        let name = checkpoint_tag(&short);
        let short = short.as_str();
        let checkpoint = short.rsplit('/').next().unwrap_or(short);
        if !crate::workflow::checkpoints::is_shared(checkpoint, push_automatic) {
            continue;
        }
        match advertised.get(&name) {
            None => to_push.push((name, false)),
            Some(theirs) if *theirs != id.to_string() => {
                if clashes.iter().any(|c| c.kept_ours && c.checkpoint == short) {
                    to_push.push((name, true));
                }
            }
            Some(_) => {}
        }
    }
    Ok(to_push)
}
