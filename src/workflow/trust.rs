//! Who may decide, and who may change who may decide: pure rules over the trust list
//! as it is at one point of history and what the operation's signature shows. The
//! store reads both and passes them in.

use crate::model::{
    trust::{email_of, same_email, OWNER},
    Decision, Event, EventKind, IgnoredDecision, MilestoneFiles, Op, Signer, TrustChange,
    TrustList, Verification,
};

use super::{phases::gate_name, Applied, Rejection};

/// What the trust list makes of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Whether it opens or blocks the gate.
    pub counts: bool,
    /// How it shows.
    pub verification: Verification,
    /// The fingerprint of the key that signed it.
    pub key: Option<String>,
    /// Why it does not count.
    pub reason: Option<String>,
}

/// Whether a decision for `role` by `by` ("Name <email>"), signed as `signer`, counts.
/// Without a trust list every decision counts, as before keys existed. With one, it
/// counts only when signed by a key trusted for the deciding email and that email is
/// a member of the role (for a gate open to anyone: has a trusted key).
pub fn decision_authority(
    trust: Option<&TrustList>,
    signer: &Signer,
    by: &str,
    role: &str,
    open_to_anyone: bool,
) -> Authority {
    let key = signer.fingerprint().map(str::to_string);
    let shown = match signer {
        Signer::Unsigned => Verification::Unsigned,
        _ => Verification::Unverified,
    };
    let Some(trust) = trust else {
        return Authority {
            counts: true,
            verification: shown,
            key,
            reason: None,
        };
    };
    let email = email_of(by);
    let refused = |reason: String| Authority {
        counts: false,
        verification: shown,
        key: key.clone(),
        reason: Some(reason),
    };
    let fingerprint = match signer {
        Signer::Unsigned => return refused(format!("not signed by a key of {email}")),
        Signer::Bad { reason } => return refused(format!("bad signature: {reason}")),
        Signer::Key { fingerprint } => fingerprint,
    };
    if !trust.trusts(email, fingerprint) {
        return refused(format!("not signed by a key of {email}"));
    }
    if !open_to_anyone && !trust.is_member(role, email) {
        return refused(format!("{email} is not a member of role {role}"));
    }
    Authority {
        counts: true,
        verification: Verification::Verified,
        key,
        reason: None,
    }
}

/// Whether `change`, asked by its `by` and signed as `signer`, may be made to
/// `trust`. The first key ever added starts the list: whoever adds it becomes its
/// owner, so it must be their own. After that only a signed owner may change it.
pub fn may_change_trust(
    trust: Option<&TrustList>,
    change: &TrustChange,
    signer: &Signer,
) -> Result<(), String> {
    let email = email_of(change.by());
    let Some(trust) = trust else {
        return match change {
            TrustChange::AddKey { key } if same_email(&key.email, email) => Ok(()),
            TrustChange::AddKey { .. } => Err(format!(
                "the first trusted key starts the trust list and makes its adder the owner, so it must be the adder's own ({email})"
            )),
            _ => Err("there is no trust list yet; the first `trust add` starts it".into()),
        };
    };
    let fingerprint = match signer {
        Signer::Key { fingerprint } => fingerprint,
        Signer::Unsigned => return Err(format!("not signed by a key of {email}")),
        Signer::Bad { reason } => return Err(format!("bad signature: {reason}")),
    };
    if !trust.trusts(email, fingerprint) {
        return Err(format!("not signed by a key of {email}"));
    }
    if !trust.is_member(OWNER, email) {
        return Err(format!("{email} is not an {OWNER}"));
    }
    Ok(())
}

/// Applies an allowed `change`: the new list and its event. A removal that would
/// leave no owner with a trusted key is refused: nobody could change trust again.
pub fn change_trust(
    trust: Option<&TrustList>,
    change: &TrustChange,
) -> Result<(TrustList, Event, String), Rejection> {
    let mut next = trust.cloned().unwrap_or_default();
    let (data, summary) = match change {
        TrustChange::AddKey { key } => {
            if trust.is_none() {
                next.roles
                    .entry(OWNER.to_string())
                    .or_default()
                    .insert(key.email.clone());
            }
            if !next.trusts(&key.email, &key.fingerprint) {
                next.keys.push(key.clone());
            }
            (
                changed("add_key", None, &key.email, Some(&key.fingerprint)),
                format!("trust: add key {} of {}", key.fingerprint, key.email),
            )
        }
        TrustChange::RemoveKey {
            email, fingerprint, ..
        } => remove_key(&mut next, email, fingerprint.as_deref())?,
        TrustChange::AddMember { role, email, .. } => {
            next.roles
                .entry(role.clone())
                .or_default()
                .insert(email.clone());
            (
                changed("add_member", Some(role), email, None),
                format!("roles: add {email} to {role}"),
            )
        }
        TrustChange::RemoveMember { role, email, .. } => remove_member(&mut next, role, email)?,
    };
    let owner_can_sign = next.roles.get(OWNER).is_some_and(|owners| {
        owners
            .iter()
            .any(|o| next.keys.iter().any(|k| same_email(&k.email, o)))
    });
    if !owner_can_sign {
        return Err(Rejection::Invalid(
            "this would leave no owner with a trusted key, and nobody could change trust again"
                .into(),
        ));
    }
    let event = Event {
        milestone_id: None,
        ..Event::of("", data)
    };
    Ok((next, event, summary))
}

