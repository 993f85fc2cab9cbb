//! The globs of `also_watch` and `covers`, as git's pathspecs read them: `*` and `?`
//! within one path segment, `**` across any number of them.

/// Whether `path` (a repository path, `/`-separated) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

fn segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((segment, more)) => {
                segment_matches(first.as_bytes(), segment.as_bytes()) && segments(rest, more)
            }
            None => false,
        },
    }
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| segment_matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && segment_matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && segment_matches(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_as_pathspecs_do() {
        let cases = [
            ("src/**", "src/a.rs", true),
            ("src/**", "src/deep/b.rs", true),
            ("src/**", "srcs/a.rs", false),
            ("src/*.rs", "src/a.rs", true),
            ("src/*.rs", "src/deep/a.rs", false),
            ("**/*.rs", "a.rs", true),
            ("**/*.rs", "x/y/a.rs", true),
            ("**/*.rs", "x/y/a.rsx", false),
            ("design.md", "design.md", true),
            ("design.md", "docs/design.md", false),
            ("?.md", "a.md", true),
            ("?.md", "ab.md", false),
            ("api/**/schema.json", "api/schema.json", true),
            ("api/**/schema.json", "api/v1/schema.json", true),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(matches(pattern, path), want, "{pattern} vs {path}");
        }
    }
}
