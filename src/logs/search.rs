//! Search and filters over a [`LogStore`] view: plain text (case-insensitive by default) or
//! regex queries matched against what a line shows ([`plain_text`]), match ranges for
//! highlighting, next/previous match, a filtered view with context lines, and a level filter.
//!
//! Results are [`LineKey`]s, so they stay valid while lines arrive and drop off.

use std::collections::VecDeque;
use std::ops::Range;

use memchr::memmem::Finder;
use regex::{Regex, RegexBuilder};

use crate::logs::buffer::LineKey;
use crate::logs::level::Level;
use crate::logs::render::plain_text;
use crate::logs::store::{LogStore, Scope, ViewLine};

/// Why a query could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid search pattern {pattern:?}: {source}")]
    Pattern {
        pattern: String,
        #[source]
        source: regex::Error,
    },
}

/// How the text of a query is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// The text as typed.
    #[default]
    Plain,
    /// A regular expression (the `regex` crate's syntax, no look-around).
    Regex,
}

/// A compiled search.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    regex: Regex,
    /// For plain case-insensitive ASCII text: a substring finder for the lowercased text, run
    /// over lowercased ASCII lines (several times faster than a case-insensitive regex, which
    /// has to try every mix of cases).
    folded: Option<Finder<'static>>,
}

/// Patterns bigger than this are refused rather than compiled (they come from a prompt).
const MAX_PATTERN_SIZE: usize = 1 << 20;

impl Query {
    /// Compiles a query; plain text with `case_sensitive: false` is the default search.
    pub fn new(text: &str, syntax: Syntax, case_sensitive: bool) -> Result<Query, SearchError> {
        let pattern = match syntax {
            Syntax::Plain => regex::escape(text),
            Syntax::Regex => text.to_string(),
        };
        let regex = RegexBuilder::new(&pattern)
            .case_insensitive(!case_sensitive)
            .size_limit(MAX_PATTERN_SIZE)
            .build()
            .map_err(|source| SearchError::Pattern {
                pattern: text.to_string(),
                source,
            })?;
        let folded = (syntax == Syntax::Plain && !case_sensitive && !text.is_empty())
            .then_some(text)
            .filter(|text| text.is_ascii())
            .map(|text| Finder::new(text.to_ascii_lowercase().as_bytes()).into_owned());
        Ok(Query {
            text: text.to_string(),
            regex,
            folded,
        })
    }

    /// Plain text, case-insensitive.
    pub fn plain(text: &str) -> Result<Query, SearchError> {
        Query::new(text, Syntax::Plain, false)
    }

    /// The text the query was built from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when the line shows a match.
    pub fn is_match(&self, bytes: &[u8]) -> bool {
        self.is_match_with(bytes, &mut Vec::new())
    }

    /// [`Self::is_match`] with a scratch buffer reused across lines.
    fn is_match_with(&self, bytes: &[u8], scratch: &mut Vec<u8>) -> bool {
        let text = plain_text(bytes);
        if let Some(finder) = &self.folded {
            if text.is_ascii() {
                scratch.clear();
                scratch.extend_from_slice(text.as_bytes());
                scratch.make_ascii_lowercase();
                return finder.find(scratch).is_some();
            }
        }
        self.regex.is_match(&text)
    }

    /// Byte ranges of the matches in [`plain_text`] of the line, ready for
    /// [`RenderOptions::highlights`](crate::logs::RenderOptions). Empty matches are left out.
    pub fn ranges(&self, bytes: &[u8]) -> Vec<Range<usize>> {
        self.regex
            .find_iter(&plain_text(bytes))
            .map(|m| m.range())
            .filter(|r| !r.is_empty())
            .collect()
    }
}

/// Which way to look for the next match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// The matches of one query in one view, kept up to date as lines arrive.
#[derive(Debug, Clone)]
pub struct Matches {
    query: Query,
    scope: Scope,
    keys: VecDeque<LineKey>,
    scanned: u64,
}

impl Matches {
    /// Finds every match in the view now.
    pub fn new(store: &LogStore, scope: Scope, query: Query) -> Matches {
        let mut matches = Matches {
            query,
            scope,
            keys: VecDeque::new(),
            scanned: 0,
        };
        matches.update(store);
        matches
    }