/// `trust rm`: the email's keys, or the one with `fingerprint`.
fn remove_key(
    next: &mut TrustList,
    email: &str,
    fingerprint: Option<&str>,
) -> Result<(EventKind, String), Rejection> {
    let before = next.keys.len();
    next.keys.retain(|k| {
        !(same_email(&k.email, email) && fingerprint.is_none_or(|f| k.fingerprint == f))
    });
    if next.keys.len() == before {
        let which = fingerprint
            .map(|f| format!(" with fingerprint {f}"))
            .unwrap_or_default();
        return Err(Rejection::Invalid(format!(
            "no trusted key of {email}{which} to remove"
        )));
    }
    Ok((
        changed("remove_key", None, email, fingerprint),
        format!("trust: remove key(s) of {email}"),
    ))
}

/// `roles rm`: a role without members is gone.
fn remove_member(
    next: &mut TrustList,
    role: &str,
    email: &str,
) -> Result<(EventKind, String), Rejection> {
    let members = next.roles.entry(role.to_string()).or_default();
    let before = members.len();
    members.retain(|m| !same_email(m, email));
    if members.len() == before {
        return Err(Rejection::Invalid(format!(
            "{email} is not a member of role {role}"
        )));
    }
    if members.is_empty() {
        next.roles.remove(role);
    }
    Ok((
        changed("remove_member", Some(role), email, None),
        format!("roles: remove {email} from {role}"),
    ))
}

fn changed(change: &str, role: Option<&str>, email: &str, fingerprint: Option<&str>) -> EventKind {
    EventKind::TrustChanged {
        change: change.to_string(),
        role: role.map(str::to_string),
        email: email.to_string(),
        fingerprint: fingerprint.map(str::to_string),
    }
}

/// A decision under the trust list: refused when its gate forbids self-approval and
/// `by` asked for the request; otherwise applied with `rule` when it counts (and its
/// verification recorded on the approver), or kept as an ignored decision when not.
pub fn apply_decision(
    current: Option<MilestoneFiles>,
    op: &Op,
    trust: Option<&TrustList>,
    signer: &Signer,
    at: &str,
    rule: impl FnOnce(Option<MilestoneFiles>) -> Result<Applied, Rejection>,
) -> Result<Applied, Rejection> {
    let Op::DecideApproval {
        milestone,
        approval,
        role,
        by,
        ..
    } = op
    else {
        return rule(current);
    };
    let Some(request) = current
        .as_ref()
        .and_then(|f| f.approvals.as_ref())
        .and_then(|a| a.get(approval))
        .cloned()
    else {
        return rule(current);
    };
    if let Some(files) = &current {
        check_self_approval(files, &request, by)?;
    }
    let authority = decision_authority(trust, signer, by, role, request.open_to_anyone);
    if !authority.counts && matches!(op, Op::DecideApproval { renew: true, .. }) {
        // A renewal that would not count is refused: the granted request keeps the
        // decision that did.
        return Err(Rejection::Invalid(format!(
            "{} may not renew {approval} as {role}: {}",
            email_of(by),
            authority.reason.unwrap_or_default()
        )));
    }
    if !authority.counts {
        let files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
        return ignore_decision(files, op, &request, authority, at);
    }
    let mut applied = rule(current)?;
    // Without a trust list an unsigned decision is stored as decisions always were.
    if trust.is_none() && authority.key.is_none() {
        return Ok(applied);
    }
    if let Some(stored) = applied
        .files
        .as_mut()
        .and_then(|f| f.approvals.as_mut())
        .and_then(|a| a.get_mut(approval))
    {
        let decided = stored
            .approvers
            .iter_mut()
            .rev()
            .find(|a| &a.role == role && a.decided_by.as_deref() == Some(by.as_str()));
        if let Some(approver) = decided {
            approver.verification = Some(authority.verification);
            approver.key = authority.key;
        }
    }
    Ok(applied)
}

