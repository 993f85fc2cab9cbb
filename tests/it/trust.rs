//! Signed operations, trust and roles, with real keys made in temporary folders:
//! ed25519 ssh keys (`ssh-keygen`, one case through an `ssh-agent` the test starts),
//! an OpenPGP key (`gpg --quick-gen-key` in a temporary GNUPGHOME), clones that sync
//! through a bare remote, and a `pre-receive` guard on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::*;

/// A milestone whose design → spec and spec → task gates need the `lead` role.
const GATED: &str = "\
id: m
title: Signed
kiro_configuration:
  approval_gates:
    design_to_spec: {approvers: [lead]}
    spec_to_task: {approvers: [lead]}
tasks: []
";

/// A teammate: a clone of the shared remote, an ssh key, git set to sign with it.
struct Person {
    repo: TestRepo,
    name: &'static str,
    email: &'static str,
    public_key: PathBuf,
}

impl Person {
    fn new(remote: &Path, name: &'static str, email: &'static str) -> Person {
        let repo = TestRepo::clone_of(remote.to_str().unwrap());
        let key = repo.root().join(format!("{name}-key"));
        ssh_keygen(&key, email);
        repo.git(["config", "gpg.format", "ssh"]);
        repo.git(["config", "user.signingKey", key.to_str().unwrap()]);
        repo.git(["config", "milestone.sign", "true"]);
        Person {
            public_key: key.with_extension("pub"),
            repo,
            name,
            email,
        }
    }

    /// The binary as this person (or claiming `email`).
    fn run_as(&self, email: &str, args: &[&str]) -> Output {
        let mut cmd = self.repo.cmd();
        for who in ["AUTHOR", "COMMITTER"] {
            cmd.env(format!("GIT_{who}_NAME"), self.name)
                .env(format!("GIT_{who}_EMAIL"), email);
        }
        output_of(cmd.args(args), None)
    }

    fn ok(&self, args: &[&str]) -> String {
        expect_ok(
            &self.run_as(self.email, args),
            &format!("{} {args:?}", self.name),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).expect("JSON")
    }

    fn approval(&self, id: &str) -> Value {
        let list = self.json(&["approval", "list"]);
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no request {id} in {list}"))
    }

    /// Pushes the local ref as it is with plain git, as someone bypassing the tool would.
    fn push_raw(&self) -> Output {
        output_of(
            self.repo
                .git_cmd()
                .args(["push", "origin", "+refs/milestones:refs/meta/milestones"]),
            None,
        )
    }
}

fn ssh_keygen(path: &Path, comment: &str) {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs (openssh-client is installed by .ci/run)");
    assert!(output.status.success(), "{}", describe(&output));
}

