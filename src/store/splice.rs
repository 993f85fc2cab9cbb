//! A tree with one entry put, replaced or taken out, written by splicing that entry
//! into the old tree's raw bytes. At a thousand milestones the `milestones/` tree has
//! a thousand entries, and a libgit2 treebuilder over all of them (a hash map filled,
//! sorted and printed again) was most of the cost of every write; the bytes of the
//! other 999 entries are already what git would write, so they are copied as they are.
//!
//! Git's tree format: entries "<octal mode> SP <name> NUL <20-byte id>", sorted by
//! name compared as bytes, a folder's name as if it ended with `/`. A tree that is not
//! exactly what a treebuilder would write from its entries (out of order, a name twice,
//! a mode git does not write) is not spliced: [`splice`] says so and the caller builds
//! it with a treebuilder, so the result is the same tree id either way.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use git2::{FileMode, ObjectType, Oid, Tree};

use super::{Store, StoreError};

/// The length of an object id in a tree entry.
const ID_LEN: usize = 20;

/// The modes a treebuilder writes (`%o` of git's file modes).
const MODES: [&[u8]; 5] = [b"40000", b"100644", b"100755", b"120000", b"160000"];

/// The mode of a folder in a tree.
const FOLDER: &[u8] = b"40000";

/// One entry of a tree: where its bytes are, its name, and whether it is a folder.
#[derive(Clone, Copy)]
struct Span<'a> {
    start: usize,
    end: usize,
    name: &'a [u8],
    folder: bool,
}

/// The tree `raw` with the entry `name` set to `entry` (a mode as git writes it and an
/// id), or taken out when `entry` is `None`; `None` when `raw` is not a tree exactly as
/// a treebuilder writes it, or when `name` or the mode is not one it would accept.
pub(super) fn splice(raw: &[u8], name: &[u8], entry: Option<(&[u8], Oid)>) -> Option<Vec<u8>> {
    if !valid_name(name) || entry.is_some_and(|(mode, _)| !MODES.contains(&mode)) {
        return None;
    }
    let spans = entries(raw)?;
    let folder = entry.is_some_and(|(mode, _)| mode == FOLDER);
    // The first entry that sorts after the new one; an entry of the same name (either
    // kind) is dropped wherever it is.
    let at = spans
        .iter()
        .position(|s| s.name != name && git_order(s.name, s.folder, name, folder).is_gt())
        .map_or(raw.len(), |i| spans[i].start);
    let same = spans.iter().find(|s| s.name == name);
    let skip = same.map_or(at..at, |s| s.start..s.end);
    let mut out = Vec::with_capacity(raw.len() + name.len() + 32);
    copy_without(&mut out, raw, 0..at, &skip);
    if let Some((mode, id)) = entry {
        write_entry(&mut out, mode, name, id);
    }
    copy_without(&mut out, raw, at..raw.len(), &skip);
    Some(out)
}

/// Appends the bytes of `range` of `raw`, leaving out `skip` where it lies inside.
fn copy_without(out: &mut Vec<u8>, raw: &[u8], range: Range<usize>, skip: &Range<usize>) {
    if range.start <= skip.start && skip.end <= range.end {
        out.extend_from_slice(&raw[range.start..skip.start]);
        out.extend_from_slice(&raw[skip.end..range.end]);
    } else {
        out.extend_from_slice(&raw[range]);
    }
}

/// Appends one entry in git's tree format.
fn write_entry(out: &mut Vec<u8>, mode: &[u8], name: &[u8], id: Oid) {
    out.extend_from_slice(mode);
    out.push(b' ');
    out.extend_from_slice(name);
    out.push(0);
    out.extend_from_slice(id.as_bytes());
}

