//! Where a session runs (host name and folder) is this clone's business: unless
//! `milestone.shareSessionHost` is true, it is kept in a local file instead of the
//! session record that travels to the team's remote. The shared record keeps who,
//! branch, milestone, commits and times.

use std::path::PathBuf;

use super::{Store, StoreError};
use crate::model::{Session, SessionId};

/// A session's host and folder as kept in this clone.
#[derive(serde::Serialize, serde::Deserialize)]
struct Place {
    host: String,
    working_directory: String,
}

impl Store {
    /// The folder of the places, shared by this clone's worktrees (a session started
    /// in one is listed in all of them).
    fn places_dir(&self) -> PathBuf {
        self.repo
            .commondir()
            .join("milestone")
            .join("session-places")
    }

    fn place_file(&self, id: &SessionId) -> PathBuf {
        self.places_dir().join(format!("{id}.json"))
    }

    /// Moves `session`'s host and folder into this clone's local file, leaving them
    /// empty in the record that will be shared.
    pub fn keep_session_place_local(&self, session: &mut Session) -> Result<(), StoreError> {
        let place = Place {
            host: std::mem::take(&mut session.host),
            working_directory: std::mem::take(&mut session.working_directory),
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(self.places_dir())?;
            let text = serde_json::to_string(&place).map_err(std::io::Error::other)?;
            std::fs::write(self.place_file(&session.session_id), text + "\n")
        };
        write().map_err(|source| StoreError::Local {
            what: "keep the session's host and folder",
            source,
        })
    }

    /// Fills in `session`'s host and folder from this clone's file, when the shared
    /// record has none and this clone started it.
    pub fn add_local_session_place(&self, session: &mut Session) {
        if !session.host.is_empty() || !session.working_directory.is_empty() {
            return;
        }
        let place = std::fs::read_to_string(self.place_file(&session.session_id))
            .ok()
            .and_then(|text| serde_json::from_str::<Place>(&text).ok());
        if let Some(place) = place {
            session.host = place.host;
            session.working_directory = place.working_directory;
        }
    }
}