/// The id of the only pending request of task `t`.
fn pending(person: &Person) -> String {
    let list = person.json(&["approval", "list", "--pending"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{list}");
    ids[0].to_string()
}

/// Alice starts the trust list with her key, trusts Bob's and Carol's, makes Bob a
/// `dev` and Carol a `lead`, and shares it all.
fn team() -> (TestRepo, Person, Person, Person) {
    let remote = TestRepo::bare();
    let alice = Person::new(&remote.path, "Alice", "alice@x");
    let bob = Person::new(&remote.path, "Bob", "bob@x");
    let carol = Person::new(&remote.path, "Carol", "carol@x");
    let yaml = alice.repo.write_file("m.yaml", GATED);
    alice.ok(&["init"]);
    alice.ok(&["import", yaml.to_str().unwrap()]);
    alice.ok(&["task", "add", "m", "t", "--kiro"]);
    let started = alice.ok(&[
        "trust",
        "add",
        "alice@x",
        "--key",
        alice.public_key.to_str().unwrap(),
    ]);
    assert!(started.contains("alice@x is its owner"), "{started}");
    for person in [&bob, &carol] {
        alice.ok(&[
            "trust",
            "add",
            person.email,
            "--key",
            person.public_key.to_str().unwrap(),
        ]);
    }
    alice.ok(&["roles", "add", "dev", "bob@x"]);
    alice.ok(&["roles", "add", "lead", "carol@x"]);
    alice.ok(&["sync"]);
    bob.ok(&["sync"]);
    carol.ok(&["sync"]);
    (remote, alice, bob, carol)
}

#[test]
fn only_signed_decisions_of_role_members_count_in_every_clone() {
    let (remote, alice, bob, carol) = team();
    let roles = alice.json(&["roles", "list"]);
    assert_eq!(
        roles[1],
        serde_json::json!({"role": "lead", "members": ["carol@x"]})
    );
    let trusted = carol.json(&["trust", "list"]);
    assert_eq!(trusted.as_array().unwrap().len(), 3, "{trusted}");
    assert!(trusted[0]["fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("SHA256:"));

    bob.ok(&["phase", "set", "m", "t", "design", "completed"]);
    bob.ok(&["phase", "advance", "m", "t"]);
    let first = pending(&bob);
    // Bob signs as himself, but lead is not his role.
    let said = bob.ok(&["approval", "approve", &first, "--role", "lead"]);
    assert!(said.contains("does not count"), "{said}");
    // Bob claims to be Alice and signs with his own key.
    expect_ok(
        &bob.run_as(
            "alice@x",
            &["approval", "approve", &first, "--role", "lead"],
        ),
        "as alice",
    );
    let request = bob.approval(&first);
    assert_eq!(request["status"], "pending");
    assert_eq!(request["approvers"][0]["status"], "pending");
    let reasons: Vec<&str> = request["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "bob@x is not a member of role lead",
            "not signed by a key of alice@x"
        ]
    );
    assert_eq!(request["ignored"][0]["verification"], "unverified");
    let shown = bob.ok(&["approval", "show", &first]);
    assert!(
        shown.contains("Not counted:") && shown.contains("bob@x is not a member of role lead"),
        "{shown}"
    );

    // A decision made with git plumbing: the message of Carol's decision, the tree of
    // an approved request, no signature.
    let path = format!("milestones/m/approvals/{first}.yaml");
    let approved = bob
        .repo
        .git(["show", &format!("refs/milestones:{path}")])
        .replacen("status: pending", "status: approved", 2);
    let message = format!(
        "m: lead approved {first}\n\n{}",
        serde_json::json!({"v": 1, "lamport": 99, "at": "2026-12-05T10:00:00.000Z", "session": null,
            "op": {"type": "decide_approval", "milestone": "m", "approval": first, "role": "lead",
                   "decision": "approved", "by": "Carol <carol@x>"}, "events": []})
    );
    let forged = bob
        .repo
        .commit_with_plumbing(&[(&path, &approved)], &message);
    let verify = bob.run_as("bob@x", &["verify"]);
    let text = expect_failure(&verify, 1, "verify of a forged decision");
    let listed = stdout(&verify);
    assert!(listed.contains(&forged[..12]), "{listed}{text}");
    assert!(
        listed.contains("not signed by a key of carol@x"),
        "{listed}"
    );
    assert!(expect_ok(&bob.push_raw(), "plain push").is_empty());

    // Alice takes none of it: the fetched history is replayed under the trust list.
    let synced = alice.json(&["sync"]);
    assert_eq!(synced["merged"], true, "{synced}");
    let ignored: Vec<&str> = synced["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert!(
        ignored.iter().any(|r| r.contains(&format!(
            "decision on {first} by carol@x, not signed by a key of carol@x"
        ))),
        "{ignored:?}"
    );
    assert!(
        ignored.iter().any(|r| r.contains(&format!(
            "decision on {first} by bob@x, bob@x is not a member of role lead"
        ))),
        "{ignored:?}"
    );
    assert_eq!(alice.approval(&first)["status"], "pending");

    // Carol decides as the lead she is: it counts, verified, with her key.
    carol.ok(&["sync"]);
    assert_eq!(carol.approval(&first)["status"], "pending");
    carol.ok(&["approval", "approve", &first, "--role", "lead"]);
    let decided = carol.approval(&first);
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["approvers"][0]["verification"], "verified");
    let shown = carol.ok(&["approval", "show", &first]);
    assert!(shown.contains("[verified SHA256:"), "{shown}");
    assert_eq!(
        decided["approvers"][0]["key"],
        alice.json(&["trust", "list"])[2]["fingerprint"]
    );
    carol.ok(&["sync"]);

    // Carol leaves the trust list: her decision stands, a new one does not count.
    alice.ok(&["sync"]);
    alice.ok(&["trust", "rm", "carol@x"]);
    alice.ok(&["sync"]);
    carol.ok(&["sync"]);
    carol.ok(&["phase", "set", "m", "t", "spec", "completed"]);
    carol.ok(&["phase", "advance", "m", "t"]);
    let second = pending(&carol);
    carol.ok(&["approval", "approve", &second, "--role", "lead"]);
    assert_eq!(carol.approval(&second)["status"], "pending");
    assert_eq!(
        carol.approval(&second)["ignored"][0]["reason"],
        "not signed by a key of carol@x"
    );
    assert_eq!(carol.approval(&first)["status"], "approved");
    carol.ok(&["sync"]);

    // Bob may not change roles: his tool refuses, and a forged change is ignored.
    bob.ok(&["sync"]);
    let refused = expect_failure(
        &bob.run_as("bob@x", &["roles", "add", "lead", "bob@x"]),
        1,
        "roles add by bob",
    );
    assert!(refused.contains("bob@x is not an owner"), "{refused}");
    let trust = bob
        .repo
        .git(["show", "refs/milestones:trust.yaml"])
        .replace("  lead:\n  - carol@x", "  lead:\n  - bob@x\n  - carol@x");
    assert!(trust.contains("bob@x\n  - carol@x"), "{trust}");
    let message = format!(
        "roles: add bob@x to lead\n\n{}",
        serde_json::json!({"v": 1, "lamport": 500, "at": "2026-12-05T11:00:00.000Z", "session": null,
            "op": {"type": "trust", "change": "add_member", "role": "lead", "email": "bob@x", "by": "Bob <bob@x>"}, "events": []})
    );
    bob.repo
        .commit_with_plumbing(&[("trust.yaml", &trust)], &message);
    expect_ok(&bob.push_raw(), "plain push");
    for person in [&alice, &carol, &bob] {
        let said = person.ok(&["sync"]);
        let lead = person
            .json(&["roles", "list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["role"] == "lead")
            .cloned();
        assert_eq!(
            lead.unwrap()["members"],
            serde_json::json!(["carol@x"]),
            "{}: {said}",
            person.name
        );
    }
    alice.ok(&["sync"]);
    let tips: Vec<String> = [&alice, &bob, &carol]
        .iter()
        .map(|p| p.repo.tip().unwrap())
        .collect();
    assert!(
        tips.windows(2).all(|w| w[0] == w[1]),
        "every clone on one tip: {tips:?}"
    );

    // The server guard: Bob's forged push is refused with the reason, Alice's goes in.
    let installed = expect_ok(
        &remote.run(["hooks", "install", "--server"]),
        "hooks install --server",
    );
    assert!(installed.contains("pre-receive"), "{installed}");
    // A decision that does not count goes in: it is kept, visibly, with no effect.
    bob.ok(&["approval", "approve", &second, "--role", "lead"]);
    assert_eq!(bob.json(&["sync"])["pushed"], true);
    let verify = bob.run_as("bob@x", &["verify", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&verify)).unwrap();
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["forged"] == false
                && p["reason"]
                    .as_str()
                    .unwrap()
                    .contains("bob@x is not a member")),
        "{report}"
    );
    bob.repo
        .commit_with_plumbing(&[("trust.yaml", &trust)], &message);
    let pushed = bob.push_raw();
    let said = expect_failure(&pushed, 1, "a forged push");
    assert!(
        said.contains("refused") && said.contains("trust change by bob@x"),
        "{said}"
    );
    alice.ok(&["event", "add", "m", "reviewed"]);
    let synced = alice.json(&["sync"]);
    assert_eq!(synced["pushed"], true, "{synced}");
}

#[test]
fn git_verify_commit_accepts_an_operation_signed_with_ssh() {
    let repo = TestRepo::new();
    let key = repo.root().join("key");
    ssh_keygen(&key, "me");
    repo.git(["config", "gpg.format", "ssh"]);
    repo.git(["config", "user.signingKey", key.to_str().unwrap()]);
    repo.git(["config", "milestone.sign", "true"]);
    repo.ok(["new", "m"]);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = repo.write_file("allowed_signers", &format!("{COMMITTER_EMAIL} {public}"));
    repo.git([
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    let output = output_of(
        repo.git_cmd().args(["verify-commit", "refs/milestones"]),
        None,
    );
    let said = expect_ok(&output, "git verify-commit") + &stderr(&output);
    assert!(said.contains("Good \"git\" signature"), "{said}");
    // `init` was made before signing was on: --strict names it, and only it.
    let strict = repo.run(["verify", "--strict", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&strict)).unwrap();
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(report["checked"], 2);
    assert_eq!(report["problems"][0]["reason"], "not signed");
    expect_ok(
        &repo.run(["verify", "refs/milestones~1..refs/milestones", "--strict"]),
        "verify of the signed one",
    );
    // The events mark the signed operation.
    let events = repo.ok(["events"]);
    assert!(
        events
            .lines()
            .any(|l| l.contains("milestone_created") && l.contains(" G ")),
        "{events}"
    );
}

#[test]
fn a_signing_failure_writes_nothing() {
    let repo = TestRepo::new();
    repo.ok(["new", "m"]);
    repo.git(["config", "gpg.format", "ssh"]);
    repo.git([
        "config",
        "user.signingKey",
        repo.root().join("missing").to_str().unwrap(),
    ]);
    repo.git(["config", "commit.gpgSign", "true"]);
    let err = repo.fails(["event", "add", "m", "note"], 1);
    assert!(
        err.contains("signing with `ssh-keygen` failed")
            && err.contains("hint: nothing was written"),
        "{err}"
    );
    // milestone.sign=false wins over commit.gpgSign.
    repo.git(["config", "milestone.sign", "false"]);
    repo.ok(["event", "add", "m", "note"]);
}

/// The agent a test started, stopped (by its pid) when the test ends, however it ends.
struct Agent(String);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("ssh-agent")
            .arg("-k")
            .env("SSH_AGENT_PID", &self.0)
            .output();
    }
}

#[test]
fn signing_through_an_ssh_agent_with_a_literal_key() {
    let repo = TestRepo::new();
    let key = repo.root().join("agent-key");
    ssh_keygen(&key, "agent");
    let socket = repo.root().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-a")
        .arg(&socket)
        .output()
        .expect("ssh-agent runs");
    assert!(agent.status.success(), "{}", describe(&agent));
    let pid = String::from_utf8_lossy(&agent.stdout)
        .split("SSH_AGENT_PID=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the agent's pid")
        .to_string();
    let _agent = Agent(pid);
    let socket = socket.to_str().unwrap();
    let added = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", socket)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", describe(&added));
    // Only the agent has the private key now.
    std::fs::remove_file(&key).unwrap();
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    repo.git(["config", "gpg.format", "ssh"]);
    repo.git([
        "config",
        "user.signingKey",
        &format!("key::{}", public.trim()),
    ]);
    repo.git(["config", "milestone.sign", "true"]);
    let env = [("SSH_AUTH_SOCK", socket)];
    let key_file = key.with_extension("pub");
    let output = repo.run_env(
        &env,
        [
            "trust",
            "add",
            COMMITTER_EMAIL,
            "--key",
            key_file.to_str().unwrap(),
        ],
    );
    expect_ok(&output, "trust add through the agent");
    expect_ok(
        &repo.run(["verify", "refs/milestones~1..refs/milestones", "--strict"]),
        "verify --strict",
    );
}

#[test]
fn an_openpgp_signed_decision_is_verified() {
    let repo = TestRepo::new();
    let gnupg = repo.sibling_dir("gnupg");
    let gnupg = gnupg.to_str().unwrap();
    let gpg = |args: &[&str]| {
        let output = Command::new("gpg")
            .env("GNUPGHOME", gnupg)
            .arg("--batch")
            .args(args)
            .output()
            .expect("gpg runs (installed by .ci/run)");
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        &format!("Tester <{COMMITTER_EMAIL}>"),
        "ed25519",
        "sign",
        "never",
    ]);
    let armored = repo.write_file("me.asc", &gpg(&["--armor", "--export", COMMITTER_EMAIL]));
    repo.git(["config", "milestone.sign", "true"]);
    let env = [("GNUPGHOME", gnupg)];
    let ok = |args: &[&str]| expect_ok(&repo.run_env(&env, args), &format!("{args:?}"));
    ok(&[
        "trust",
        "add",
        COMMITTER_EMAIL,
        "--key",
        armored.to_str().unwrap(),
    ]);
    ok(&["roles", "add", "lead", COMMITTER_EMAIL]);
    let yaml = repo.write_file("m.yaml", GATED);
    ok(&["import", yaml.to_str().unwrap()]);
    ok(&["task", "add", "m", "t", "--kiro"]);
    ok(&["phase", "set", "m", "t", "design", "completed"]);
    ok(&["phase", "advance", "m", "t"]);
    let list: Value = serde_json::from_str(&ok(&["approval", "list", "--json"])).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    ok(&["approval", "approve", &id, "--role", "lead"]);
    let list: Value = serde_json::from_str(&ok(&["approval", "list", "--json"])).unwrap();
    assert_eq!(list[0]["status"], "approved", "{list}");
    assert_eq!(list[0]["approvers"][0]["verification"], "verified");
    let trusted: Value = serde_json::from_str(&ok(&["trust", "list", "--json"])).unwrap();
    assert_eq!(list[0]["approvers"][0]["key"], trusted[0]["fingerprint"]);
    // The report's approval trail says so too.
    let site = repo.sibling_dir("report");
    ok(&["report", "--out", site.to_str().unwrap(), "m"]);
    let page = std::fs::read_to_string(site.join("milestone-m.html")).unwrap();
    assert!(page.contains("<td>verified</td>"), "{page}");
    // events marks the operations signed with the trusted OpenPGP key.
    let events = ok(&["events", "m"]);
    assert!(
        events.lines().all(|l| l.split(' ').nth(1) == Some("G")),
        "{events}"
    );
    // verify checks it with gpg, against the trusted key alone.
    ok(&["verify", "refs/milestones~6..refs/milestones", "--strict"]);
    let output = output_of(
        repo.git_cmd()
            .env("GNUPGHOME", gnupg)
            .args(["verify-commit", "refs/milestones"]),
        None,
    );
    expect_ok(&output, "git verify-commit");
}