/// The entries of `raw`, when it is a tree as a treebuilder writes it: modes it
/// writes, names it accepts, in git's order, no name twice.
fn entries(raw: &[u8]) -> Option<Vec<Span<'_>>> {
    let mut spans: Vec<Span<'_>> = Vec::with_capacity(raw.len() / 32);
    let mut at = 0;
    while at < raw.len() {
        let space = at + raw[at..].iter().position(|&b| b == b' ')?;
        let mode = &raw[at..space];
        let nul = space + 1 + raw[space + 1..].iter().position(|&b| b == 0)?;
        let name = &raw[space + 1..nul];
        let end = nul + 1 + ID_LEN;
        if end > raw.len() || !MODES.contains(&mode) || !valid_name(name) {
            return None;
        }
        let span = Span {
            start: at,
            end,
            name,
            folder: mode == FOLDER,
        };
        if let Some(last) = spans.last() {
            if !git_order(last.name, last.folder, name, span.folder).is_lt() {
                return None;
            }
        }
        if span.folder && has_file_named(&spans, name) {
            return None;
        }
        spans.push(span);
        at = end;
    }
    Some(spans)
}

/// Whether a file (not a folder) named `name` comes before the folder `name` at the
/// end of `spans`: git's order puts it there, with only names that extend `name` by a
/// byte below `/` between them. Such a tree names one entry twice.
fn has_file_named(spans: &[Span<'_>], name: &[u8]) -> bool {
    spans
        .iter()
        .rev()
        .take_while(|s| s.name.starts_with(name))
        .any(|s| s.name == name)
}

/// The names a treebuilder accepts: not empty, not `.`, `..` or `.git`, no `/` or NUL.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.eq_ignore_ascii_case(b".git")
        && !name.iter().any(|&b| b == b'/' || b == 0)
}

/// git's order of two entries: by name as bytes, a folder's name as if it ended with
/// `/` (`a.b` < folder `a` < `a0`; file `a` < `a.b`).
fn git_order(a: &[u8], a_folder: bool, b: &[u8], b_folder: bool) -> Ordering {
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let next = |name: &[u8], folder: bool| match name.get(common) {
            Some(&byte) => byte,
            None if folder => b'/',
            None => 0,
        };
        next(a, a_folder).cmp(&next(b, b_folder))
    })
}

impl Store {
    /// `tree` with its entry `name` set to `entry` (or taken out), written: spliced
    /// into the old tree's bytes, or by a treebuilder when the old tree is not one a
    /// treebuilder would write. Either way the same tree id.
    pub(super) fn tree_with(
        &self,
        tree: Option<&Tree<'_>>,
        name: &str,
        entry: Option<(Oid, FileMode)>,
    ) -> Result<Oid, StoreError> {
        let old = tree.map(printed).unwrap_or_default();
        let mode = entry.map(|(_, mode)| mode_text(i32::from(mode)));
        let new = mode.as_deref().zip(entry.map(|(id, _)| id));
        if let Some(bytes) = splice(&old, name.as_bytes(), new) {
            return self.write_object(ObjectType::Tree, &bytes);
        }
        let mut builder = self.repo.treebuilder(tree)?;
        match entry {
            Some((id, mode)) => {
                builder.insert(name, id, mode.into())?;
            }
            None if builder.get(name)?.is_some() => builder.remove(name)?,
            None => {}
        }
        Ok(builder.write()?)
    }
}

/// The entries of `tree` printed as a treebuilder prints each one, in the order the
/// tree has them: its raw bytes when it is a tree git would write. Printed from the
/// tree already read rather than read again from the object database, which would
/// inflate the object a second time.
fn printed(tree: &Tree<'_>) -> Vec<u8> {
    let mut raw = Vec::with_capacity(tree.len() * 40);
    for entry in tree.iter() {
        write_entry(
            &mut raw,
            &mode_text(entry.filemode()),
            entry.name_bytes(),
            entry.id(),
        );
    }
    raw
}

