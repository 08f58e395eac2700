//! Safe rendering of untrusted log bytes into ratatui lines.
//!
//! Escapes are parsed by `vte` (the parser of the Alacritty terminal, which follows the DEC
//! state machine and replaces invalid UTF-8): SGR colours and attributes are kept when valid;
//! cursor movement, screen clearing, OSC titles and every other control sequence or control
//! character are dropped; tabs become spaces. Work stops at the requested width, so a huge line
//! costs no more than what is shown.
//!
//! [`plain_text`] is exactly the text [`render`] shows (without a width limit): search matches
//! found in it are valid highlight ranges for `render`. [`terminal_text`] is the same line for a
//! terminal that is not the dashboard's (`capstan logs`).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use crossterm::style::StyledContent;
use ratatui::backend::IntoCrossterm as _;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;
use vte::{Params, Parser, Perform};

/// Columns between tab stops.
pub const TAB_WIDTH: usize = 8;

/// How one line is drawn.
#[derive(Debug, Clone)]
pub struct RenderOptions<'a> {
    /// Stop after this many terminal columns (the rest of the line is not even parsed).
    pub max_columns: usize,
    /// Keep the line's own SGR colours and attributes (false for NO_COLOR).
    pub colors: bool,
    /// Byte ranges of [`plain_text`] to mark, sorted and not overlapping (search matches).
    pub highlights: &'a [Range<usize>],
    /// Patched over the line's own style inside `highlights`.
    pub highlight: Style,
}

impl Default for RenderOptions<'_> {
    fn default() -> Self {
        RenderOptions {
            max_columns: usize::MAX,
            colors: true,
            highlights: &[],
            highlight: Style::new().add_modifier(Modifier::REVERSED),
        }
    }
}

/// Renders raw log bytes as one ratatui line (see the module docs for what is kept).
///
/// The spans' contents never hold a control character, never exceed `max_columns` in width,
/// and concatenate to a prefix of [`plain_text`].
pub fn render(bytes: &[u8], options: &RenderOptions) -> Line<'static> {
    let painter = paint(bytes, options.max_columns, options.colors);
    let spans = highlight(painter.spans, options.highlights, options.highlight);
    Line::from(
        spans
            .into_iter()
            .map(|(style, text)| Span::styled(text, style))
            .collect::<Vec<_>>(),
    )
}

/// The text a line shows: escapes and control characters removed, tabs expanded, invalid
/// UTF-8 replaced by U+FFFD. Borrows the line when it is plain printable ASCII already.
pub fn plain_text(bytes: &[u8]) -> Cow<'_, str> {
    // Without an early exit the check vectorises; most log lines take this path.
    let special = bytes
        .iter()
        .fold(false, |acc, &b| acc | !(0x20..0x7f).contains(&b));
    if !special {
        // All printable ASCII: valid UTF-8, nothing to strip.
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Cow::Borrowed(text);
        }
    }
    let painter = paint(bytes, usize::MAX, false);
    let mut text = String::with_capacity(painter.len);
    for (_, part) in painter.spans {
        text.push_str(&part);
    }
    Cow::Owned(text)
}

/// A line as it may be written to a terminal: the text [`render`] shows, with the line's own
/// colours and attributes written back as SGR sequences (each reset where it ends, so nothing
/// leaks into the next line), or only [`plain_text`] without `colors`.
pub fn terminal_text(bytes: &[u8], colors: bool) -> String {
    if !colors {
        return plain_text(bytes).into_owned();
    }
    let line = render(bytes, &RenderOptions::default());
    let mut text = String::with_capacity(bytes.len());
    for span in &line.spans {
        let styled = StyledContent::new(span.style.into_crossterm(), span.content.as_ref());
        // Writing into a String fails only when a Display does; crossterm's SGR output does not.
        let _ = write!(text, "{styled}");
    }
    text
}

/// True for characters that must never reach the terminal: C0/C1 controls, DEL, and the
/// bidirectional overrides that can make text read differently from what it is.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn paint(bytes: &[u8], max_columns: usize, colors: bool) -> Painter {
    let mut painter = Painter {
        spans: Vec::new(),
        style: Style::new(),
        column: 0,
        len: 0,
        max_columns,
        colors,
        full: false,
    };
    let mut parser = Parser::new();

    // Stops as soon as the painter is full; the bytes left are never looked at.
    let _read = parser.advance_until_terminated(&mut painter, bytes);
    if !painter.full {
        // NUL ends a UTF-8 sequence the line left incomplete (shown as U+FFFD) and is dropped.
        parser.advance(&mut painter, b"\0");
    }
    painter
}

/// Collects styled text from the parser's actions.
struct Painter {
    spans: Vec<(Style, String)>,
    style: Style,
    column: usize,
    len: usize,
    max_columns: usize,
    colors: bool,
    full: bool,
}

impl Painter {
    fn push(&mut self, c: char, width: usize) {
        // vte hands over a run of plain text at once, so characters can follow the cut.
        if self.full || self.column + width > self.max_columns {
            self.full = true;
            return;
        }
        self.column += width;
        self.len += c.len_utf8();
        match self.spans.last_mut() {
            Some((style, text)) if *style == self.style => text.push(c),
            _ => self.spans.push((self.style, c.to_string())),
        }
    }

