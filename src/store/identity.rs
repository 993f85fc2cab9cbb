//! Who makes an operation: the git identity, resolved the way `git commit` does
//! (settings and environment first, then what the system says, see `system_ident`).

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
    let (name, email) = (lookup("name"), lookup("email"));
    // Where the settings are silent, guess as git does, unless told not to.
    let guess = name.is_none() || email.is_none();
    let config_only =
        guess && crate::config::get_bool(config(), "user.useConfigOnly") == Some(true);
    let email = match email {
        Some(email) => Some(email),
        None => match super::system_ident::email() {
            Ok(email) if !config_only || std::env::var_os("EMAIL").is_some() => Some(email),
            Ok(_) => None,
            Err(bogus) if !config_only => return Err(StoreError::BogusEmail(bogus)),
            Err(_) => None,
        },
    };
    let name = name.or_else(|| (!config_only).then(super::system_ident::name).flatten());
    match (name, email) {
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
