//! ssh signatures: made by `ssh-keygen -Y sign -n git` as git makes them, checked in
//! this process with the `ssh-key` crate's SshSig (ed25519), or by `ssh-keygen -Y
//! check-novalidate` for the other key types.

use ssh_key::{HashAlg, PrivateKey, PublicKey, SshSig};

use super::{run, Settings, SignError};
use crate::model::Signer;

/// git's namespace for commit signatures.
const NAMESPACE: &str = "git";

/// `user.signingKey` given as the key itself rather than a file.
const LITERAL: &str = "key::";

pub(super) fn sign(settings: &Settings, payload: &[u8]) -> Result<String, SignError> {
    if let Some(signature) = sign_in_process(settings, payload) {
        return Ok(signature);
    }
    let failed = |detail: String| SignError::Failed {
        program: settings.program.clone(),
        detail,
    };
    // A literal public key is handed over in a file, and ssh-keygen asks the agent
    // for its private half (`-U`), as git does.
    let literal = settings.key.strip_prefix(LITERAL).map(str::trim);
    let file = match literal {
        Some(key) => {
            let mut file = tempfile::NamedTempFile::new().map_err(|e| failed(e.to_string()))?;
            std::io::Write::write_all(&mut file, format!("{key}\n").as_bytes())
                .map_err(|e| failed(e.to_string()))?;
            Some(file)
        }
        None => None,
    };
    let key_path = match &file {
        Some(file) => file.path().display().to_string(),
        None => settings.key.clone(),
    };
    let mut args = vec!["-Y", "sign", "-n", NAMESPACE, "-f", key_path.as_str()];
    if literal.is_some() {
        args.push("-U");
    }
    let (stdout, _) = run(&settings.program, &args, payload).map_err(failed)?;
    let signature = String::from_utf8(stdout).map_err(|e| failed(e.to_string()))?;
    if !signature.contains("-----BEGIN SSH SIGNATURE-----") {
        return Err(failed("it printed no signature".into()));
    }
    Ok(signature)
}

/// The signature ssh-keygen would make, made here for what needs no agent, no
/// passphrase and no program of the user's own: an unencrypted ed25519 key file with
/// the default `gpg.ssh.program`. Starting ssh-keygen costs more than the rest of an
/// operation; the signature is the same SSHSIG (namespace git, sha512), which
/// `git verify-commit` checks. Anything else goes to ssh-keygen.
fn sign_in_process(settings: &Settings, payload: &[u8]) -> Option<String> {
    if settings.program != "ssh-keygen" || settings.key.starts_with(LITERAL) {
        return None;
    }
    let text = std::fs::read_to_string(&settings.key).ok()?;
    let key = PrivateKey::from_openssh(text.trim()).ok()?;
    if key.is_encrypted() || key.algorithm() != ssh_key::Algorithm::Ed25519 {
        return None;
    }
    let sig = SshSig::sign(&key, NAMESPACE, HashAlg::Sha512, payload).ok()?;
    sig.to_pem(ssh_key::LineEnding::LF).ok()
}

pub(super) fn own_fingerprint(settings: &Settings) -> Result<String, SignError> {
    if let Some(key) = settings.key.strip_prefix(LITERAL) {
        return fingerprint_of_line(key.trim());
    }
    let path = std::path::Path::new(&settings.key);
    let unreadable = |e: &dyn std::fmt::Display| {
        SignError::Settings(format!(
            "user.signingKey {} cannot be read: {e}",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(&e))?;
    if let Ok(public) = PublicKey::from_openssh(text.trim()) {
        return Ok(public.fingerprint(HashAlg::Sha256).to_string());
    }
    // A private key file: its public half is stored unencrypted beside it, in the
    // file itself and usually in `<file>.pub`.
    if let Ok(private) = PrivateKey::from_openssh(text.trim()) {
        return Ok(private
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string());
    }
    let public =
        std::fs::read_to_string(format!("{}.pub", path.display())).map_err(|e| unreadable(&e))?;
    fingerprint_of_line(public.trim())
}

/// The `SHA256:…` fingerprint of an OpenSSH public key line.
pub(super) fn fingerprint_of_line(line: &str) -> Result<String, SignError> {
    PublicKey::from_openssh(line)
        .map(|key| key.fingerprint(HashAlg::Sha256).to_string())
        .map_err(|e| {
            SignError::Key(format!(
                "not an ssh public key (an `ssh-ed25519 AAAA…` line) nor an armored OpenPGP public key: {e}"
            ))
        })
}

/// Checks an armored ssh signature over `payload` in git's namespace.
pub fn verify(signature: &str, payload: &[u8]) -> Signer {
    let bad = |reason: String| Signer::Bad { reason };
    let sig = match SshSig::from_pem(signature.trim()) {
        Ok(sig) => sig,
        Err(e) => return bad(format!("an ssh signature that cannot be read: {e}")),
    };
    if sig.namespace() != NAMESPACE {
        return bad(format!(
            "an ssh signature for {:?}, not for git",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    match key.verify(NAMESPACE, payload, &sig) {
        Ok(()) => Signer::Key { fingerprint },
        Err(ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. }) => {
            verify_with_ssh_keygen(signature, payload, fingerprint)
        }
        Err(_) => bad(format!("the ssh signature by {fingerprint} does not match")),
    }
}

/// Key types this build does not check itself (rsa, ecdsa) are checked by ssh-keygen.
fn verify_with_ssh_keygen(signature: &str, payload: &[u8], fingerprint: String) -> Signer {
    let checked = tempfile::NamedTempFile::new().and_then(|mut file| {
        std::io::Write::write_all(&mut file, signature.as_bytes())?;
        Ok(file)
    });
    let Ok(file) = checked else {
        return Signer::Bad {
            reason: "cannot write a temporary file to check the signature".into(),
        };
    };
    let path = file.path().display().to_string();
    let args = [
        "-Y",
        "check-novalidate",
        "-n",
        NAMESPACE,
        "-s",
        path.as_str(),
    ];
    match run("ssh-keygen", &args, payload) {
        Ok(_) => Signer::Key { fingerprint },
        Err(e) => Signer::Bad {
            reason: format!("the ssh signature by {fingerprint} does not check out: {e}"),
        },
    }
}
