//! This worktree's current session: a file under the worktree's git dir, never shared.
//! The worktree's branch, HEAD and commits are [`crate::worktree`]'s.

use super::{Store, StoreError};
use crate::model::SessionId;

/// The file naming this worktree's current session.
const CURRENT_SESSION: &str = "session";

impl Store {
    /// The id of this worktree's current session, if one is set.
    pub fn current_session(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.local_dir().join(CURRENT_SESSION)).ok()?;
        let id = text.trim();
        (!id.is_empty()).then(|| id.to_string())
    }

    /// Makes `id` this worktree's current session.
    pub fn set_current_session(&self, id: &SessionId) -> Result<(), StoreError> {
        let dir = self.local_dir();
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            // Written aside and renamed, so a reader never sees half an id.
            let temp = dir.join(format!("{CURRENT_SESSION}.{}", std::process::id()));
            std::fs::write(&temp, format!("{id}\n"))?;
            std::fs::rename(&temp, dir.join(CURRENT_SESSION))
        };
        write().map_err(|source| StoreError::Local {
            what: "record the current session",
            source,
        })
    }

    /// Forgets this worktree's current session.
    pub fn clear_current_session(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(self.local_dir().join(CURRENT_SESSION)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Local {
                what: "clear the current session",
                source,
            }),
        }
    }
}
