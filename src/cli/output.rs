//! Where a command's output goes and how it looks: results on stdout (JSON with
//! `--json`), through the user's pager for long listings as `git log` does, in color
//! on a terminal; `--quiet` drops confirmations.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::process::{Child, Command, Stdio};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::model::EventKind;
use crate::store::Outcome;

use super::terminal_text::TerminalText;
use super::CliError;

/// When to color output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The colors the output uses.
#[derive(Debug, Clone, Copy)]
pub enum Paint {
    /// Done.
    Green,
    /// Moving.
    Yellow,
    /// Stuck or failed.
    Red,
    /// Ids, like git's commit ids.
    Commit,
    /// Less important.
    Dim,
    /// Headings.
    Bold,
}

impl Paint {
    fn style(self) -> Style {
        match self {
            Paint::Green => AnsiColor::Green.on_default(),
            Paint::Yellow | Paint::Commit => AnsiColor::Yellow.on_default(),
            Paint::Red => AnsiColor::Red.on_default(),
            Paint::Dim => Style::new().dimmed(),
            Paint::Bold => Style::new().bold(),
        }
    }

    /// The color of a status word.
    pub fn for_status(status: &str) -> Option<Paint> {
        match status {
            "completed" | "approved" => Some(Paint::Green),
            "in_progress" | "waiting_approval" | "active" => Some(Paint::Yellow),
            "blocked" | "rejected" => Some(Paint::Red),
            "pending" | "planned" | "not_started" => Some(Paint::Dim),
            _ => None,
        }
    }
}

/// The output settings and sink of one command.
pub struct Output {
    /// `--json` was given.
    pub json: bool,
    /// `--quiet` was given.
    pub quiet: bool,
    color: ColorChoice,
    paging: bool,
    pager: RefCell<Option<Child>>,
    config_color: std::cell::OnceCell<ColorChoice>,
    /// Asked once: a listing colors a thousand lines.
    stdout_terminal: std::cell::OnceCell<bool>,
    no_color: std::cell::OnceCell<bool>,
}

/// `milestone.color`, else git's `color.ui`, read only when the answer matters (on a
/// terminal), so piped and scripted runs pay nothing for it.
fn configured_color() -> ColorChoice {
    let config = git2::Repository::open_from_env()
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    let Ok(config) = config else {
        return ColorChoice::Auto;
    };
    ["milestone.color", "color.ui"]
        .iter()
        .find_map(|key| crate::config::get(Some(&config), key))
        .map(|value| match value.to_ascii_lowercase().as_str() {
            "never" | "false" | "off" | "no" | "0" => ColorChoice::Never,
            "always" => ColorChoice::Always,
            _ => ColorChoice::Auto,
        })
        .unwrap_or(ColorChoice::Auto)
}

impl Output {
    /// Output with these settings. `paging` allows [`Output::page`] to start a pager.
    pub fn new(json: bool, quiet: bool, color: ColorChoice, paging: bool) -> Self {
        Output {
            json,
            quiet,
            color,
            paging,
            pager: RefCell::new(None),
            config_color: std::cell::OnceCell::new(),
            stdout_terminal: std::cell::OnceCell::new(),
            no_color: std::cell::OnceCell::new(),
        }
    }