/// A mode as git writes it in a tree (`%o`).
fn mode_text(mode: i32) -> Cow<'static, [u8]> {
    match mode {
        0o040000 => Cow::Borrowed(FOLDER),
        0o100644 => Cow::Borrowed(b"100644"),
        0o100755 => Cow::Borrowed(b"100755"),
        0o120000 => Cow::Borrowed(b"120000"),
        0o160000 => Cow::Borrowed(b"160000"),
        other => Cow::Owned(format!("{other:o}").into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use git2::Repository;
    use proptest::prelude::*;

    use super::*;

    /// A scratch repository with a few blobs and folders to point entries at (a
    /// treebuilder refuses ids of objects that do not exist).
    struct Scratch {
        _dir: tempfile::TempDir,
        repo: Repository,
        blobs: Vec<Oid>,
        folders: Vec<Oid>,
    }

    fn scratch() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let blobs: Vec<Oid> = (0..4)
            .map(|i| repo.blob(format!("blob {i}").as_bytes()).unwrap())
            .collect();
        let folders = blobs
            .iter()
            .map(|&blob| {
                let mut builder = repo.treebuilder(None).unwrap();
                builder.insert("f", blob, 0o100644).unwrap();
                builder.write().unwrap()
            })
            .collect();
        Scratch {
            _dir: dir,
            repo,
            blobs,
            folders,
        }
    }

    /// An entry to put: its name, whether it is a folder, which object.
    type Put = (String, bool, usize);

    impl Scratch {
        fn id(&self, folder: bool, which: usize) -> Oid {
            let ids = if folder { &self.folders } else { &self.blobs };
            ids[which % ids.len()]
        }

        fn mode(folder: bool) -> i32 {
            if folder {
                0o040000
            } else {
                0o100644
            }
        }

        /// The tree a treebuilder writes from `base` with `change` made.
        fn built(&self, base: Option<Oid>, name: &str, change: Option<(bool, usize)>) -> Oid {
            let base = base.map(|id| self.repo.find_tree(id).unwrap());
            let mut builder = self.repo.treebuilder(base.as_ref()).unwrap();
            match change {
                Some((folder, which)) => {
                    let id = self.id(folder, which);
                    builder.insert(name, id, Self::mode(folder)).unwrap();
                }
                None if builder.get(name).unwrap().is_some() => builder.remove(name).unwrap(),
                None => {}
            }
            builder.write().unwrap()
        }

        /// The same change spliced into the raw bytes of `base`; its id and bytes.
        fn spliced(&self, base: Oid, name: &str, change: Option<(bool, usize)>) -> Vec<u8> {
            let odb = self.repo.odb().unwrap();
            let raw = odb.read(base).unwrap();
            let tree = self.repo.find_tree(base).unwrap();
            assert_eq!(printed(&tree), raw.data(), "a tree prints as its bytes");
            let mode = change.map(|(folder, _)| if folder { FOLDER } else { b"100644" as &[u8] });
            let entry = mode.zip(change.map(|(folder, which)| self.id(folder, which)));
            splice(raw.data(), name.as_bytes(), entry).expect("a treebuilder's tree splices")
        }

        fn tree_of(&self, entries: &[Put]) -> Oid {
            let mut builder = self.repo.treebuilder(None).unwrap();
            for (name, folder, which) in entries {
                let id = self.id(*folder, *which);
                builder.insert(name, id, Self::mode(*folder)).unwrap();
            }
            builder.write().unwrap()
        }
    }

    fn hash(bytes: &[u8]) -> Oid {
        Oid::hash_object(ObjectType::Tree, bytes).unwrap()
    }

    /// Names that are prefixes of each other and differ by bytes just below and above
    /// `/`, where a folder's place in git's order differs from a file's.
    const TRICKY: [&str; 7] = ["a", "a-b", "a.b", "a0", "a/b", "ab", "a-"];

    #[test]
    fn every_change_among_prefixes_gives_the_treebuilders_tree() {
        let s = scratch();
        let names: Vec<&str> = TRICKY
            .iter()
            .copied()
            .filter(|n| !n.contains('/'))
            .collect();
        for (i, &folder_name) in names.iter().enumerate() {
            // `folder_name` a folder, every other one a file: the folder sorts as
            // `a/`, so it lands between `a.b` and `a0`.
            let entries: Vec<Put> = names
                .iter()
                .map(|&n| (n.to_string(), n == folder_name, i))
                .collect();
            let base = s.tree_of(&entries);
            for &name in &names {
                for change in [None, Some((true, 1)), Some((false, 2))] {
                    let expected = s.built(Some(base), name, change);
                    assert_eq!(
                        hash(&s.spliced(base, name, change)),
                        expected,
                        "{name} {change:?} in a tree where {folder_name} is a folder"
                    );
                }
            }
        }
    }

    #[test]
    fn a_new_entry_goes_into_an_empty_tree_and_the_last_one_leaves_it_empty() {
        let s = scratch();
        let empty = s.tree_of(&[]);
        let one = s.spliced(empty, "m1", Some((true, 0)));
        assert_eq!(hash(&one), s.built(Some(empty), "m1", Some((true, 0))));
        let none = splice(&one, b"m1", None).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_tree_a_treebuilder_would_not_write_is_not_spliced() {
        let s = scratch();
        let id = s.id(false, 0);
        let tree = |entries: &[(&[u8], &str)]| {
            let mut raw = Vec::new();
            for (mode, name) in entries {
                write_entry(&mut raw, mode, name.as_bytes(), id);
            }
            raw
        };
        let change = Some((b"100644" as &[u8], id));
        let out_of_order = tree(&[(b"100644", "b"), (b"100644", "a")]);
        let twice = tree(&[(b"100644", "a"), (b"100644", "a.b"), (FOLDER, "a")]);
        let odd_mode = tree(&[(b"040000", "a")]);
        let cut_short = tree(&[(b"100644", "a")])[..10].to_vec();
        for raw in [out_of_order, twice, odd_mode, cut_short] {
            assert_eq!(splice(&raw, b"c", change), None);
        }
        let fine = tree(&[(b"100644", "a"), (b"100644", "a.b"), (FOLDER, "a0")]);
        assert!(splice(&fine, b"c", change).is_some());
        assert_eq!(splice(&fine, b"a/b", change), None);
        assert_eq!(splice(&fine, b"..", None), None);
        assert_eq!(splice(&fine, b"c", Some((b"100664", id))), None);
    }

    #[test]
    fn a_stored_tree_unlike_a_treebuilders_gives_the_treebuilders_tree() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Repository::init_bare(dir.path()).unwrap().path()).unwrap();
        let blob = store.repo.blob(b"x").unwrap();
        let folder = store.repo.treebuilder(None).unwrap().write().unwrap();
        let odb = store.repo.odb().unwrap();
        let stored = |entries: &[(&[u8], &str, Oid)]| {
            let mut raw = Vec::new();
            for (mode, name, id) in entries {
                write_entry(&mut raw, mode, name.as_bytes(), *id);
            }
            store
                .repo
                .find_tree(odb.write(ObjectType::Tree, &raw).unwrap())
                .unwrap()
        };
        let unsorted = stored(&[(b"100644", "b", blob), (b"100644", "a", blob)]);
        // Written by old tools: a folder's mode with a leading zero, a group-writable file.
        let padded = stored(&[(b"040000", "a", folder), (b"100644", "b", blob)]);
        let writable = stored(&[(b"100664", "a", blob)]);
        for tree in [unsorted, padded, writable] {
            for change in [Some((blob, FileMode::Blob)), None] {
                let id = store.tree_with(Some(&tree), "a", change).unwrap();
                let mut builder = store.repo.treebuilder(Some(&tree)).unwrap();
                match change {
                    Some((blob, _)) => {
                        builder.insert("a", blob, 0o100644).unwrap();
                    }
                    None => builder.remove("a").unwrap(),
                }
                assert_eq!(id, builder.write().unwrap(), "{:?} {change:?}", tree.id());
            }
        }
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(
                TRICKY
                    .iter()
                    .filter(|n| !n.contains('/'))
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
            ),
            "[a.0_-]{1,3}",
            "m[0-9]{1,4}",
        ]
        .prop_filter("a name git accepts", |n| n != "." && n != "..")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// From any tree, any run of puts, replacements and deletions spliced gives
        /// the tree id a treebuilder gives.
        #[test]
        fn splicing_matches_the_treebuilder(
            start in proptest::collection::vec((name(), any::<bool>(), 0..4usize), 0..24),
            changes in proptest::collection::vec(
                (name(), proptest::option::weighted(0.7, (any::<bool>(), 0..4usize))),
                1..12,
            ),
        ) {
            let s = scratch();
            let mut tree = s.tree_of(&start);
            for (name, change) in changes {
                let expected = s.built(Some(tree), &name, change);
                let spliced = s.spliced(tree, &name, change);
                prop_assert_eq!(hash(&spliced), expected, "{} {:?}", name, change);
                tree = expected;
            }
        }
    }
}
