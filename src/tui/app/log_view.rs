//! Where the log pane looks in the selected service's buffer: following or scrolled back, wrap,
//! and the search query with its matches. Reads `crate::logs::LogBuffer`; does no I/O.

use crate::logs::LogBuffer;

/// The most characters of one line the pane ever looks at, so a 1 MB line costs no more to draw
/// or search than a long one.
pub const MAX_LINE_CHARS: usize = 4096;

/// The log pane's position and options.
///
/// `scroll` counts lines back from the newest line kept: 0 shows the newest line at the bottom.
/// Counting from the newest end keeps the view still while old lines drop off the ring buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    pub follow: bool,
    pub scroll: usize,
    pub wrap: bool,
    /// Show the engine's timestamp before each line.
    pub timestamps: bool,
    /// The query being typed after `/`, while the prompt is open.
    pub prompt: Option<String>,
    /// The last query run, lower-cased; matches are highlighted and `n`/`N` jump between them.
    pub query: Option<String>,
    /// The line the last jump landed on, counted like `scroll`; `n`/`N` go on from it.
    pub matched: Option<usize>,
}

impl Default for LogView {
    fn default() -> LogView {
        LogView {
            follow: true,
            scroll: 0,
            wrap: false,
            timestamps: false,
            prompt: None,
            query: None,
            matched: None,
        }
    }
}

/// Which way a search goes from the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Older,
    Newer,
}

impl LogView {
    /// Called after a line was added to the buffer shown: a paused view keeps its lines in place.
    pub fn on_line_added(&mut self, buffer: &LogBuffer) {
        let last = buffer.len().saturating_sub(1);
        if !self.follow {
            self.scroll = (self.scroll + 1).min(last);
        }
        self.matched = self
            .matched
            .and_then(|matched| Some(matched + 1).filter(|m| *m <= last));
    }

    /// Scrolls back (towards older lines) by `lines`; pauses following.
    pub fn scroll_back(&mut self, buffer: &LogBuffer, lines: usize) {
        let max = buffer.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add(lines).min(max);
        self.follow = false;
    }

    /// Scrolls forward (towards newer lines) by `lines`; following resumes at the bottom.
    pub fn scroll_forward(&mut self, lines: usize) {
        self.scroll = self.scroll.saturating_sub(lines);
        if self.scroll == 0 {
            self.follow = true;
        }
    }

    pub fn top(&mut self, buffer: &LogBuffer) {
        self.scroll = buffer.len().saturating_sub(1);
        self.follow = false;
    }

    pub fn bottom(&mut self) {
        self.scroll = 0;
        self.follow = true;
    }

    /// Pauses following where the view is, or resumes it at the newest line.
    pub fn toggle_follow(&mut self) {
        if self.follow {
            self.follow = false;
        } else {
            self.bottom();
        }
    }

    /// The index (from the oldest line kept) of the line at the bottom of the view.
    pub fn bottom_index(&self, buffer: &LogBuffer) -> Option<usize> {
        let len = buffer.len();
        (len > 0).then(|| len - 1 - self.scroll.min(len - 1))
    }

    /// Runs `query` from the bottom line of the view towards older lines, that line included.
    ///
    /// Returns whether a line matched; the view stops following and moves so the matching line
    /// has `context` lines below it (the lines around a match stay visible).
    pub fn run_search(&mut self, buffer: &LogBuffer, query: &str, context: usize) -> bool {
        self.query = Some(query.to_lowercase());
        self.matched = None;
        let Some(start) = self.bottom_index(buffer) else {
            return false;
        };
        self.jump_from(buffer, Some(start), Direction::Older, context)
    }

    /// Moves to the next line matching the query, going on from the last match (or from the
    /// bottom line of the view when there was none).
    pub fn next_match(&mut self, buffer: &LogBuffer, direction: Direction, context: usize) -> bool {
        let Some(bottom) = self.bottom_index(buffer) else {
            return false;
        };
        let from = self.matched_index(buffer).unwrap_or(bottom);
        let start = match direction {
            Direction::Older => from.checked_sub(1),
            Direction::Newer => Some(from + 1).filter(|index| *index < buffer.len()),
        };
        self.jump_from(buffer, start, direction, context)
    }

    /// The index (from the oldest line kept) of the line the last jump landed on.
    pub fn matched_index(&self, buffer: &LogBuffer) -> Option<usize> {
        let matched = self.matched?;
        buffer.len().checked_sub(1 + matched)
    }

    fn jump_from(
        &mut self,
        buffer: &LogBuffer,
        start: Option<usize>,
        direction: Direction,
        context: usize,
    ) -> bool {
        let (Some(query), Some(start)) = (self.query.clone(), start) else {
            return false;
        };
        let matches = |index: &usize| {
            buffer
                .get(*index)
                .is_some_and(|line| contains_query(&plain_text(&line.bytes), &query))
        };
        let found = match direction {
            Direction::Older => (0..=start).rev().find(matches),
            Direction::Newer => (start..buffer.len()).find(matches),
        };

        match found {
            Some(index) => {
                let matched = buffer.len() - 1 - index;
                self.matched = Some(matched);
                self.scroll = matched.saturating_sub(context);
                self.follow = false;
                true
            }
            None => false,
        }
    }
}

/// True when `text` contains the lower-cased `query`, ignoring case.
pub fn contains_query(text: &str, query: &str) -> bool {
    !query.is_empty() && text.to_lowercase().contains(query)
}

/// A log line's bytes as text that is safe to put on the screen.
///
/// Invalid UTF-8 becomes U+FFFD, ANSI escape sequences and other control characters are dropped,
/// tabs become spaces, and only the first [`MAX_LINE_CHARS`] characters are kept.
// Known shortcoming: colours in the line are dropped rather than rendered. The `logs` branch is
// building safe ANSI rendering into ratatui spans; switch to it once it is merged.
pub fn plain_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len().min(MAX_LINE_CHARS));
    let mut chars = text.chars().peekable();
    let mut kept = 0;

    while let Some(c) = chars.next() {
        if kept >= MAX_LINE_CHARS {
            break;
        }
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\t' => {
                out.push_str("    ");
                kept += 4;
            }
            c if c.is_control() => {}
            c => {
                out.push(c);
                kept += 1;
            }
        }
    }
    out
}

/// Skips the rest of an escape sequence whose ESC was just read (CSI, OSC or a two-byte one).
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                    chars.next();
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_escapes_and_controls_and_keeps_text() {
        let bytes = b"\x1b[31mred\x1b[0m\ttab\x07 \x1b]0;title\x07done \xff";

        assert_eq!(plain_text(bytes), "red    tab done \u{fffd}");
    }

    #[test]
    fn plain_text_of_a_one_megabyte_line_is_capped() {
        let bytes = vec![b'x'; 1024 * 1024];

        assert_eq!(plain_text(&bytes).chars().count(), MAX_LINE_CHARS);
    }
}