    /// Whether text output is colored: `--color`, then `NO_COLOR`, then
    /// `milestone.color` or `color.ui`, then whether stdout is a terminal. JSON never is.
    pub fn colored(&self) -> bool {
        if self.json {
            return false;
        }
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // NO_COLOR yields only to an explicit --color=always.
            ColorChoice::Auto
                if *self.no_color.get_or_init(|| {
                    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                }) =>
            {
                false
            }
            ColorChoice::Auto => match *self.config_color.get_or_init(configured_color) {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    self.pager.borrow().is_some()
                        || *self
                            .stdout_terminal
                            .get_or_init(|| std::io::stdout().is_terminal())
                }
            },
        }
    }

    /// `text` in `paint`, when coloring.
    pub fn paint(&self, text: impl AsRef<str>, paint: Paint) -> String {
        if self.colored() {
            let style = paint.style();
            format!("{style}{}{style:#}", text.as_ref())
        } else {
            text.as_ref().to_string()
        }
    }

    /// A status word, colored by what it means, padded to `width` outside the color
    /// codes so columns stay aligned.
    pub fn status(&self, status: &str, width: usize) -> String {
        let mut text = TerminalText::default();
        self.push_status(&mut text, status, width);
        text.into_string()
    }

    /// Appends [`Output::status`] to `text`; `status` is a word of this program's.
    pub fn push_status(&self, text: &mut TerminalText, status: &str, width: usize) {
        match Paint::for_status(status).filter(|_| self.colored()) {
            Some(paint) => self.push_paint(text, status, paint),
            None => {
                text.ours(status);
            }
        }
        text.spaces(width.saturating_sub(status.chars().count()));
    }

    /// Appends `ours`, text of this program's, in `paint` when coloring.
    pub fn push_paint(&self, text: &mut TerminalText, ours: &str, paint: Paint) {
        if self.colored() {
            let style = paint.style();
            text.ours(&style.render().to_string())
                .ours(ours)
                .ours(&style.render_reset().to_string());
        } else {
            text.ours(ours);
        }
    }

    /// A progress bar, its filled part green when coloring.
    pub fn bar(&self, percentage: u32) -> String {
        let mut text = TerminalText::default();
        self.push_bar(&mut text, percentage);
        text.into_string()
    }

    /// Appends [`Output::bar`] to `text`.
    pub fn push_bar(&self, text: &mut TerminalText, percentage: u32) {
        let (hashes, dashes) = super::view::bar_parts(percentage);
        text.ours("[");
        if percentage >= 5 {
            self.push_paint(text, hashes, Paint::Green);
        } else {
            text.ours(hashes);
        }
        text.ours(dashes).ours("] ");
        text.number(i64::from(percentage), 3).ours("%");
    }

    /// Sends the rest of the output through the user's pager, as `git log` does: on a
    /// terminal, unless `--no-pager`, with `GIT_PAGER`, `core.pager`, `PAGER` or less.
    pub fn page(&self, config: Option<&git2::Config>) {
        if self.json || !self.paging || !std::io::stdout().is_terminal() {
            return;
        }
        // git runs the pager itself for `git -p milestone …`; `pager.milestone=false`
        // turns ours off as it does git's for a command.
        if std::env::var_os("GIT_PAGER_IN_USE").is_some()
            || crate::config::get_bool(config, "pager.milestone") == Some(false)
        {
            return;
        }
        let configured = std::env::var("GIT_PAGER")
            .ok()
            .or_else(|| crate::config::get(config, "core.pager"))
            .or_else(|| std::env::var("PAGER").ok())
            .unwrap_or_else(|| "less".to_string());
        let pager = configured.trim();
        if pager.is_empty() || pager == "cat" {
            return;
        }
        let mut command = Command::new("sh");
        command.arg("-c").arg(pager).stdin(Stdio::piped());
        // git's defaults: quit if one screen, keep colors, do not clear the screen.
        if std::env::var_os("LESS").is_none() {
            command.env("LESS", "FRX");
        }
        if std::env::var_os("LV").is_none() {
            command.env("LV", "-c");
        }
        if let Ok(child) = command.spawn() {
            *self.pager.borrow_mut() = Some(child);
        }
    }

    /// Prints `text` and a newline, its control characters escaped (see
    /// [`escape_controls`]).
    pub fn line(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        self.write_line(&escape_controls(text.as_ref()))
    }

    /// Prints `text`, whose fields were escaped as it was built, and a newline.
    pub fn print(&self, text: &TerminalText) -> Result<(), CliError> {
        self.write_line(text.as_str())
    }

    fn write_line(&self, text: &str) -> Result<(), CliError> {
        let mut pager = self.pager.borrow_mut();
        if let Some(stdin) = pager.as_mut().and_then(|p| p.stdin.as_mut()) {
            writeln!(stdin, "{text}")?;
        } else {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{text}")?;
        }
        Ok(())
    }

    /// Prints `value` as pretty JSON.
    pub fn json_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::user(format!("cannot write JSON: {e}")))?;
        self.line(text)
    }

    /// A confirmation, unless `--quiet` or `--json`.
    pub fn note(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        if self.quiet || self.json || text.as_ref().is_empty() {
            return Ok(());
        }
        self.line(text)
    }

    /// Reports what a write did: with `--json` the commit and events, otherwise
    /// `text` (or that nothing changed).
    pub fn outcome(&self, outcome: &Outcome, text: &str) -> Result<(), CliError> {
        if self.json {
            let value = match outcome {
                Outcome::Committed { commit, applied } => serde_json::json!({
                    "changed": true,
                    "commit": commit.to_string(),
                    "summary": applied.summary,
                    "events": applied.events,
                }),
                Outcome::Unchanged { applied } => serde_json::json!({
                    "changed": false,
                    "commit": null,
                    "summary": applied.summary,
                    "events": [],
                }),
                Outcome::AlreadyInitialized => serde_json::json!({
                    "changed": false,
                    "commit": null,
                    "summary": "already initialized",
                    "events": [],
                }),
            };
            return self.json_value(&value);
        }
        match outcome {
            Outcome::Committed { applied, .. } => {
                self.note(text)?;
                for event in &applied.events {
                    if let Some(EventKind::MilestoneCompleted { .. }) = event.kind() {
                        let id = event.milestone_id.as_deref().unwrap_or("");
                        let done = format!("Milestone {id} is completed.");
                        self.note(self.paint(done, Paint::Green))?;
                    }
                }
                Ok(())
            }
            Outcome::Unchanged { .. } => self.note("Nothing to change."),
            Outcome::AlreadyInitialized => self.note("Already initialized."),
        }
    }
}

