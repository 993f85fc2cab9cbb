//! Who the system says you are, for when git's settings do not: the way git's
//! `ident.c` guesses (`git var GIT_COMMITTER_IDENT`), so an identity `git commit`
//! accepts is one git-milestone accepts. The name is the account's full name (the
//! passwd entry's GECOS field); the email is `$EMAIL`, else `<user>@<host>` where the
//! host name has a domain (`/etc/hosts` may give it one), else nothing: like git, a
//! guessed address without a domain is refused.

/// One passwd entry's user name and full name.
struct Account {
    user: String,
    full_name: String,
}

/// The account of the user this process runs as, from the passwd file. (Accounts
/// served only by NSS, such as LDAP, are not found; `user.name` and `EMAIL` still
/// work for them.)
fn account() -> Option<Account> {
    let uid = current_uid()?;
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 5 && fields[2].parse::<u32>().ok() == Some(uid)).then(|| Account {
            user: fields[0].to_string(),
            full_name: gecos_name(fields[4], fields[0]),
        })
    })
}

#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the user the process runs as.
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn current_uid() -> Option<u32> {
    None
}

/// The full name of a GECOS field as git reads it: up to the first comma, `&` standing
/// for the user name with a capital first letter.
fn gecos_name(gecos: &str, user: &str) -> String {
    let name = gecos.split(',').next().unwrap_or("");
    let mut capitalized = user.to_string();
    if let Some(first) = capitalized.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    name.replace('&', &capitalized).trim().to_string()
}

/// The name git would guess: the account's full name, else its user name.
pub fn name() -> Option<String> {
    let account = account()?;
    Some(if account.full_name.is_empty() {
        account.user
    } else {
        account.full_name
    })
    .filter(|n| !n.trim().is_empty())
}

/// The email git would use without settings: `$EMAIL`, else `<user>@<host with a
/// domain>`. `Err` carries the address git would have refused, for the message.
pub fn email() -> Result<String, String> {
    if let Some(email) = std::env::var("EMAIL").ok().filter(|e| !e.trim().is_empty()) {
        return Ok(email);
    }
    let user = account()
        .map(|a| a.user)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default();
    let host = crate::worktree::host_name();
    match qualified(&host) {
        Some(host) if !user.is_empty() => Ok(format!("{user}@{host}")),
        _ => Err(format!("{user}@{host}.(none)")),
    }
}

/// `host` with its domain: itself when it has one, else the canonical name
/// `/etc/hosts` gives it (the first name of the line that lists it), as git's
/// `getaddrinfo(AI_CANONNAME)` would find there.
fn qualified(host: &str) -> Option<String> {
    if host.contains('.') {
        return Some(host.to_string());
    }
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    canonical_in_hosts(&hosts, host)
}

fn canonical_in_hosts(hosts: &str, host: &str) -> Option<String> {
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let names: Vec<&str> = line.split_whitespace().skip(1).collect();
        let canonical = names.first()?;
        (names.contains(&host) && canonical.contains('.')).then(|| canonical.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gecos_names_read_like_gits() {
        assert_eq!(gecos_name("Ann Lee,Room 4,,", "ann"), "Ann Lee");
        assert_eq!(gecos_name("& Builder", "bob"), "Bob Builder");
        assert_eq!(gecos_name("", "carl"), "");
    }

    #[test]
    fn hosts_give_a_canonical_name_with_a_domain() {
        let hosts = "127.0.0.1 localhost\n127.0.1.1 vm.example.org vm # here\n10.0.0.2 other\n";
        assert_eq!(
            canonical_in_hosts(hosts, "vm").as_deref(),
            Some("vm.example.org")
        );
        assert_eq!(canonical_in_hosts(hosts, "other"), None);
        assert_eq!(canonical_in_hosts(hosts, "nowhere"), None);
    }
}
