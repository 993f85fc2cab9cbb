//! Text for the terminal put together from parts, each part escaped once as it is
//! added: a value from the data (a title, an id, a date: whoever pushed it chose it)
//! goes in through [`TerminalText::field`], which escapes its control characters; only
//! what this program itself writes (labels, padding, numbers, its own color codes)
//! goes in as it is. [`super::Output::print`] then writes the text without scanning it
//! again, which a thousand-line listing would otherwise pay for on every byte.

use super::output::escape_controls;

/// Text whose every part from the data has been escaped (see the module).
#[derive(Debug, Default)]
pub struct TerminalText(String);

impl TerminalText {
    /// Empty, with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        TerminalText(String::with_capacity(bytes))
    }

    /// Appends `value`, a value from the data, its control characters escaped.
    pub fn field(&mut self, value: &str) -> &mut Self {
        self.0.push_str(&escape_controls(value));
        self
    }

    /// Appends `value` from the data, escaped, then spaces up to `width` characters.
    pub fn field_padded(&mut self, value: &str, width: usize) -> &mut Self {
        let start = self.0.len();
        self.field(value);
        let written = self.0[start..].chars().count();
        self.spaces(width.saturating_sub(written))
    }

    /// Appends text this program wrote: never a value from the data.
    pub fn ours(&mut self, text: &str) -> &mut Self {
        self.0.push_str(text);
        self
    }

    /// Appends `count` spaces.
    pub fn spaces(&mut self, count: usize) -> &mut Self {
        self.0.extend(std::iter::repeat_n(' ', count));
        self
    }

    /// Appends `n` in decimal, right-aligned in `width` characters (0 for none).
    pub fn number(&mut self, n: i64, width: usize) -> &mut Self {
        // Digits by hand: `format!` for each number of a thousand lines costs more
        // than the rest of the line.
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let sign = usize::from(n < 0);
        self.spaces(width.saturating_sub(digits.len() - at + sign));
        if n < 0 {
            self.0.push('-');
        }
        // ASCII digits only.
        self.0
            .push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
        self
    }

    /// Ends the line.
    pub fn newline(&mut self) -> &mut Self {
        self.0.push('\n');
        self
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_ours_kept() {
        let mut text = TerminalText::default();
        text.ours("\x1b[32m")
            .field("title \x1b]0;pwned\x07")
            .ours("\x1b[0m")
            .newline();
        assert_eq!(text.as_str(), "\x1b[32mtitle \\033]0;pwned\\a\x1b[0m\n");
    }

    #[test]
    fn padding_counts_characters_after_escaping() {
        let mut text = TerminalText::default();
        text.field_padded("ab", 5).ours("|");
        text.field_padded("ü\x07", 5).ours("|");
        text.field_padded("longer than five", 5).ours("|");
        assert_eq!(text.as_str(), "ab   |ü\\a  |longer than five|");
    }

    #[test]
    fn numbers_read_as_format_writes_them() {
        for (n, width) in [
            (0, 0),
            (7, 3),
            (100, 3),
            (1234, 2),
            (-5, 0),
            (-12, 4),
            (i64::MAX, 0),
            (i64::MIN, 0),
        ] {
            let mut text = TerminalText::default();
            text.number(n, width);
            assert_eq!(text.as_str(), format!("{n:>width$}"), "{n} {width}");
        }
    }
}