impl Drop for Output {
    /// Waits for the pager, so the shell prompt does not come back under it.
    fn drop(&mut self) {
        if let Some(mut child) = self.pager.get_mut().take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}

/// `text` with every control character that could move the cursor, clear the screen,
/// set the terminal's title or hide what follows written as a C escape (`\033`,
/// `\a`), as git quotes odd file names. Titles, event types and data come from
/// whoever pushed them. Line breaks and tabs stay, and so do the color codes
/// (`ESC [ digits ; … m`) that this program paints with.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let odd = |c: char| c.is_control() && c != '\n' && c != '\t';
    // Control characters are bytes below 0x20, 0x7f, or 0xc2 0x80-0x9f in UTF-8: a
    // byte scan (vectorized) clears most text at once, which decoding every char of a
    // thousand-line listing did not (8% of `list` at 1,000 milestones).
    let maybe_odd = |b: &u8| (*b < 0x20 && *b != b'\n' && *b != b'\t') || *b == 0x7f || *b == 0xc2;
    if !text.as_bytes().iter().any(maybe_odd) || !text.chars().any(odd) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' {
            if let Some(len) = color_code_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\r' => out.push_str("\\r"),
            c if odd(c) && (c as u32) < 0x100 => out.push_str(&format!("\\{:03o}", c as u32)),
            c if odd(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The length of a color code (SGR: `ESC [`, digits and `;`, `m`) at the start of
/// `text`, if there is one.
fn color_code_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod escape_tests {
    use super::escape_controls;

    #[test]
    fn terminal_commands_are_escaped_and_colors_kept() {
        let cases = [
            ("plain title", "plain title"),
            ("two\nlines\tand a tab", "two\nlines\tand a tab"),
            ("\x1b]0;pwned\x07", "\\033]0;pwned\\a"),
            ("\x1b[2Jcleared", "\\033[2Jcleared"),
            ("\x1b[32mgreen\x1b[0m", "\x1b[32mgreen\x1b[0m"),
            ("nul\0here\r", "nul\\000here\\r"),
            ("c1 \u{9b}31m", "c1 \\23331m"),
            ("line separator \u{2028}", "line separator \u{2028}"),
            ("del\x7f", "del\\177"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape_controls(input), expected, "{input:?}");
        }
    }

    #[test]
    fn the_byte_scan_misses_no_control_character() {
        for c in (0..0x800u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let escaped = c.is_control() && c != '\n' && c != '\t';
            assert_eq!(escape_controls(&text) != text, escaped, "{c:?}");
        }
    }
}