    /// Adds matches among lines that arrived since the last call and forgets dropped ones.
    ///
    /// Lines are visited once: the cost is proportional to what arrived since.
    pub fn update(&mut self, store: &LogStore) {
        let mut found = Vec::new();
        let mut scratch = Vec::new();
        let len = store.len(self.scope);
        // New lines are near the end of the view; walk back until only old arrivals remain
        // (a late line can sit a little before the end in the merged view).
        // Shortcoming: a line that arrives more than 64 lines' worth of timestamps late is
        // missed until the next full search (`Matches::new`); tracking new arrivals per service
        // would close it (issue 4).
        let mut position = len;
        let mut old_in_a_row = 0;
        while position > 0 && old_in_a_row < 64 {
            position -= 1;
            let Some(line) = store.line(self.scope, position) else {
                break;
            };
            if line.key.arrival < self.scanned {
                old_in_a_row += 1;
                continue;
            }
            old_in_a_row = 0;
            if self.query.is_match_with(&line.line.bytes, &mut scratch) {
                found.push(line.key);
            }
        }
        self.scanned = store.arrivals();

        found.sort_unstable();
        for key in found {
            match self.keys.back() {
                Some(last) if *last > key => {
                    let at = self.keys.partition_point(|k| *k < key);
                    self.keys.insert(at, key);
                }
                _ => self.keys.push_back(key),
            }
        }
        let first = store.line(self.scope, 0).map(|l| l.key);
        while let (Some(front), Some(first)) = (self.keys.front(), first) {
            if *front >= first {
                break;
            }
            self.keys.pop_front();
        }
        if first.is_none() {
            self.keys.clear();
        }
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// How many lines match.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The matching lines, oldest first.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = LineKey> + '_ {
        self.keys.iter().copied()
    }

    /// The first match strictly after (or before) `from`, wrapping around at the ends; skips
    /// matches whose line has dropped out of the store.
    pub fn next(&self, store: &LogStore, from: LineKey, direction: Direction) -> Option<LineKey> {
        let split = self.keys.partition_point(|k| *k <= from);
        let kept = |k: &LineKey| store.contains(self.scope, *k);
        match direction {
            Direction::Forward => {
                let after = self.keys.range(split..).find(|k| kept(k));
                after
                    .or_else(|| self.keys.range(..split).find(|k| kept(k)))
                    .copied()
            }
            Direction::Backward => {
                let before = self.keys.partition_point(|k| *k < from);
                let earlier = self.keys.range(..before).rev().find(|k| kept(k));
                earlier
                    .or_else(|| self.keys.range(before..).rev().find(|k| kept(k)))
                    .copied()
            }
        }
    }
}

/// One row of a filtered view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A kept line; `is_match` is false for context lines.
    Line { key: LineKey, is_match: bool },
    /// Lines left out between two groups.
    Gap,
}

/// The matching lines with `context` lines before and after each, overlapping groups joined
/// and a [`Row::Gap`] between groups that do not touch.
pub fn with_context(store: &LogStore, matches: &Matches, context: usize) -> Vec<Row> {
    let scope = matches.scope();
    let mut groups: Vec<(Range<usize>, Vec<usize>)> = Vec::new();
    for key in matches.keys() {
        let position = store.position(scope, key);
        if store.line(scope, position).is_none_or(|l| l.key != key) {
            continue;
        }
        let range = position.saturating_sub(context)..position.saturating_add(context + 1);
        match groups.last_mut() {
            Some((last, hits)) if range.start <= last.end => {
                last.end = last.end.max(range.end);
                hits.push(position);
            }
            _ => groups.push((range, vec![position])),
        }
    }

    let mut rows = Vec::new();
    for (i, (range, hits)) in groups.into_iter().enumerate() {
        if i > 0 || range.start > 0 {
            rows.push(Row::Gap);
        }
        for (position, line) in range.clone().zip(store.lines(scope, range)) {
            rows.push(Row::Line {
                key: line.key,
                is_match: hits.binary_search(&position).is_ok(),
            });
        }
    }
    rows
}

