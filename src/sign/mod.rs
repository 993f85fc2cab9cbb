//! Signing an operation commit's bytes the way git signs a commit, and checking a
//! signature. Called by the store when it writes and by merge and `verify` when they
//! read; knows nothing of the ref's layout.
//!
//! Signing goes through the programs git uses (`ssh-keygen -Y sign`, which also works
//! through ssh-agent, and `gpg`), with git's own settings, so `git verify-commit`
//! accepts what this writes. Checking an ssh signature is done in this process (one
//! `ssh-keygen` per commit would make `verify` of a long history slow); OpenPGP goes
//! through `gpg --verify`.

mod gpg;
mod ssh;

use std::path::PathBuf;

use crate::model::Signer;

pub use gpg::verify as verify_openpgp;
pub use ssh::verify as verify_ssh;

/// The error returned by signing and by reading a public key.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A setting is missing or not usable.
    #[error("{0}")]
    Settings(String),
    /// The signing program failed.
    #[error("signing with `{program}` failed: {detail}")]
    Failed {
        /// The program.
        program: String,
        /// What it said.
        detail: String,
    },
    /// A public key could not be read.
    #[error("{0}")]
    Key(String),
}

/// Which of git's signature formats (`gpg.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `openpgp` (git's default).
    OpenPgp,
    /// `ssh`.
    Ssh,
}

/// How this user signs, from git's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The format.
    pub format: Format,
    /// `user.signingKey`: a key id for gpg; a key file, or `key::<public key>`, for ssh.
    pub key: String,
    /// `gpg.program` / `gpg.ssh.program`.
    pub program: String,
}

/// The signing settings, when operations are to be signed: `milestone.sign` if set,
/// else `commit.gpgSign`. `committer_email` is gpg's key when `user.signingKey` is
/// not set, as for git.
pub fn settings(
    config: Option<&git2::Config>,
    committer_email: &str,
) -> Result<Option<Settings>, SignError> {
    use crate::config::{get, get_bool};
    let enabled = get_bool(config, "milestone.sign")
        .or_else(|| get_bool(config, "commit.gpgSign"))
        .unwrap_or(false);
    if !enabled {
        return Ok(None);
    }
    let format = match get(config, "gpg.format").as_deref().map(str::trim) {
        None | Some("openpgp") => Format::OpenPgp,
        Some("ssh") => Format::Ssh,
        Some(other) => {
            return Err(SignError::Settings(format!(
                "gpg.format is {other:?}; operations can be signed with openpgp or ssh"
            )))
        }
    };
    let key = get(config, "user.signingKey").filter(|k| !k.trim().is_empty());
    let (key, program) = match format {
        Format::Ssh => (
            key.ok_or_else(|| {
                SignError::Settings(
                    "signing is on with gpg.format=ssh, but user.signingKey is not set".into(),
                )
            })?,
            get(config, "gpg.ssh.program").unwrap_or_else(|| "ssh-keygen".into()),
        ),
        Format::OpenPgp => (
            key.unwrap_or_else(|| committer_email.to_string()),
            get(config, "gpg.openpgp.program")
                .or_else(|| get(config, "gpg.program"))
                .unwrap_or_else(|| "gpg".into()),
        ),
    };
    Ok(Some(Settings {
        format,
        key: expand_home(key.trim()),
        program,
    }))
}

/// git expands a leading `~/` in key paths.
fn expand_home(key: &str) -> String {
    match (key.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest).display().to_string(),
        _ => key.to_string(),
    }
}

/// Signs `payload` (a commit's bytes without signature) as git would: an armored
/// signature to put in the commit's `gpgsig` header.
pub fn sign(settings: &Settings, payload: &[u8]) -> Result<String, SignError> {
    match settings.format {
        Format::Ssh => ssh::sign(settings, payload),
        Format::OpenPgp => gpg::sign(settings, payload),
    }
}

/// The fingerprint of the key `settings` signs with, as a check of a signature made
/// with it will report it.
pub fn own_fingerprint(settings: &Settings) -> Result<String, SignError> {
    match settings.format {
        Format::Ssh => ssh::own_fingerprint(settings),
        Format::OpenPgp => gpg::own_fingerprint(settings),
    }
}

/// The fingerprint of a public key given as text: an OpenSSH public key line, or an
/// ASCII-armored OpenPGP public key (read with `gpg`). Also returns the key text to
/// store (trimmed).
pub fn public_key_fingerprint(text: &str) -> Result<(String, String), SignError> {
    let text = text.trim();
    if text.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        return Ok((gpg::fingerprint_of_armored(text)?, format!("{text}\n")));
    }
    let fingerprint = ssh::fingerprint_of_line(text)?;
    Ok((fingerprint, text.to_string()))
}

