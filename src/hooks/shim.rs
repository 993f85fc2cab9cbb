//! The shim scripts of the top-level `hooks/` folder, embedded in the binary.

use std::path::Path;

use super::HookName;

/// The comment that starts a shim's second line: how install, uninstall and status tell
/// a shim from someone else's hook.
pub const MARKER: &str = "# git-milestone hook shim";

/// Replaced by the installing binary's path, shell-quoted.
const BINARY_PLACEHOLDER: &str = "@GIT_MILESTONE_BIN@";

/// The shim of `hook` as it is in the `hooks/` folder.
pub fn template(hook: HookName) -> &'static str {
    match hook {
        HookName::PostCommit => include_str!("../../hooks/post-commit"),
        HookName::PostMerge => include_str!("../../hooks/post-merge"),
        HookName::PostCheckout => include_str!("../../hooks/post-checkout"),
        HookName::PostRewrite => include_str!("../../hooks/post-rewrite"),
    }
}

/// The shim of `hook` that calls `binary` (the absolute path, so that git does not
/// search PATH for `git` and then for `git-milestone` on every commit).
pub fn render(hook: HookName, binary: &Path) -> Vec<u8> {
    let template = template(hook);
    let (before, after) = template
        .split_once(BINARY_PLACEHOLDER)
        .expect("every shim template holds the binary placeholder");
    let mut shim = before.as_bytes().to_vec();
    shim.extend(shell_quote(binary.as_os_str().as_encoded_bytes()));
    shim.extend(after.as_bytes());
    shim
}

/// Whether `content` is a shim (of any version or binary).
pub fn is_shim(content: &[u8]) -> bool {
    content
        .split(|&b| b == b'\n')
        .take(3)
        .any(|line| line.starts_with(MARKER.as_bytes()))
}

/// The binary a shim calls, as recorded at install time.
pub fn recorded_binary(content: &[u8]) -> Option<Vec<u8>> {
    let line = content
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"bin="))?;
    shell_unquote(line)
}

/// `value` in single quotes, for sh: every byte is literal except `'`, written `'\''`.
pub(crate) fn shell_quote(value: &[u8]) -> Vec<u8> {
    let mut quoted = vec![b'\''];
    for &b in value {
        if b == b'\'' {
            quoted.extend(b"'\\''");
        } else {
            quoted.push(b);
        }
    }
    quoted.push(b'\'');
    quoted
}

/// The inverse of [`shell_quote`] (single-quoted runs and `\'`); `None` for anything
/// else, such as the unreplaced placeholder.
fn shell_unquote(text: &[u8]) -> Option<Vec<u8>> {
    let mut value = Vec::new();
    let mut rest = text;
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'\'' => {
                let end = tail.iter().position(|&b| b == b'\'')?;
                value.extend(&tail[..end]);
                rest = &tail[end + 1..];
            }
            b'\\' => {
                let (&escaped, tail) = tail.split_first()?;
                value.push(escaped);
                rest = tail;
            }
            _ => return None,
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shim_names_its_hook_and_carries_the_marker() {
        for hook in HookName::ALL {
            let text = template(hook);
            assert!(text.starts_with("#!/bin/sh\n"), "{hook}");
            assert_eq!(
                text.lines().nth(1),
                Some(format!("{MARKER} ({hook})").as_str())
            );
            assert!(text.contains(&format!(" hook --hooks-dir=\"$dir\" {hook} \"$@\"")));
            assert!(text.contains(&format!("{hook}.milestone-legacy")));
            assert!(is_shim(text.as_bytes()));
        }
        assert!(!is_shim(b"#!/bin/sh\necho mine\n"));
        assert!(!is_shim(b""));
    }

    #[test]
    fn the_binary_path_survives_quoting() {
        for path in ["/usr/bin/git-milestone", "/tmp/it's here/x", "/a b/'/\\"] {
            let shim = render(HookName::PostCommit, Path::new(path));
            assert!(is_shim(&shim));
            assert_eq!(
                recorded_binary(&shim).as_deref(),
                Some(path.as_bytes()),
                "{path}"
            );
        }
        // The template itself, unrendered, records no binary (it falls back to PATH).
        assert_eq!(
            recorded_binary(template(HookName::PostMerge).as_bytes()),
            None
        );
    }
}
