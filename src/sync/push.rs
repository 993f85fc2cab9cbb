//! What one sync pushes, in one `git push` without `--atomic`: this clone's own ref
//! (nobody else writes it, so it is a fast-forward), the shared ref as a fast-forward
//! when the remote still has the tip we merged (if someone moved it meanwhile, the
//! next sync of anyone carries it forward: no round is spent on it), and checkpoint
//! tags. Never forced, except a checkpoint whose name this clone keeps after a clash,
//! and a shared ref naming a tree or a blob (with a lease on exactly that object).

use std::collections::BTreeMap;

use git2::Oid;

use super::{failed, git, SyncError, WIRE_REF};
use crate::store::{Store, REF};

/// The refs to push.
pub(super) struct Outgoing {
    /// This clone's own ref, when the remote's is not at our tip.
    pub clone_ref: Option<String>,
    /// Whether the shared ref is not at our tip on the remote.
    pub shared: bool,
    /// Checkpoint tags, each with whether it replaces the remote's.
    pub tags: Vec<(String, bool)>,
    /// The remote's shared ref when it names a tree or a blob (no history): ours
    /// replaces exactly that object, or nothing.
    pub garbage: Option<Oid>,
}

impl Outgoing {
    /// What `tip` needs on a remote that advertised `advertised` (ref name → id):
    /// `own` (this clone's ref) is needed only when the shared ref is not at our tip,
    /// so a clone that only reads never makes a ref of its own there.
    pub fn new(
        own: Option<&str>,
        advertised: &BTreeMap<String, String>,
        tip: Oid,
        tags: Vec<(String, bool)>,
    ) -> Self {
        let behind = |name: &str| advertised.get(name) != Some(&tip.to_string());
        let shared = shared_behind(advertised, tip);
        Outgoing {
            clone_ref: own.filter(|own| shared && behind(own)).map(str::to_string),
            shared,
            tags,
            garbage: None,
        }
    }

    /// Whether there is nothing to push.
    pub fn is_empty(&self) -> bool {
        self.clone_ref.is_none() && !self.shared && self.tags.is_empty()
    }

    fn refspecs(&self) -> Vec<String> {
        let mut refspecs = Vec::new();
        if let Some(own) = &self.clone_ref {
            refspecs.push(format!("{REF}:{own}"));
        }
        if self.shared {
            refspecs.push(format!("{REF}:{WIRE_REF}"));
        }
        refspecs.extend(
            self.tags
                .iter()
                .map(|(t, replace)| format!("{}{t}:{t}", if *replace { "+" } else { "" })),
        );
        refspecs
    }
}

/// Whether the remote's shared ref (as `advertised`) is not at `tip`.
pub(super) fn shared_behind(advertised: &BTreeMap<String, String>, tip: Oid) -> bool {
    advertised.get(WIRE_REF) != Some(&tip.to_string())
}

/// How a push ended.
pub(super) enum Pushed {
    /// Our refs went in; `shared_behind` when the shared ref had moved on meanwhile and
    /// was left for the next sync.
    Done { shared_behind: bool },
    /// Our own ref or a tag was refused because the remote had moved: fetch and merge
    /// again (a copied clone sharing our id; a checkpoint made meanwhile).
    Rejected,
}

/// Rejections that mean the remote moved after we fetched.
const MOVED: [&str; 5] = [
    "fetch first",
    "non-fast-forward",
    "stale info",
    "failed to update ref",
    "cannot lock ref",
];

/// Pushes `outgoing` to `remote`.
pub(super) fn push(store: &Store, remote: &str, outgoing: &Outgoing) -> Result<Pushed, SyncError> {
    let refspecs = outgoing.refspecs();
    let lease = outgoing
        .garbage
        .map(|old| format!("--force-with-lease={WIRE_REF}:{old}"));
    let mut args = vec!["push", "--porcelain"];
    args.extend(lease.as_deref());
    args.extend(["--", remote]);
    args.extend(refspecs.iter().map(String::as_str));
    let (ok, stdout, stderr) = git(store, &args, true)?;
    if ok {
        return Ok(Pushed::Done {
            shared_behind: false,
        });
    }
    let rejected = rejections(&stdout);
    let moved = |reason: &str| MOVED.iter().any(|m| reason.contains(m));
    if rejected.is_empty() || !rejected.iter().all(|(_, reason)| moved(reason)) {
        return Err(failed(
            &args,
            if stderr.is_empty() { stdout } else { stderr },
        ));
    }
    if rejected.iter().all(|(name, _)| name == WIRE_REF) {
        return Ok(Pushed::Done {
            shared_behind: true,
        });
    }
    Ok(Pushed::Rejected)
}

/// The refs `git push --porcelain` reports as rejected (`!` lines), each with its
/// reason: `!<TAB><src>:<dst><TAB><summary> (<reason>)`.
fn rejections(porcelain: &str) -> Vec<(String, String)> {
    porcelain
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            if fields.next()? != "!" {
                return None;
            }
            let (_, dst) = fields.next()?.rsplit_once(':')?;
            Some((dst.to_string(), fields.next().unwrap_or("").to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_refs_are_read_from_porcelain_output() {
        let out = "To /srv/team.git\n\
                   *\trefs/milestones:refs/meta/milestones-by/ab12\t[new reference]\n\
                   !\trefs/milestones:refs/meta/milestones\t[rejected] (fetch first)\n\
                   =\trefs/tags/milestone/m/a:refs/tags/milestone/m/a\t[up to date]\n\
                   Done\n";
        assert_eq!(
            rejections(out),
            vec![(WIRE_REF.to_string(), "[rejected] (fetch first)".to_string())]
        );
        assert!(
            rejections("To x\n \trefs/milestones:refs/meta/milestones\tab..cd\nDone\n").is_empty()
        );
    }

    #[test]
    fn only_what_is_behind_goes_out() {
        let tip = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let own = "refs/meta/milestones-by/ab12";
        let mut advertised = BTreeMap::new();
        advertised.insert(WIRE_REF.to_string(), tip.to_string());
        assert!(Outgoing::new(Some(own), &advertised, tip, Vec::new()).is_empty());
        advertised.insert(WIRE_REF.to_string(), "2".repeat(40));
        let out = Outgoing::new(Some(own), &advertised, tip, Vec::new());
        assert_eq!(
            out.refspecs(),
            vec![format!("{REF}:{own}"), format!("{REF}:{WIRE_REF}")]
        );
        advertised.insert(own.to_string(), tip.to_string());
        let out = Outgoing::new(Some(own), &advertised, tip, Vec::new());
        assert_eq!(out.refspecs(), vec![format!("{REF}:{WIRE_REF}")]);
        let tags = vec![("refs/tags/milestone/m/a".to_string(), true)];
        let out = Outgoing::new(Some(own), &BTreeMap::new(), tip, tags);
        assert_eq!(
            out.refspecs(),
            vec![
                format!("{REF}:{own}"),
                format!("{REF}:{WIRE_REF}"),
                "+refs/tags/milestone/m/a:refs/tags/milestone/m/a".to_string()
            ]
        );
    }
}