/// Checks `signature` over `payload`: an ssh signature in this process, an OpenPGP
/// one with `gpg` against `openpgp_keys` (the trusted keys, armored), whose keyring is
/// kept in `keyring_dir`.
pub fn check(
    signature: &str,
    payload: &[u8],
    openpgp_keys: &[&str],
    keyring_dir: &std::path::Path,
) -> Signer {
    if signature
        .trim_start()
        .starts_with("-----BEGIN SSH SIGNATURE-----")
    {
        verify_ssh(signature, payload)
    } else if signature
        .trim_start()
        .starts_with("-----BEGIN PGP SIGNATURE-----")
    {
        verify_openpgp(signature, payload, openpgp_keys, keyring_dir)
    } else {
        Signer::Bad {
            reason: "a signature in a format this version does not read".into(),
        }
    }
}

/// Runs `program` with `args`, `input` on its stdin; its stdout, or what went wrong.
fn run(program: &str, args: &[&str], input: &[u8]) -> Result<(Vec<u8>, String), String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    // A program that exits early closes its stdin; what it says explains why.
    let _ = child.stdin.take().map(|mut stdin| stdin.write_all(input));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if output.status.success() {
        Ok((output.stdout, stderr))
    } else if stderr.is_empty() {
        Err(format!("{program} exited with {}", output.status))
    } else {
        Err(stderr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, git2::Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        let config = git2::Config::open(&path).unwrap();
        (dir, config)
    }

    #[test]
    fn signing_follows_git_settings() {
        let (_d, off) = config("[user]\n\tsigningKey = k\n");
        assert!(settings(Some(&off), "me@x").unwrap().is_none());
        let (_d, gpg) = config("[commit]\n\tgpgSign = true\n");
        let s = settings(Some(&gpg), "me@x").unwrap().unwrap();
        assert_eq!(
            (s.format, s.key.as_str(), s.program.as_str()),
            (Format::OpenPgp, "me@x", "gpg")
        );
        let (_d, ssh) = config(
            "[commit]\n\tgpgSign = true\n[milestone]\n\tsign = false\n[gpg]\n\tformat = ssh\n",
        );
        assert!(
            settings(Some(&ssh), "me@x").unwrap().is_none(),
            "milestone.sign wins"
        );
        let (_d, ssh) = config("[milestone]\n\tsign = true\n[gpg]\n\tformat = ssh\n");
        let missing = settings(Some(&ssh), "me@x").unwrap_err().to_string();
        assert!(missing.contains("user.signingKey is not set"), "{missing}");
        let (_d, ssh) = config(
            "[milestone]\n\tsign = true\n[gpg]\n\tformat = ssh\n[gpg \"ssh\"]\n\tprogram = my-keygen\n[user]\n\tsigningKey = key::ssh-ed25519 AAAA\n",
        );
        let s = settings(Some(&ssh), "me@x").unwrap().unwrap();
        assert_eq!(
            (s.format, s.key.as_str(), s.program.as_str()),
            (Format::Ssh, "key::ssh-ed25519 AAAA", "my-keygen")
        );
        let (_d, x509) = config("[milestone]\n\tsign = true\n[gpg]\n\tformat = x509\n");
        assert!(settings(Some(&x509), "me@x").is_err());
    }

    /// Signed here and by ssh-keygen alike: each checks out for its own bytes only,
    /// by the key's fingerprint.
    #[test]
    fn ssh_signatures_check_out_for_their_own_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k");
        let made = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen runs (openssh-client is installed by .ci/run)");
        assert!(made.success());
        let in_process = Settings {
            format: Format::Ssh,
            key: key.display().to_string(),
            program: "ssh-keygen".into(),
        };
        let located = std::process::Command::new("sh")
            .args(["-c", "command -v ssh-keygen"])
            .output()
            .unwrap();
        let program = Settings {
            program: String::from_utf8(located.stdout)
                .unwrap()
                .trim()
                .to_string(),
            ..in_process.clone()
        };
        let fingerprint = own_fingerprint(&in_process).unwrap();
        assert!(fingerprint.starts_with("SHA256:"));
        for settings in [&in_process, &program] {
            let signature = sign(settings, b"tree 123\n").unwrap();
            assert_eq!(
                verify_ssh(&signature, b"tree 123\n"),
                Signer::Key {
                    fingerprint: fingerprint.clone()
                }
            );
            assert!(matches!(
                verify_ssh(&signature, b"tree 124\n"),
                Signer::Bad { .. }
            ));
        }
    }

    #[test]
    fn a_signature_of_another_kind_is_bad() {
        let bad = check(
            "not a signature",
            b"data",
            &[],
            std::path::Path::new("/nonexistent"),
        );
        assert!(matches!(bad, Signer::Bad { .. }));
        let garbled = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
        assert!(matches!(verify_ssh(garbled, b"data"), Signer::Bad { .. }));
    }
}
