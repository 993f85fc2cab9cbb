//! Trust: the keys trusted per email and the members of each role, kept on the ref
//! like any other state, and what a signature on an operation shows about its author.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The role whose members may change trust and roles.
pub const OWNER: &str = "owner";

/// One trusted public key of one email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// Whose key it is.
    pub email: String,
    /// The public key as given: an OpenSSH line, or an ASCII-armored OpenPGP key.
    pub key: String,
    /// `SHA256:…` for ssh, the hex fingerprint for OpenPGP.
    pub fingerprint: String,
    /// Who added it ("Name <email>").
    pub added_by: String,
    /// When (RFC 3339).
    pub added_at: String,
}

/// The trust list and the roles: `trust.yaml` at the root of the ref. Absent until
/// the first `trust add`; while absent every decision counts, as without this feature.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrustList {
    /// The keys trusted now. A removed key is gone from here; decisions it signed
    /// while it was here keep the effect they had.
    #[serde(default)]
    pub keys: Vec<TrustedKey>,
    /// Role → member emails.
    #[serde(default)]
    pub roles: BTreeMap<String, BTreeSet<String>>,
}

impl TrustList {
    /// Whether `fingerprint` is trusted now as a key of `email`.
    pub fn trusts(&self, email: &str, fingerprint: &str) -> bool {
        self.keys
            .iter()
            .any(|k| same_email(&k.email, email) && k.fingerprint == fingerprint)
    }

    /// Whether `email` is a member of `role`.
    pub fn is_member(&self, role: &str, email: &str) -> bool {
        self.roles
            .get(role)
            .is_some_and(|members| members.iter().any(|m| same_email(m, email)))
    }

    /// Whether `email` has any role or any trusted key.
    pub fn knows(&self, email: &str) -> bool {
        self.keys.iter().any(|k| same_email(&k.email, email))
            || self.roles.values().flatten().any(|m| same_email(m, email))
    }
}

/// Emails compare as mail systems treat them in practice: case does not matter.
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The email of a "Name <email>" identity (the whole text when it has no brackets).
pub fn email_of(identity: &str) -> &str {
    match (identity.rfind('<'), identity.rfind('>')) {
        (Some(open), Some(close)) if open < close => identity[open + 1..close].trim(),
        _ => identity.trim(),
    }
}

/// A change to trust or roles: the operation `trust add|rm`, `roles add|rm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum TrustChange {
    /// Trust a key for an email.
    AddKey {
        /// The key.
        key: TrustedKey,
    },
    /// Stop trusting an email's keys (all, or the one with this fingerprint).
    RemoveKey {
        /// Whose keys.
        email: String,
        /// Only this key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
        /// Who asks ("Name <email>").
        by: String,
    },
    /// Make an email a member of a role.
    AddMember {
        /// The role.
        role: String,
        /// The member.
        email: String,
        /// Who asks.
        by: String,
    },
    /// Remove an email from a role.
    RemoveMember {
        /// The role.
        role: String,
        /// The member.
        email: String,
        /// Who asks.
        by: String,
    },
}

impl TrustChange {
    /// Who asked for the change ("Name <email>").
    pub fn by(&self) -> &str {
        match self {
            TrustChange::AddKey { key } => &key.added_by,
            TrustChange::RemoveKey { by, .. }
            | TrustChange::AddMember { by, .. }
            | TrustChange::RemoveMember { by, .. } => by,
        }
    }
}

/// What the signature of an operation's commit shows, checked cryptographically (not
/// yet against the trust list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signer {
    /// The commit carries no signature.
    Unsigned,
    /// A signature that does not check out (wrong data, unknown format, no such key).
    Bad {
        /// Why.
        reason: String,
    },
    /// A good signature by this key.
    Key {
        /// The key's fingerprint (`SHA256:…` or OpenPGP hex).
        fingerprint: String,
    },
}

impl Signer {
    /// The fingerprint of a good signature.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Signer::Key { fingerprint } => Some(fingerprint),
            _ => None,
        }
    }
}

/// How a decision stands against the trust list, as `approval list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Signed by a key trusted for the deciding email, a member of the role.
    Verified,
    /// Signed, but not in a way the trust list accepts (or there is no trust list).
    Unverified,
    /// Not signed.
    Unsigned,
}

impl Verification {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Unverified => "unverified",
            Verification::Unsigned => "unsigned",
        }
    }
}

/// A decision kept in history that did not count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredDecision {
    /// The role it was made for.
    pub role: String,
    /// Approved or rejected.
    pub decision: super::Decision,
    /// Who it claims to be by ("Name <email>").
    pub decided_by: String,
    /// When (RFC 3339).
    pub decided_at: String,
    /// `unverified` or `unsigned`.
    pub verification: Verification,
    /// The signing key's fingerprint, when the signature was good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Why it did not count.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_read_from_identities() {
        assert_eq!(email_of("Alice A <alice@x>"), "alice@x");
        assert_eq!(email_of("bob@x"), "bob@x");
        assert_eq!(email_of("odd > <b@x>"), "b@x");
        assert!(same_email("Alice@X", "alice@x"));
    }

    #[test]
    fn trust_change_round_trips_with_its_tag() {
        let change = TrustChange::AddMember {
            role: "lead".into(),
            email: "b@x".into(),
            by: "A <a@x>".into(),
        };
        let text = serde_json::to_string(&change).unwrap();
        assert!(text.contains("\"change\":\"add_member\""), "{text}");
        assert_eq!(serde_json::from_str::<TrustChange>(&text).unwrap(), change);
    }
}
