//! Writing objects into the repository as one packfile, without delta search.
//!
//! An import makes hundreds of commits with large messages. Written loose they would
//! be hundreds of files; packed by libgit2's pack builder (which `Mempack::dump` uses)
//! they would be searched for deltas against each other, which takes seconds per few
//! hundred commits. Deflating each object on its own is fast, and costs little room
//! here: an import commit repeats its events (in the operation and in its events)
//! within zlib's window, so the repeat compresses away. `git gc` may still delta the
//! pack later.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use git2::{ObjectType, Odb, Oid};

use super::StoreError;

/// Writes `objects`, read from `source`, as one new pack of `target` (which indexes it
/// and moves it into `objects/pack/`).
pub(super) fn write_pack(
    target: &Odb<'_>,
    source: &Odb<'_>,
    objects: &[Oid],
) -> Result<(), StoreError> {
    let count = u32::try_from(objects.len()).map_err(|e| StoreError::Encode {
        what: "a pack of more than 2^32 objects",
        source: e.into(),
    })?;
    let mut writer = target.packwriter()?;
    let mut out = Hashing {
        inner: &mut writer,
        sha: sha1_smol::Sha1::new(),
    };
    let io = |e: std::io::Error| StoreError::Encode {
        what: "the pack",
        source: e.into(),
    };
    out.write_all(b"PACK").map_err(io)?;
    out.write_all(&2u32.to_be_bytes()).map_err(io)?;
    out.write_all(&count.to_be_bytes()).map_err(io)?;
    for oid in objects {
        let object = source.read(*oid)?;
        out.write_all(&entry_header(object.kind(), object.len())?)
            .map_err(io)?;
        // Level 1: most of the size saving of the default level at a fraction of the
        // time, on JSON text.
        let mut deflate = ZlibEncoder::new(&mut out, Compression::fast());
        deflate.write_all(object.data()).map_err(io)?;
        deflate.finish().map_err(io)?;
    }
    let trailer = out.sha.digest().bytes();
    writer.write_all(&trailer).map_err(io)?;
    writer.commit()?;
    Ok(())
}

/// A pack entry's header: its type and its size, in git's variable-length encoding
/// (4 bits of size in the first byte, then 7 per byte).
fn entry_header(kind: ObjectType, size: usize) -> Result<Vec<u8>, StoreError> {
    let code: u8 = match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        ObjectType::Tag => 4,
        other => {
            return Err(StoreError::Encode {
                what: "an object in a pack",
                source: format!("a pack holds no {other} objects").into(),
            })
        }
    };
    let mut header = Vec::with_capacity(10);
    let mut rest = size >> 4;
    let mut byte = (code << 4) | (size & 0x0f) as u8;
    while rest > 0 {
        header.push(byte | 0x80);
        byte = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    header.push(byte);
    Ok(header)
}

/// Passes bytes through while hashing them: a pack ends with the SHA-1 of all its
/// bytes before it.
struct Hashing<W> {
    inner: W,
    sha: sha1_smol::Sha1,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.sha.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_headers_encode_type_and_size() {
        assert_eq!(entry_header(ObjectType::Blob, 5).unwrap(), [0x35]);
        // 100 = 0b110_0100: low 4 bits 0100 in the first byte, then 0b110.
        assert_eq!(entry_header(ObjectType::Commit, 100).unwrap(), [0x94, 0x06]);
        assert_eq!(
            entry_header(ObjectType::Tree, 1 << 20).unwrap(),
            [0xa0, 0x80, 0x80, 0x04]
        );
        assert!(entry_header(ObjectType::Any, 1).is_err());
    }

    #[test]
    fn a_written_pack_is_indexed_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let staging = git2::Odb::new().unwrap();
        let _memory = staging.add_new_mempack_backend(1).unwrap();
        let big = "x".repeat(100_000);
        let oids: Vec<Oid> = ["small", big.as_str(), ""]
            .iter()
            .map(|text| staging.write(ObjectType::Blob, text.as_bytes()).unwrap())
            .collect();
        write_pack(&repo.odb().unwrap(), &staging, &oids).unwrap();
        let odb = repo.odb().unwrap();
        assert_eq!(odb.read(oids[1]).unwrap().data(), big.as_bytes());
        assert_eq!(odb.read(oids[2]).unwrap().len(), 0);
        let packs = std::fs::read_dir(dir.path().join("objects/pack"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "pack")
            })
            .count();
        assert_eq!(packs, 1);
    }
}
