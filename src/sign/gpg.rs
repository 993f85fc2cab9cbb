//! OpenPGP signatures, made and checked by `gpg` as git does (`gpg --status-fd=2
//! -bsau <key>`, `gpg --verify`).

use std::path::Path;

use super::{run, Settings, SignError};
use crate::model::Signer;

pub(super) fn sign(settings: &Settings, payload: &[u8]) -> Result<String, SignError> {
    let failed = |detail: String| SignError::Failed {
        program: settings.program.clone(),
        detail,
    };
    let args = ["--status-fd=2", "-bsau", settings.key.as_str()];
    let (stdout, status) = run(&settings.program, &args, payload).map_err(failed)?;
    if !status.contains("[GNUPG:] SIG_CREATED") {
        return Err(failed(format!("it created no signature: {status}")));
    }
    String::from_utf8(stdout).map_err(|e| failed(e.to_string()))
}

pub(super) fn own_fingerprint(settings: &Settings) -> Result<String, SignError> {
    let args = [
        "--batch",
        "--with-colons",
        "--list-secret-keys",
        "--",
        settings.key.as_str(),
    ];
    let (stdout, _) = run(&settings.program, &args, b"").map_err(|detail| SignError::Failed {
        program: settings.program.clone(),
        detail,
    })?;
    first_fingerprint(&String::from_utf8_lossy(&stdout))
        .ok_or_else(|| SignError::Settings(format!("gpg has no secret key {:?}", settings.key)))
}

/// The primary key's fingerprint of an armored public key, read without touching the
/// user's keyring.
pub(super) fn fingerprint_of_armored(text: &str) -> Result<String, SignError> {
    let home = tempfile::tempdir().map_err(|e| SignError::Key(e.to_string()))?;
    let home_path = home.path().display().to_string();
    let args = [
        "--batch",
        "--homedir",
        home_path.as_str(),
        "--with-colons",
        "--import-options",
        "show-only",
        "--import",
    ];
    let (stdout, _) = run("gpg", &args, text.as_bytes())
        .map_err(|e| SignError::Key(format!("gpg cannot read the OpenPGP key: {e}")))?;
    first_fingerprint(&String::from_utf8_lossy(&stdout))
        .ok_or_else(|| SignError::Key("gpg found no key in the armored block".into()))
}

/// The first `fpr` record of gpg's colon listing: the primary key's.
fn first_fingerprint(listing: &str) -> Option<String> {
    listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .filter(|f| !f.is_empty())
        .map(str::to_string)
}

/// Checks an armored OpenPGP signature with a keyring of `keys` alone (kept under
/// `keyring_dir`, one per set of keys), so the user's own keyring decides nothing.
pub fn verify(signature: &str, payload: &[u8], keys: &[&str], keyring_dir: &Path) -> Signer {
    let bad = |reason: String| Signer::Bad { reason };
    let home = match keyring(keys, keyring_dir) {
        Ok(home) => home,
        Err(e) => return bad(format!("cannot check an OpenPGP signature: {e}")),
    };
    let file = tempfile::NamedTempFile::new().and_then(|mut file| {
        std::io::Write::write_all(&mut file, signature.as_bytes())?;
        Ok(file)
    });
    let Ok(file) = file else {
        return bad("cannot write a temporary file to check the signature".into());
    };
    let home = home.display().to_string();
    let sig = file.path().display().to_string();
    let args = [
        "--batch",
        "--homedir",
        home.as_str(),
        "--status-fd=1",
        "--verify",
        sig.as_str(),
        "-",
    ];
    // gpg exits non-zero for a signature it cannot check; its status lines say why.
    let status = match run("gpg", &args, payload) {
        Ok((stdout, _)) => String::from_utf8_lossy(&stdout).into_owned(),
        Err(e) => e,
    };
    let fields = |tag: &str| -> Option<Vec<String>> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("[GNUPG:] {tag} ")))
            .map(|rest| rest.split(' ').map(str::to_string).collect())
    };
    if let Some(valid) = fields("VALIDSIG") {
        let primary = valid.get(9).or(valid.first()).cloned().unwrap_or_default();
        return Signer::Key {
            fingerprint: primary,
        };
    }
    if fields("NO_PUBKEY").is_some() {
        return bad("signed by an OpenPGP key that is not in the trust list".into());
    }
    bad("the OpenPGP signature does not match".into())
}

/// A gpg home holding exactly `keys`, made once per set of keys.
fn keyring(keys: &[&str], dir: &Path) -> Result<std::path::PathBuf, String> {
    let mut hash = sha1_smol::Sha1::new();
    for key in keys {
        hash.update(key.as_bytes());
        hash.update(b"\0");
    }
    let home = dir.join(format!("gnupg-{}", &hash.digest().to_string()[..16]));
    if home.join("pubring.kbx").exists() {
        return Ok(home);
    }
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700));
    }
    let path = home.display().to_string();
    let all = keys.join("\n");
    run(
        "gpg",
        &["--batch", "--homedir", &path, "--import"],
        all.as_bytes(),
    )?;
    if !home.join("pubring.kbx").exists() {
        // No key imported (an empty trust list): an empty keyring says so.
        run("gpg", &["--batch", "--homedir", &path, "--list-keys"], b"")?;
    }
    Ok(home)
}
