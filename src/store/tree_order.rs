//! Whether a fetched tree is one git itself would write: entries in git's order
//! (names compared as bytes, a folder's name as if it ended with `/`), no name twice.
//! A tree written with plumbing (`hash-object -t tree --literally`) can break this;
//! lookups by name in it then miss entries that are there. Only asked when a fetched
//! commit fails the check, to say why in words.

use std::cmp::Ordering;

use git2::{ObjectType, Repository, Tree};

/// How deep the layout goes: root, `milestones/`, a milestone, its folders.
const DEPTH: usize = 4;

/// The path of the first tree (`/` for the root) under `root` whose entries are out
/// of git's order or repeat a name, if any.
pub(super) fn out_of_order(repo: &Repository, root: &Tree<'_>) -> Option<String> {
    let mut pending = vec![(String::from("/"), root.clone(), 0)];
    while let Some((path, tree, depth)) = pending.pop() {
        let names: Vec<(Vec<u8>, bool)> = tree
            .iter()
            .map(|e| (e.name_bytes().to_vec(), e.kind() == Some(ObjectType::Tree)))
            .collect();
        let sorted = names
            .windows(2)
            .all(|w| git_order(&w[0], &w[1]) == Ordering::Less);
        if !sorted {
            return Some(path);
        }
        if depth + 1 >= DEPTH {
            continue;
        }
        for entry in tree.iter().filter(|e| e.kind() == Some(ObjectType::Tree)) {
            let Ok(sub) = repo.find_tree(entry.id()) else {
                continue;
            };
            let name = String::from_utf8_lossy(entry.name_bytes());
            pending.push((
                format!("{}{name}/", path.trim_start_matches('/')),
                sub,
                depth + 1,
            ));
        }
    }
    None
}

/// git's order of two tree entries: by name, a folder's name compared as if it
/// ended with `/`.
fn git_order((a, a_tree): &(Vec<u8>, bool), (b, b_tree): &(Vec<u8>, bool)) -> Ordering {
    let key = |name: &[u8], tree: bool| {
        let mut key = name.to_vec();
        if tree {
            key.push(b'/');
        }
        key
    };
    key(a, *a_tree).cmp(&key(b, *b_tree))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, tree: bool) -> (Vec<u8>, bool) {
        (name.as_bytes().to_vec(), tree)
    }

    #[test]
    fn a_folder_sorts_as_if_its_name_ended_with_a_slash() {
        // git writes `a.b` before the folder `a` (`.` < `/`), and the folder `a`
        // before `a0`.
        assert_eq!(
            git_order(&entry("a.b", false), &entry("a", true)),
            Ordering::Less
        );
        assert_eq!(
            git_order(&entry("a", true), &entry("a0", false)),
            Ordering::Less
        );
        assert_eq!(
            git_order(&entry("a", false), &entry("a.b", false)),
            Ordering::Less
        );
        assert_eq!(
            git_order(&entry("x", false), &entry("x", false)),
            Ordering::Equal
        );
    }
}