#[test]
fn a_gate_may_refuse_self_approval() {
    let repo = TestRepo::new();
    let yaml = repo.write_file(
        "m.yaml",
        "id: m\nkiro_configuration:\n  approval_gates:\n    design_to_spec: {approvers: [lead], self_approval: false}\ntasks: []\n",
    );
    repo.ok(["import", yaml.to_str().unwrap()]);
    repo.ok(["task", "add", "m", "t", "--kiro"]);
    repo.ok(["phase", "set", "m", "t", "design", "completed"]);
    repo.ok(["phase", "advance", "m", "t"]);
    let id = repo.json(["approval", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let err = repo.fails(["approval", "approve", &id, "--role", "lead"], 1);
    assert!(err.contains("self_approval: false"), "{err}");
    let other = repo.run_env(
        &[("GIT_COMMITTER_EMAIL", "other@x")],
        ["approval", "approve", &id, "--role", "lead"],
    );
    expect_ok(&other, "approval by someone else");
    // Without a trust list every decision counts, shown as unsigned, and status says so.
    let list = repo.json(["approval", "list"]);
    assert_eq!(list[0]["approvers"][0]["verification"], "unsigned");
    assert!(repo
        .ok(["status", "m"])
        .contains("Approvals are unverified: no trust list"));
}

#[test]
fn trust_commands_refuse_bad_input_and_write_nothing() {
    let repo = TestRepo::new();
    let not_a_key = repo.write_file("nokey.pub", "hello\n");
    let err = repo.fails(
        [
            "trust",
            "add",
            COMMITTER_EMAIL,
            "--key",
            not_a_key.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("not an ssh public key"), "{err}");
    let key = repo.root().join("k");
    ssh_keygen(&key, "k");
    let public = key.with_extension("pub");
    let err = repo.fails(
        [
            "trust",
            "add",
            "not an email",
            "--key",
            public.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("is not an email address"), "{err}");
    let err = repo.fails(
        [
            "trust",
            "add",
            "someone@else",
            "--key",
            public.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("must be the adder's own"), "{err}");
    let err = repo.fails(["roles", "add", "lead", "b@x"], 1);
    assert!(err.contains("no trust list yet"), "{err}");
    assert!(repo.ok(["trust", "list"]).contains("No trust list"));
    let err = repo.fails(["hooks", "install", "--server"], 1);
    assert!(err.contains("is not a bare repository"), "{err}");
    let bare = TestRepo::bare();
    std::fs::write(bare.path.join("hooks/pre-receive"), "#!/bin/sh\nexit 0\n").unwrap();
    let refused = expect_failure(
        &bare.run(["hooks", "install", "--server"]),
        1,
        "over a foreign hook",
    );
    assert!(
        refused.contains("was not written by git-milestone"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(bare.path.join("hooks/pre-receive")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

/// A decision re-applied by a sync in rebase mode is signed again, with the key of
/// the clone that re-applies it (its maker's), and counts in every clone.
#[test]
fn a_signed_decision_re_applied_by_a_rebasing_sync_still_counts() {
    let (_remote, alice, bob, carol) = team();
    bob.ok(&["phase", "set", "m", "t", "design", "completed"]);
    bob.ok(&["phase", "advance", "m", "t"]);
    bob.ok(&["sync"]);
    carol.ok(&["sync"]);
    let request = pending(&carol);
    carol.ok(&["approval", "approve", &request, "--role", "lead"]);
    // Alice's work reaches the remote first.
    alice.ok(&["sync"]);
    alice.ok(&["event", "add", "m", "note"]);
    alice.ok(&["sync"]);
    let report = carol.json(&["sync", "--rebase"]);
    assert_eq!(report["rebased"], 1, "{report}");
    assert_eq!(report["ignored"], serde_json::json!([]), "{report}");
    expect_ok(
        &carol.run_as("carol@x", &["verify", "refs/milestones~1..refs/milestones"]),
        "the re-applied decision is signed by Carol's key",
    );
    for person in [&alice, &bob, &carol] {
        person.ok(&["sync"]);
        assert_eq!(
            person.approval(&request)["status"],
            "approved",
            "{}",
            person.name
        );
    }
}
