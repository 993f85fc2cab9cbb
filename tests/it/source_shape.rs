//! The shape of the source itself: no function in `src/` longer than a screenful, so
//! that one operation's rule stays readable in one place. The only exception is a
//! table-like `match` that does nothing but dispatch, one expression per case.

use std::path::{Path, PathBuf};

/// The most lines a function may span, from `fn` to its closing brace.
const MAX_LINES: usize = 80;

/// `text` with comments, string and char literals blanked out (newlines kept), so that
/// braces and keywords inside them do not count.
fn code_only(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let end = if rest.starts_with(b"//") {
            i + rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            block_comment_end(b, i)
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") || rest.starts_with(b"br") {
            raw_string_end(b, i).unwrap_or(i + 1)
        } else if rest[0] == b'"' {
            string_end(b, i + 1)
        } else if rest[0] == b'\'' {
            char_end(b, i).unwrap_or(i + 1)
        } else {
            i + 1
        };
        if end > i + 1 {
            blank(&mut out, i, end);
        }
        i = end.max(i + 1);
    }
    out
}

fn block_comment_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < b.len() {
        if &b[i..i + 2] == b"/*" {
            depth += 1;
            i += 2;
        } else if &b[i..i + 2] == b"*/" {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn string_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The end of a raw string starting at `start` (`r"…"`, `r#"…"#`, `br…`), if it is one
/// and not an identifier that starts with r.
fn raw_string_end(b: &[u8], start: usize) -> Option<usize> {
    if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
        return None;
    }
    let mut i = start + if b[start] == b'b' { 2 } else { 1 };
    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
    i += hashes;
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    let body = i + 1;
    let found = b[body..].windows(close.len()).position(|w| w == close)?;
    Some(body + found + close.len())
}

/// The end of a char literal at `start` (`'x'`, `'\n'`, `'\u{..}'`); none for a
/// lifetime or label.
fn char_end(b: &[u8], start: usize) -> Option<usize> {
    let rest = &b[start + 1..];
    if rest.first() == Some(&b'\\') {
        return Some(start + 3 + rest.iter().skip(2).position(|&c| c == b'\'')? + 1);
    }
    let len = std::str::from_utf8(&rest[..rest.len().min(4)])
        .or_else(|e| std::str::from_utf8(&rest[..e.valid_up_to()]))
        .ok()?
        .chars()
        .next()?
        .len_utf8();
    (rest.get(len) == Some(&b'\'')).then_some(start + 1 + len + 1)
}

/// A function found in one file: its name, first line and the byte span of its body.
struct Function {
    name: String,
    line: usize,
    lines: usize,
    body: (usize, usize),
}

fn functions(code: &[u8]) -> Vec<Function> {
    let line_of = |at: usize| code[..at].iter().filter(|&&c| c == b'\n').count() + 1;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 < code.len() {
        let is_fn = &code[i..i + 3] == b"fn " && (i == 0 || !word(code[i - 1]));
        if !is_fn {
            i += 1;
            continue;
        }
        let name_start = i + 3;
        let name_len = code[name_start..].iter().take_while(|&&c| word(c)).count();
        let name = String::from_utf8_lossy(&code[name_start..name_start + name_len]).into_owned();
        // The body opens at the first `{` outside parentheses; a `;` first means a
        // declaration without a body (in a trait).
        let mut depth = 0i32;
        let mut j = name_start + name_len;
        let open = loop {
            match code.get(j) {
                None => break None,
                Some(b'(' | b'[' | b'<') => depth += 1,
                Some(b')' | b']') => depth -= 1,
                Some(b'>') if code[j - 1] != b'-' => depth -= 1,
                Some(b';') if depth <= 0 => break None,
                Some(b'{') if depth <= 0 => break Some(j),
                _ => {}
            }
            j += 1;
        };
        let Some(open) = open else {
            i = j;
            continue;
        };
        let close = matching_brace(code, open);
        found.push(Function {
            name,
            line: line_of(i),
            lines: line_of(close) - line_of(i) + 1,
            body: (open + 1, close),
        });
        // Nested functions are measured on their own too.
        i = open + 1;
    }
    found
}

fn matching_brace(code: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (k, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    code.len() - 1
}

/// Whether a body is one `match` and nothing else, each arm a single expression (no
/// statement in any arm): a table that dispatches.
fn only_dispatches(code: &[u8], (start, end): (usize, usize)) -> bool {
    let body = String::from_utf8_lossy(&code[start..end]);
    let trimmed = body.trim();
    let Some(open) = trimmed.find('{') else {
        return false;
    };
    let head = &trimmed[..open];
    if !(head.starts_with("match ") || head.starts_with("Ok(match ")) {
        return false;
    }
    let bytes = trimmed.as_bytes();
    let close = matching_brace(bytes, open);
    let after = trimmed[close + 1..].trim();
    matches!(after, "" | ")" | ";" | ");") && !bytes[open + 1..close].contains(&b';')
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The functions of `text` over the limit that are not dispatch tables.
fn too_long(text: &str) -> Vec<String> {
    let code = code_only(text);
    functions(&code)
        .into_iter()
        .filter(|f| f.lines > MAX_LINES && !only_dispatches(&code, f.body))
        .map(|f| format!("{} (line {}, {} lines)", f.name, f.line, f.lines))
        .collect()
}

#[test]
fn no_function_in_src_is_longer_than_a_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for f in too_long(&text) {
            long.push(format!(
                "{}: {f}",
                file.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_LINES} lines (split them; only a match that dispatches may be longer):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_check_measures_functions_and_spares_dispatch_tables() {
    let long_body = "    let x = 1;\n".repeat(MAX_LINES);
    let long = format!("fn long() {{\n{long_body}}}\n");
    assert_eq!(
        too_long(&long),
        [format!("long (line 1, {} lines)", MAX_LINES + 2)]
    );
    // Braces and `fn` inside strings, chars and comments do not count.
    let hidden = format!(
        "fn short() {{\n    let s = \"fn x() {{ {{\";\n    let c = '{{';\n    // fn y() {{\n    let r = r#\"}}\"#;\n}}\n{long}"
    );
    assert_eq!(
        too_long(&hidden),
        [format!("long (line 7, {} lines)", MAX_LINES + 2)]
    );
    let arms: String = (0..MAX_LINES)
        .map(|i| format!("        Command::C{i}(a) => c{i}::run(a),\n"))
        .collect();
    let table = format!("fn dispatch(c: Command) -> R {{\n    match c {{\n{arms}    }}\n}}\n");
    assert!(too_long(&table).is_empty());
    let fat_arm = format!(
        "fn dispatch(c: Command) -> R {{\n    match c {{\n        Command::A => {{\n{long_body}        }}\n    }}\n}}\n"
    );
    assert_eq!(too_long(&fat_arm).len(), 1);
}
