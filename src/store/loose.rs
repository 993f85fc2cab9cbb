//! Large trees written as loose objects without compression, as git itself writes
//! them with `core.looseCompression=0`.
//!
//! At a thousand milestones the `milestones/` tree is 40 kB of entries, mostly object
//! ids that zlib cannot shrink (it saves about a third), and every write made a new
//! one: deflating it was the largest cost a write at 1,000 milestones had over one at
//! 10, and inflating it again the next largest for the next command. Stored blocks
//! cost a copy each way. `git gc` packs and compresses these objects as any other.
//!
//! The object is written as git and libgit2 write loose objects: to a temporary file
//! beside it, made read-only for everyone (0444, libgit2's mode), then renamed into
//! place, so that a reader sees the whole object or none. Anything unusual (an object
//! folder moved by `GIT_OBJECT_DIRECTORY`, a repository shared between users through
//! `core.sharedRepository`, an object kept in a pack, any error) is left to libgit2's
//! own writer.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use git2::{ObjectType, Oid, Repository};

/// Objects at least this large are written uncompressed; smaller ones cost about as
/// much to deflate as to set up zlib at all.
pub(super) const UNCOMPRESSED_FROM: usize = 16 * 1024;

/// Writes `data` as an object of `kind`: uncompressed when it is large and this
/// repository's objects are where git keeps them, else through libgit2.
pub(super) fn write(repo: &Repository, kind: ObjectType, data: &[u8]) -> Result<Oid, git2::Error> {
    let odb = repo.odb()?;
    if data.len() >= UNCOMPRESSED_FROM {
        if let Some(objects) = plain_objects_dir(repo) {
            let id = Oid::hash_object(kind, data)?;
            let hex = id.to_string();
            let folder = objects.join(&hex[..2]);
            let path = folder.join(&hex[2..]);
            let done = if odb.exists(id) {
                freshen(&path)
            } else {
                write_stored(&folder, &path, kind, data)
            };
            if done.is_ok() {
                return Ok(id);
            }
        }
    }
    // Also freshens an object already there (a packed one, say), as git does.
    odb.write(kind, data)
}

/// The repository's object folder, when git's environment does not move it and the
/// repository is not shared between users (whose file modes are git's business).
fn plain_objects_dir(repo: &Repository) -> Option<PathBuf> {
    if std::env::var_os("GIT_OBJECT_DIRECTORY").is_some() {
        return None;
    }
    let shared = repo
        .config()
        .ok()?
        .get_string("core.sharedRepository")
        .is_ok_and(|value| {
            !matches!(
                value.to_ascii_lowercase().as_str(),
                "false" | "umask" | "0" | "no" | "off"
            )
        });
    if shared {
        return None;
    }
    let objects = repo.commondir().join("objects");
    objects.is_dir().then_some(objects)
}

/// Marks the loose object at `path` as just written, as git does when it would write an
/// object it has, so that `gc` does not prune it as old and unreachable meanwhile.
fn freshen(path: &Path) -> std::io::Result<()> {
    fs::File::open(path)?.set_modified(SystemTime::now())
}

/// Writes the loose object at `path` (in `folder`) as a zlib stream of stored blocks.
fn write_stored(folder: &Path, path: &Path, kind: ObjectType, data: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(folder)?;
    let mut file = tempfile::Builder::new()
        .prefix("tmp_obj_")
        .tempfile_in(folder)?;
    let mut zlib = ZlibEncoder::new(
        std::io::BufWriter::new(file.as_file_mut()),
        Compression::none(),
    );
    write!(zlib, "{} {}\0", kind.str(), data.len())?;
    zlib.write_all(data)?;
    zlib.finish()?.flush()?;
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(0o444)
    };
    #[cfg(not(unix))]
    let permissions = {
        let mut permissions = file.as_file().metadata()?.permissions();
        permissions.set_readonly(true);
        permissions
    };
    file.as_file().set_permissions(permissions)?;
    file.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Where the loose object `id` of the repository at `worktree` is.
    fn loose_file(worktree: &Path, id: Oid) -> PathBuf {
        let hex = id.to_string();
        worktree
            .join(".git/objects")
            .join(&hex[..2])
            .join(&hex[2..])
    }

    #[test]
    fn a_large_tree_is_stored_uncompressed_and_reads_back_as_git_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"x").unwrap();
        let mut builder = repo.treebuilder(None).unwrap();
        for i in 0..1000 {
            builder.insert(format!("m{i:04}"), blob, 0o100644).unwrap();
        }
        let expected = builder.write().unwrap();
        let raw = repo.odb().unwrap().read(expected).unwrap().data().to_vec();
        assert!(raw.len() >= UNCOMPRESSED_FROM);
        let fresh = tempfile::tempdir().unwrap();
        let repo = Repository::init(fresh.path()).unwrap();

        let id = write(&repo, ObjectType::Tree, &raw).unwrap();
        assert_eq!(id, expected);
        let path = loose_file(fresh.path(), id);
        let file = fs::metadata(&path).unwrap();
        assert!(file.permissions().readonly());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                file.permissions().mode() & 0o777,
                0o444,
                "as libgit2 makes them"
            );
        }
        assert!(file.len() > raw.len() as u64, "stored, not deflated");
        assert_eq!(repo.odb().unwrap().read(id).unwrap().data(), raw);
        // Written again: found there, left as it is and freshened.
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::open(&path).unwrap().set_modified(old).unwrap();
        assert_eq!(write(&repo, ObjectType::Tree, &raw).unwrap(), id);
        let again = fs::metadata(&path).unwrap();
        assert_eq!(again.len(), file.len());
        assert!(again.modified().unwrap() > old + Duration::from_secs(60));
    }

    #[test]
    fn a_repository_shared_between_users_is_left_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        assert!(plain_objects_dir(&repo).is_some());
        for (value, ours) in [
            ("group", false),
            ("0660", false),
            ("true", false),
            ("false", true),
            ("umask", true),
        ] {
            let mut config = repo.config().unwrap();
            config.set_str("core.sharedRepository", value).unwrap();
            assert_eq!(plain_objects_dir(&repo).is_some(), ours, "{value}");
        }
    }

    #[test]
    fn a_small_object_goes_through_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let small = vec![b'a'; 1000];
        let id = write(&repo, ObjectType::Blob, &small).unwrap();
        let path = loose_file(dir.path(), id);
        assert!(
            fs::metadata(&path).unwrap().len() < 100,
            "deflated by libgit2"
        );
        assert_eq!(repo.find_blob(id).unwrap().content(), small);
    }
}