    fn sgr(&mut self, params: &Params) {
        let mut groups = params.iter();
        while let Some(group) = groups.next() {
            let code = group.first().copied().unwrap_or(0);
            let style = self.style;
            self.style = match code {
                0 => Style::new(),
                1 => style.add_modifier(Modifier::BOLD),
                2 => style.add_modifier(Modifier::DIM),
                3 => style.add_modifier(Modifier::ITALIC),
                4 => style.add_modifier(Modifier::UNDERLINED),
                5 | 6 => style.add_modifier(Modifier::SLOW_BLINK),
                7 => style.add_modifier(Modifier::REVERSED),
                9 => style.add_modifier(Modifier::CROSSED_OUT),
                21 | 22 => style.remove_modifier(Modifier::BOLD | Modifier::DIM),
                23 => style.remove_modifier(Modifier::ITALIC),
                24 => style.remove_modifier(Modifier::UNDERLINED),
                25 => style.remove_modifier(Modifier::SLOW_BLINK),
                27 => style.remove_modifier(Modifier::REVERSED),
                29 => style.remove_modifier(Modifier::CROSSED_OUT),
                30..=37 => style.fg(basic(code - 30, false)),
                39 => style.fg(Color::Reset),
                40..=47 => style.bg(basic(code - 40, false)),
                49 => style.bg(Color::Reset),
                90..=97 => style.fg(basic(code - 90, true)),
                100..=107 => style.bg(basic(code - 100, true)),
                38 | 48 => match extended(group, &mut groups) {
                    Some(color) if code == 38 => style.fg(color),
                    Some(color) => style.bg(color),
                    None => style,
                },
                // Hidden text (8) stays visible: a log viewer must not hide content.
                _ => style,
            };
        }
    }
}

impl Perform for Painter {
    fn print(&mut self, c: char) {
        if is_unsafe(c) {
            return;
        }
        let width = c.width().unwrap_or(0);
        self.push(c, width);
    }

    fn execute(&mut self, byte: u8) {
        if byte == b'\t' {
            let spaces = TAB_WIDTH - self.column % TAB_WIDTH;
            for _ in 0..spaces {
                self.push(' ', 1);
            }
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        if action == 'm' && intermediates.is_empty() && !ignore && self.colors {
            self.sgr(params);
        }
    }

    fn terminated(&self) -> bool {
        self.full
    }
}

fn basic(index: u16, bright: bool) -> Color {
    match (index, bright) {
        (0, false) => Color::Black,
        (1, false) => Color::Red,
        (2, false) => Color::Green,
        (3, false) => Color::Yellow,
        (4, false) => Color::Blue,
        (5, false) => Color::Magenta,
        (6, false) => Color::Cyan,
        (7, false) => Color::Gray,
        (0, true) => Color::DarkGray,
        (1, true) => Color::LightRed,
        (2, true) => Color::LightGreen,
        (3, true) => Color::LightYellow,
        (4, true) => Color::LightBlue,
        (5, true) => Color::LightMagenta,
        (6, true) => Color::LightCyan,
        _ => Color::White,
    }
}

/// Reads `38;5;n`, `38;2;r;g;b` or their colon forms (`38:5:n`, `38:2::r:g:b`); `None` when
/// the values are missing or out of range.
fn extended<'a>(group: &[u16], rest: &mut impl Iterator<Item = &'a [u16]>) -> Option<Color> {
    let values: Vec<u16> = if group.len() > 1 {
        group[1..].to_vec()
    } else {
        let kind = rest.next()?.first().copied()?;
        let count = if kind == 5 { 1 } else { 3 };
        let mut values = vec![kind];
        for _ in 0..count {
            values.push(rest.next()?.first().copied()?);
        }
        values
    };
    let byte = |v: u16| u8::try_from(v).ok();
    match values.as_slice() {
        [5, n] => Some(Color::Indexed(byte(*n)?)),
        [2, r, g, b] | [2, _, r, g, b] => Some(Color::Rgb(byte(*r)?, byte(*g)?, byte(*b)?)),
        _ => None,
    }
}

