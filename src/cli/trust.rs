//! `trust add|rm|list`, `roles add|rm|list` and `verify`: who may decide, and whether
//! the history holds.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::model::{Op, TrustChange, TrustedKey};
use crate::store::{Outcome, Store};

use super::{open_store, CliError, Output};

/// The `trust` commands.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a public key for an email. The first one starts the trust list and makes
    /// you its owner; after that only an owner's signed operation changes it.
    Add(TrustAddArgs),
    /// Stop trusting an email's keys (all, or the one in --key). Decisions they
    /// signed before keep counting.
    Rm(TrustRmArgs),
    /// The trusted keys.
    List,
}

/// `trust add`.
#[derive(Debug, Args)]
pub struct TrustAddArgs {
    /// Whose key it is.
    pub email: String,
    /// The public key file: an ssh public key (`~/.ssh/id_ed25519.pub`) or an
    /// ASCII-armored OpenPGP public key (`gpg --armor --export <id>`).
    #[arg(long, value_name = "FILE")]
    pub key: std::path::PathBuf,
}

/// `trust rm`.
#[derive(Debug, Args)]
pub struct TrustRmArgs {
    /// Whose keys.
    pub email: String,
    /// Only this key.
    #[arg(long, value_name = "FILE")]
    pub key: Option<std::path::PathBuf>,
}

/// The `roles` commands.
#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// Make an email a member of a role (an owner's signed operation).
    Add(RoleArgs),
    /// Remove an email from a role (an owner's signed operation).
    Rm(RoleArgs),
    /// Each role and its members.
    List,
}

/// `roles add|rm`.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The role, as approval gates name it (`lead`, `qa`, `owner`).
    pub role: String,
    /// The member's email.
    pub email: String,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A revision range of refs/milestones (`a..b`), or a commit and its history; all
    /// of refs/milestones when omitted.
    pub range: Option<String>,
    /// Also require every operation to be signed (by a trusted key of its author once
    /// a trust list exists).
    #[arg(long)]
    pub strict: bool,
}

pub fn run_trust(out: &Output, command: TrustCommand) -> Result<(), CliError> {
    let store = open_store()?;
    match command {
        TrustCommand::Add(args) => {
            let email = email(&args.email)?;
            let text = std::fs::read_to_string(&args.key)
                .map_err(|e| CliError::user(format!("cannot read {}: {e}", args.key.display())))?;
            let (fingerprint, key) = crate::sign::public_key_fingerprint(&text)
                .map_err(|e| CliError::user(e.to_string()).hint("give the public half: `~/.ssh/id_ed25519.pub`, or `gpg --armor --export <id> > key.asc`"))?;
            let starts = store.trust()?.is_none();
            let key = TrustedKey {
                email: email.clone(),
                key,
                fingerprint: fingerprint.clone(),
                added_by: who(&store)?,
                added_at: crate::clock::format_time(crate::clock::now()),
            };
            let outcome = store.transact(Op::Trust(TrustChange::AddKey { key }))?;
            let mut text = format!("Trusted {fingerprint} for {email}.");
            if starts {
                text.push_str(&format!(
                    "\nThe trust list starts here: {email} is its owner. From now on decisions count only when signed by a trusted key of a member of the role."
                ));
            }
            out.outcome(&outcome, &text)
        }
        TrustCommand::Rm(args) => {
            let email = email(&args.email)?;
            let fingerprint = match &args.key {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        CliError::user(format!("cannot read {}: {e}", path.display()))
                    })?;
                    Some(
                        crate::sign::public_key_fingerprint(&text)
                            .map_err(|e| CliError::user(e.to_string()))?
                            .0,
                    )
                }
                None => None,
            };
            let by = who(&store)?;
            let change = TrustChange::RemoveKey {
                email: email.clone(),
                fingerprint,
                by,
            };
            let outcome = store.transact(Op::Trust(change))?;
            out.outcome(
                &outcome,
                &format!(
                    "No longer trusting key(s) of {email}; what they signed before still counts."
                ),
            )
        }
        TrustCommand::List => list_keys(out, &store),
    }
}

