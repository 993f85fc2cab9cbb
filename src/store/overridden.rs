//! Reading back what a merge replayed, to say what it overrode (the rule is
//! [`crate::workflow::overrides`]).

use std::collections::HashSet;

use git2::{Oid, Sort};

use super::message;
use super::{Store, StoreError};
use crate::model::{Op, Resolution};
use crate::workflow::overrides::{self, Override, Replayed};

impl Store {
    /// The values both sides of the merge of `ours` and `theirs` set, and which one the
    /// replay (`resolved`, in replay order) kept.
    pub fn overridden(
        &self,
        ours: Oid,
        theirs: Oid,
        resolved: &[Resolution],
    ) -> Result<Vec<Override>, StoreError> {
        // Our side: what ours has that theirs does not.
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::NONE)?;
        walk.push(ours)?;
        walk.hide(theirs)?;
        let ours_only: HashSet<Oid> = walk.collect::<Result<_, _>>()?;
        let mut read: Vec<(bool, String, Op, bool)> = Vec::with_capacity(resolved.len());
        for resolution in resolved {
            let Ok(oid) = Oid::from_str(&resolution.commit) else {
                continue;
            };
            let Ok(commit) = self.repo.find_commit(oid) else {
                continue;
            };
            let Some(record) = message::decode(commit.message().unwrap_or("")) else {
                continue;
            };
            let author = commit.author().name().unwrap_or("").to_string();
            let took_effect = resolution.outcome != "no-op";
            read.push((ours_only.contains(&oid), author, record.op, took_effect));
        }
        let replayed: Vec<Replayed<'_>> = read
            .iter()
            .map(|(ours, author, op, took_effect)| Replayed {
                ours: *ours,
                author,
                op,
                took_effect: *took_effect,
            })
            .collect();
        Ok(overrides::overridden(&replayed))
    }
}