/// Splits styled pieces at highlight boundaries and patches the highlight style inside them.
///
/// Ranges come from callers: they are widened to whole characters, and overlaps are merged.
fn highlight(
    spans: Vec<(Style, String)>,
    ranges: &[Range<usize>],
    mark: Style,
) -> Vec<(Style, String)> {
    if ranges.is_empty() {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len() + ranges.len() * 2);
    let mut offset = 0;

    for (style, text) in spans {
        let end = offset + text.len();
        // `cut`: how much of this span (local bytes) is already out.
        let mut cut = 0;
        for range in ranges.iter().filter(|r| r.start < end && r.end > offset) {
            let start = floor_boundary(&text, range.start.max(offset) - offset).max(cut);
            let stop = ceil_boundary(&text, range.end.min(end) - offset);
            if start >= stop {
                continue;
            }
            if start > cut {
                out.push((style, text[cut..start].to_string()));
            }
            out.push((style.patch(mark), text[start..stop].to_string()));
            cut = stop;
        }
        if cut < text.len() {
            out.push((style, text[cut..].to_string()));
        }
        offset = end;
    }
    out
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn sgr_colours_are_kept_and_the_escape_bytes_are_not_shown() {
        let line = render(b"\x1b[31mred\x1b[0m plain", &RenderOptions::default());

        assert_eq!(text_of(&line), "red plain");
        assert_eq!(line.spans[0].style.fg, Some(Color::Red));
        assert_eq!(line.spans[1].style, Style::new());
    }

    #[test]
    fn truecolor_and_256_colours_parse_in_both_forms() {
        let line = render(
            b"\x1b[38;2;1;2;3ma\x1b[48:5:200mb",
            &RenderOptions::default(),
        );

        assert_eq!(line.spans[0].style.fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(line.spans[1].style.bg, Some(Color::Indexed(200)));
    }

    #[test]
    fn out_of_range_colours_are_ignored() {
        let line = render(b"\x1b[38;5;999mx", &RenderOptions::default());

        assert_eq!(line.spans[0].style, Style::new());
    }

    #[test]
    fn cursor_movement_clearing_and_titles_are_stripped() {
        let raw = b"a\x1b[2J\x1b[H\x1b[10;20Hb\x1b]0;owned\x07c\x1b[?1049hd\r\x08e";

        assert_eq!(text_of(&render(raw, &RenderOptions::default())), "abcde");
    }

    #[test]
    fn terminal_text_drops_a_title_and_a_clear_and_keeps_the_text() {
        // Regression: `capstan logs api` on a terminal wrote these bytes as they were, and the
        // terminal's title changed and its screen cleared.
        let raw = b"\x1b]0;CLI-TITLE\x07\x1b[2JGET /api/persons/";

        assert_eq!(terminal_text(raw, true), "GET /api/persons/");
        assert_eq!(terminal_text(raw, false), "GET /api/persons/");
    }

    #[test]
    fn terminal_text_keeps_colours_as_sgr_reset_at_their_end_unless_colours_are_off() {
        let raw = b"\x1b[31mred\x1b[0m \x1b[1mbold\x1b[10;20H";

        assert_eq!(
            terminal_text(raw, true),
            "\x1b[38;5;1mred\x1b[39m \x1b[1mbold\x1b[0m"
        );
        assert_eq!(terminal_text(raw, false), "red bold");
    }

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(plain_text(b"ab\tc"), "ab      c");
        assert_eq!(plain_text(b"\tx"), "        x");
    }

    #[test]
    fn invalid_utf8_is_replaced_including_a_cut_character_at_the_end() {
        assert_eq!(plain_text(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(plain_text(b"ab\xe2\x82"), "ab\u{fffd}");
    }

    #[test]
    fn bidi_overrides_are_dropped() {
        assert_eq!(plain_text("x\u{202e}y".as_bytes()), "xy");
    }

    #[test]
    fn rendering_stops_at_the_width_asked_for() {
        let options = RenderOptions {
            max_columns: 10,
            ..RenderOptions::default()
        };

        let line = render(&vec![b'x'; 1 << 20], &options);

        assert_eq!(text_of(&line).len(), 10);
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let options = RenderOptions {
            max_columns: 5,
            ..RenderOptions::default()
        };

        assert_eq!(text_of(&render("日本語".as_bytes(), &options)), "日本");
        // Regression: a narrow character after the cut was still shown ("日m" at 17 columns
        // after 16 columns of tabs gave 16 spaces and "m").
        let options = RenderOptions {
            max_columns: 17,
            ..RenderOptions::default()
        };
        assert_eq!(
            text_of(&render(b"\t\t\xe6\x97\xa5m", &options)),
            " ".repeat(16)
        );
    }

    #[test]
    fn highlights_split_spans_and_keep_their_colour() {
        let range = 1..4;
        let options = RenderOptions {
            highlights: std::slice::from_ref(&range),
            ..RenderOptions::default()
        };

        let line = render(b"\x1b[32mab\x1b[0mcde", &options);

        let parts: Vec<&str> = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(parts, ["a", "b", "cd", "e"]);
        let reversed = |i: usize| {
            line.spans[i]
                .style
                .add_modifier
                .contains(Modifier::REVERSED)
        };
        assert_eq!(line.spans[1].style.fg, Some(Color::Green));
        assert!(reversed(1) && reversed(2) && !reversed(3));
    }

    #[test]
    fn highlights_off_character_boundaries_or_overlapping_lose_no_text() {
        let ranges = [1..2, 1..5];
        let options = RenderOptions {
            highlights: &ranges,
            ..RenderOptions::default()
        };

        let line = render("é日x".as_bytes(), &options);

        assert_eq!(text_of(&line), "é日x");
    }

    #[test]
    fn no_color_drops_the_line_colours_but_keeps_the_text() {
        let options = RenderOptions {
            colors: false,
            ..RenderOptions::default()
        };

        let line = render(b"\x1b[31mred", &options);

        assert_eq!(line.spans[0].style, Style::new());
        assert_eq!(text_of(&line), "red");
    }
}