fn list_keys(out: &Output, store: &Store) -> Result<(), CliError> {
    let keys = store.trust()?.map(|t| t.keys).unwrap_or_default();
    if out.json {
        return out.json_value(&keys);
    }
    if keys.is_empty() {
        return out.note("No trust list: every decision counts, unverified. `git milestone trust add <your email> --key <your public key>` starts one.");
    }
    for key in keys {
        out.line(format!(
            "{:<30} {}  added by {} at {}",
            key.email, key.fingerprint, key.added_by, key.added_at
        ))?;
    }
    Ok(())
}

pub fn run_roles(out: &Output, command: RolesCommand) -> Result<(), CliError> {
    let store = open_store()?;
    let (args, add) = match command {
        RolesCommand::List => return list_roles(out, &store),
        RolesCommand::Add(args) => (args, true),
        RolesCommand::Rm(args) => (args, false),
    };
    let email = email(&args.email)?;
    let role = args.role.trim().to_string();
    if role.is_empty() || role.chars().any(char::is_control) {
        return Err(CliError::user(format!(
            "{:?} is not a role name",
            args.role
        )));
    }
    let by = who(&store)?;
    let (change, text) = if add {
        let text = format!("{email} is a member of {role}.");
        (TrustChange::AddMember { role, email, by }, text)
    } else {
        let text = format!("{email} is no longer a member of {role}.");
        (TrustChange::RemoveMember { role, email, by }, text)
    };
    let outcome: Outcome = store.transact(Op::Trust(change))?;
    out.outcome(&outcome, &text)
}

fn list_roles(out: &Output, store: &Store) -> Result<(), CliError> {
    let roles = store.trust()?.map(|t| t.roles).unwrap_or_default();
    if out.json {
        let values: Vec<_> = roles
            .iter()
            .map(|(role, members)| json!({"role": role, "members": members}))
            .collect();
        return out.json_value(&values);
    }
    if roles.is_empty() {
        return out.note("No roles: `git milestone roles add <role> <email>` adds a member.");
    }
    for (role, members) in roles {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        out.line(format!("{role}: {}", members.join(", ")))?;
    }
    Ok(())
}

pub fn verify(out: &Output, args: VerifyArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let verified = store.verify(args.range.as_deref(), args.strict)?;
    if out.json {
        out.json_value(&verified)?;
    } else {
        for p in &verified.problems {
            let short = p.commit.get(..12).unwrap_or(&p.commit);
            out.line(format!("{short} {}: {}", p.author, p.reason))?;
        }
    }
    if verified.problems.is_empty() {
        if !out.json {
            out.note(format!("All {} operation(s) hold.", verified.checked))?;
        }
        return Ok(());
    }
    Err(CliError::user(format!(
        "{} of {} operation(s) do not hold",
        verified.problems.len(),
        verified.checked
    ))
    .hint("`git show <commit>` shows one; `git milestone verify --json` lists them for scripts"))
}

/// Under `status`: without a trust list, the milestone's decisions are unverified.
pub fn note_unverified(
    out: &Output,
    store: &Store,
    files: &crate::model::MilestoneFiles,
) -> Result<(), CliError> {
    let has_approvals = files.approvals.as_ref().is_some_and(|a| !a.is_empty());
    if !has_approvals || store.trust()?.is_some() {
        return Ok(());
    }
    out.line("")?;
    out.line("Approvals are unverified: no trust list. `git milestone trust add <your email> --key <your public key>` starts one.")
}

fn who(store: &Store) -> Result<String, CliError> {
    let (name, email) = store.identity()?;
    Ok(format!("{name} <{email}>"))
}

/// An email as given on the command line, with a clear refusal of what cannot be one.
fn email(value: &str) -> Result<String, CliError> {
    let email = value.trim();
    let valid = email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c));
    if valid {
        Ok(email.to_string())
    } else {
        Err(CliError::user(format!("{value:?} is not an email address"))
            .hint("give it as git records it: `git config user.email`"))
    }
}