/// `self_approval: false` on the request's gate: its requester may not decide it.
fn check_self_approval(
    files: &MilestoneFiles,
    request: &crate::model::ApprovalRequest,
    by: &str,
) -> Result<(), Rejection> {
    let gate = files.definition.kiro_configuration.as_ref().and_then(|c| {
        c.approval_gates
            .get(&gate_name(request.from_phase, request.to_phase))
    });
    let forbidden = gate
        .and_then(|g| g.extra.get("self_approval"))
        .and_then(|v| v.as_bool())
        == Some(false);
    let requester = request.requested_by.as_deref().map(email_of);
    if forbidden && requester.is_some_and(|r| same_email(r, email_of(by))) {
        return Err(Rejection::Invalid(format!(
            "{} asked for {}, and its gate {} has self_approval: false: someone else must decide",
            email_of(by),
            request.id,
            gate_name(request.from_phase, request.to_phase)
        )));
    }
    Ok(())
}

/// Keeps a decision that does not count beside the request, with why; the gate does
/// not move.
fn ignore_decision(
    mut files: MilestoneFiles,
    op: &Op,
    request: &crate::model::ApprovalRequest,
    authority: Authority,
    at: &str,
) -> Result<Applied, Rejection> {
    let Op::DecideApproval {
        milestone,
        approval,
        role,
        decision,
        by,
        ..
    } = op
    else {
        return Err(Rejection::Invalid("not a decision".into()));
    };
    if *decision == Decision::Pending {
        return Err(Rejection::Invalid("a decision is approve or reject".into()));
    }
    if request.status != Decision::Pending {
        return Err(Rejection::Invalid(format!(
            "approval {approval} was already {}",
            request.status.as_str()
        )));
    }
    let reason = authority.reason.unwrap_or_default();
    let summary = format!(
        "{milestone}: {role} {} {approval} (not counted: {reason})",
        decision.as_str()
    );
    let ignored = IgnoredDecision {
        role: role.clone(),
        decision: *decision,
        decided_by: by.clone(),
        decided_at: at.to_string(),
        verification: authority.verification,
        key: authority.key.clone(),
        reason: reason.clone(),
    };
    if let Some(stored) = files.approvals.as_mut().and_then(|a| a.get_mut(approval)) {
        stored.ignored.push(ignored);
    }
    let event = Event::of(
        milestone.as_str(),
        EventKind::KiroApprovalIgnored {
            approval_id: approval.clone(),
            task_id: request.task_id.clone(),
            role: role.clone(),
            decision: *decision,
            decided_by: by.clone(),
            verification: authority.verification,
            key: authority.key,
            reason,
        },
    );
    Ok(Applied {
        files: Some(files),
        events: vec![event],
        summary,
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrustedKey;

    fn key(email: &str, fingerprint: &str) -> TrustedKey {
        TrustedKey {
            email: email.into(),
            key: format!("ssh-ed25519 {fingerprint}"),
            fingerprint: fingerprint.into(),
            added_by: format!("X <{email}>"),
            added_at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    fn signed(fingerprint: &str) -> Signer {
        Signer::Key {
            fingerprint: fingerprint.into(),
        }
    }

    /// Alice owns, Bob is a dev, Carol is a lead.
    fn team() -> TrustList {
        let mut trust = TrustList {
            keys: vec![key("alice@x", "A"), key("bob@x", "B"), key("carol@x", "C")],
            ..Default::default()
        };
        for (role, email) in [("owner", "alice@x"), ("dev", "bob@x"), ("lead", "carol@x")] {
            trust
                .roles
                .entry(role.into())
                .or_default()
                .insert(email.into());
        }
        trust
    }

    #[test]
    fn who_may_decide() {
        let trust = team();
        // (signer, by, role, open to anyone) → counts, shown as, reason
        let cases: &[(Signer, &str, &str, bool, bool, Verification, &str)] = &[
            (
                signed("C"),
                "Carol <carol@x>",
                "lead",
                false,
                true,
                Verification::Verified,
                "",
            ),
            (
                signed("B"),
                "Bob <bob@x>",
                "lead",
                false,
                false,
                Verification::Unverified,
                "bob@x is not a member of role lead",
            ),
            (
                signed("B"),
                "Alice <alice@x>",
                "owner",
                false,
                false,
                Verification::Unverified,
                "not signed by a key of alice@x",
            ),
            (
                Signer::Unsigned,
                "Carol <carol@x>",
                "lead",
                false,
                false,
                Verification::Unsigned,
                "not signed by a key of carol@x",
            ),
            (
                Signer::Bad {
                    reason: "no".into(),
                },
                "Carol <carol@x>",
                "lead",
                false,
                false,
                Verification::Unverified,
                "bad signature: no",
            ),
            (
                signed("B"),
                "Bob <BOB@x>",
                "anyone",
                true,
                true,
                Verification::Verified,
                "",
            ),
            (
                signed("Z"),
                "Zed <z@x>",
                "anyone",
                true,
                false,
                Verification::Unverified,
                "not signed by a key of z@x",
            ),
        ];
        for (signer, by, role, open, counts, shown, reason) in cases {
            let a = decision_authority(Some(&trust), signer, by, role, *open);
            assert_eq!(
                (a.counts, a.verification),
                (*counts, *shown),
                "{by} as {role}"
            );
            assert_eq!(a.reason.as_deref().unwrap_or(""), *reason, "{by} as {role}");
        }
    }

    #[test]
    fn without_a_trust_list_every_decision_counts() {
        let unsigned = decision_authority(None, &Signer::Unsigned, "B <b@x>", "lead", false);
        assert!(unsigned.counts);
        assert_eq!(unsigned.verification, Verification::Unsigned);
        let signed = decision_authority(None, &signed("B"), "B <b@x>", "lead", false);
        assert_eq!(
            (signed.counts, signed.verification),
            (true, Verification::Unverified)
        );
        assert_eq!(signed.key.as_deref(), Some("B"));
    }

    #[test]
    fn the_first_key_bootstraps_its_adder_as_owner_then_only_signed_owners_change_trust() {
        let first = TrustChange::AddKey {
            key: key("alice@x", "A"),
        };
        assert_eq!(may_change_trust(None, &first, &Signer::Unsigned), Ok(()));
        let (trust, event, _) = change_trust(None, &first).unwrap();
        assert!(trust.is_member(OWNER, "alice@x"));
        assert_eq!(event.event_type, "trust_changed");
        let for_someone_else = TrustChange::AddKey {
            key: TrustedKey {
                added_by: "Bob <bob@x>".into(),
                ..key("alice@x", "A")
            },
        };
        assert!(may_change_trust(None, &for_someone_else, &Signer::Unsigned).is_err());
        let add_bob = TrustChange::AddMember {
            role: "lead".into(),
            email: "bob@x".into(),
            by: "Bob <bob@x>".into(),
        };
        let team = team();
        assert_eq!(
            may_change_trust(Some(&team), &add_bob, &signed("B")),
            Err("bob@x is not an owner".into())
        );
        let by_alice = TrustChange::AddMember {
            role: "lead".into(),
            email: "bob@x".into(),
            by: "Alice <alice@x>".into(),
        };
        assert_eq!(
            may_change_trust(Some(&team), &by_alice, &signed("A")),
            Ok(())
        );
        assert!(may_change_trust(Some(&team), &by_alice, &Signer::Unsigned).is_err());
        assert!(may_change_trust(Some(&team), &by_alice, &signed("B")).is_err());
    }

    proptest::proptest! {
        /// Over any team and any signature: a decision counts exactly when there is no
        /// trust list, or it is signed by a key trusted for the decider who may decide
        /// for the role; and a decision that counts under a list is shown verified.
        #[test]
        fn a_decision_counts_only_with_a_trusted_key_of_a_member(
            keys in proptest::collection::vec((0..4u8, 0..4u8), 0..6),
            members in proptest::collection::vec((0..2u8, 0..4u8), 0..6),
            signer in proptest::option::of(0..4u8),
            decider in 0..4u8,
            role in 0..2u8,
            open: bool,
            listed: bool,
        ) {
            let email = |n: u8| format!("p{n}@x");
            let mut trust = TrustList {
                keys: keys.iter().map(|(who, fp)| key(&email(*who), &format!("K{fp}"))).collect(),
                ..Default::default()
            };
            for (r, who) in &members {
                trust.roles.entry(format!("r{r}")).or_default().insert(email(*who));
            }
            let signer = signer.map_or(Signer::Unsigned, |fp| signed(&format!("K{fp}")));
            let by = format!("P <{}>", email(decider));
            let role = format!("r{role}");
            let list = listed.then_some(&trust);
            let a = decision_authority(list, &signer, &by, &role, open);
            let allowed = match list {
                None => true,
                Some(t) => signer.fingerprint().is_some_and(|fp| t.trusts(&email(decider), fp))
                    && (open || t.is_member(&role, &email(decider))),
            };
            proptest::prop_assert_eq!(a.counts, allowed);
            proptest::prop_assert_eq!(a.reason.is_none(), allowed);
            if listed && allowed {
                proptest::prop_assert_eq!(a.verification, Verification::Verified);
            }
        }
    }

    #[test]
    fn the_last_owner_key_cannot_be_removed() {
        let remove = TrustChange::RemoveKey {
            email: "alice@x".into(),
            fingerprint: None,
            by: "Alice <alice@x>".into(),
        };
        assert!(change_trust(Some(&team()), &remove).is_err());
        let remove_carol = TrustChange::RemoveKey {
            email: "carol@x".into(),
            fingerprint: Some("C".into()),
            by: "Alice <alice@x>".into(),
        };
        let (trust, _, _) = change_trust(Some(&team()), &remove_carol).unwrap();
        assert!(!trust.trusts("carol@x", "C"));
        assert!(trust.is_member("lead", "carol@x"));
    }
}