/// The keys of the view's lines at `min` level or above; lines without a level are left out.
pub fn at_level(store: &LogStore, scope: Scope, min: Level) -> Vec<LineKey> {
    store
        .lines(scope, 0..usize::MAX)
        .filter(|line: &ViewLine| line.level.is_some_and(|level| level >= min))
        .map(|line| line.key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::buffer::Budget;
    use crate::ops::{LogLine, LogStream};

    fn store_of(lines: &[&str]) -> LogStore {
        let mut store = LogStore::new(Budget::default());
        for (i, text) in lines.iter().enumerate() {
            store.push(LogLine {
                service: "api".into(),
                timestamp: chrono::DateTime::from_timestamp(i as i64, 0),
                stream: LogStream::Stdout,
                bytes: text.as_bytes().to_vec(),
            });
        }
        store
    }

    fn key(store: &LogStore, position: usize) -> Option<LineKey> {
        store.line(Scope::All, position).map(|l| l.key)
    }

    #[test]
    fn plain_search_ignores_case_and_treats_regex_characters_literally() {
        let query = Query::plain("Err.").ok();

        assert!(query.as_ref().is_some_and(|q| q.is_match(b"an ERR. here")));
        assert!(
            query
                .as_ref()
                .is_some_and(|q| !q.is_match(b"an error here"))
        );
    }

    #[test]
    fn regex_search_finds_patterns_and_reports_bad_ones_by_name() {
        let query = Query::new(r"status=5\d\d", Syntax::Regex, true).ok();
        assert!(query.is_some_and(|q| q.is_match(b"GET / status=503")));

        let error = Query::new("(unclosed", Syntax::Regex, false).err();
        assert!(error.is_some_and(|e| e.to_string().contains("\"(unclosed\"")));
    }

    #[test]
    fn matches_are_found_in_what_the_line_shows_not_in_its_escapes() {
        let query = Query::plain("red alert").ok();

        let ranges = query.map(|q| q.ranges(b"\x1b[31mred\x1b[0m alert!"));

        let whole = 0..9;
        assert_eq!(ranges.as_deref(), Some(std::slice::from_ref(&whole)));
    }

    #[test]
    fn next_and_previous_match_wrap_around() {
        let store = store_of(&["a", "hit 1", "b", "hit 2", "c"]);
        let Ok(query) = Query::plain("hit") else {
            panic!("a plain query always compiles");
        };
        let matches = Matches::new(&store, Scope::All, query);
        let (Some(k0), Some(k1), Some(k3), Some(k4)) = (
            key(&store, 0),
            key(&store, 1),
            key(&store, 3),
            key(&store, 4),
        ) else {
            panic!("the store holds five lines");
        };

        assert_eq!(matches.len(), 2);
        assert_eq!(matches.next(&store, k0, Direction::Forward), Some(k1));
        assert_eq!(matches.next(&store, k1, Direction::Forward), Some(k3));
        assert_eq!(matches.next(&store, k4, Direction::Forward), Some(k1));
        assert_eq!(matches.next(&store, k1, Direction::Backward), Some(k3));
        assert_eq!(matches.next(&store, k4, Direction::Backward), Some(k3));
    }

    #[test]
    fn matches_follow_new_lines_and_forget_dropped_ones() {
        let mut store = LogStore::new(Budget {
            lines: 3,
            bytes: usize::MAX,
        });
        let line = |text: &str| LogLine {
            service: "api".into(),
            timestamp: None,
            stream: LogStream::Stdout,
            bytes: text.as_bytes().to_vec(),
        };
        store.push(line("hit old"));
        let Ok(query) = Query::plain("hit") else {
            panic!("a plain query always compiles");
        };
        let mut matches = Matches::new(&store, Scope::All, query);

        store.push(line("x"));
        store.push(line("y"));
        store.push(line("hit new"));
        matches.update(&store);

        assert_eq!(matches.len(), 1);
        assert_eq!(matches.keys().next(), key(&store, 2));
    }

    #[test]
    fn context_view_shows_lines_around_matches_and_gaps_between_groups() {
        let store = store_of(&["0", "1", "hit 2", "3", "4", "5", "6", "hit 7", "hit 8", "9"]);
        let Ok(query) = Query::plain("hit") else {
            panic!("a plain query always compiles");
        };
        let matches = Matches::new(&store, Scope::All, query);

        let rows = with_context(&store, &matches, 1);

        let shown: Vec<String> = rows
            .iter()
            .map(|row| match row {
                Row::Gap => "--".to_string(),
                Row::Line { key, is_match } => {
                    let position = store.position(Scope::All, *key);
                    let line = store.line(Scope::All, position);
                    let text = line.map(|l| String::from_utf8_lossy(&l.line.bytes).into_owned());
                    format!(
                        "{}{}",
                        if *is_match { "*" } else { "" },
                        text.unwrap_or_default()
                    )
                }
            })
            .collect();
        assert_eq!(
            shown,
            ["--", "1", "*hit 2", "3", "--", "6", "*hit 7", "*hit 8", "9"]
        );
    }

    #[test]
    fn level_filter_keeps_lines_at_or_above_the_level() {
        let store = store_of(&[
            "INFO up",
            "WARN slow",
            "ERROR down",
            "no level",
            r#"{"level":"fatal"}"#,
        ]);

        let kept = at_level(&store, Scope::All, Level::Warn);

        let positions: Vec<usize> = kept
            .iter()
            .map(|k| store.position(Scope::All, *k))
            .collect();
        assert_eq!(positions, [1, 2, 4]);
    }
}
