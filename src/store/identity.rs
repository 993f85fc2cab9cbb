//! Who makes an operation: the git identity, resolved the way `git commit` does.

use git2::{Config, Repository, Signature, Time};

use super::StoreError;

/// Which of git's two identities.
#[derive(Clone, Copy)]
pub enum Role {
    /// `GIT_AUTHOR_*`, `author.*`, `user.*`.
    Author,
    /// `GIT_COMMITTER_*`, `committer.*`, `user.*`.
    Committer,
}

/// The signature of `role` at `time`, or a clear error naming the fix.
pub fn signature(
    repo: &Repository,
    role: Role,
    time: chrono::DateTime<chrono::Utc>,
) -> Result<Signature<'static>, StoreError> {
    let (env, section, time) = match role {
        Role::Author => ("AUTHOR", "author", crate::clock::author_time(time)),
        Role::Committer => ("COMMITTER", "committer", time),
    };
    // The configuration is only read when the environment does not say who it is.
    let config = std::cell::OnceCell::new();
    let config = || config.get_or_init(|| repo.config().ok()).as_ref();
    let lookup = |field: &str| -> Option<String> {
        let from_env = std::env::var(format!("GIT_{env}_{}", field.to_uppercase()))
            .ok()
            .filter(|v| !v.trim().is_empty());
        from_env
            .or_else(|| config_value(config(), &format!("{section}.{field}")))
            .or_else(|| config_value(config(), &format!("user.{field}")))
    };
    match (lookup("name"), lookup("email")) {
        (Some(name), Some(email)) => Signature::new(&name, &email, &Time::new(time.timestamp(), 0))
            .map_err(StoreError::UnusableIdentity),
        _ => Err(StoreError::NoIdentity),
    }
}

impl super::Store {
    /// The committer identity (name, email) operations are recorded with.
    pub fn identity(&self) -> Result<(String, String), StoreError> {
        let sig = signature(&self.repo, Role::Committer, chrono::Utc::now())?;
        Ok((
            sig.name().unwrap_or("").to_string(),
            sig.email().unwrap_or("").to_string(),
        ))
    }
}

fn config_value(config: Option<&Config>, key: &str) -> Option<String> {
    crate::config::get(config, key).filter(|v| !v.trim().is_empty())
}
