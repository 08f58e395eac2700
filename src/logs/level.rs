//! Log levels: detected in JSON lines (`level`, `lvl`, `severity`) and in common text formats
//! (`ERROR`, `level=warn`, `[error]`, `[core:warn]`, MariaDB's `[Warning]`), and JSON lines
//! pretty-printed on demand.
//!
//! Detection runs once per line on arrival, so it only scans a line's first bytes and never
//! parses whole JSON documents.

use crate::logs::render::plain_text;

/// How serious a line is; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// Reads a level name as log libraries write it, in any case ("warning", "ERR", "crit").
    pub fn from_name(name: &str) -> Option<Level> {
        let mut buf = [0u8; 16];
        let level = match lowercase(name, &mut buf)? {
            "trace" | "trc" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "inf" | "information" | "notice" | "note" => Level::Info,
            "warn" | "wrn" | "warning" => Level::Warn,
            "error" | "err" | "eror" => Level::Error,
            "fatal" | "critical" | "crit" | "panic" | "emerg" | "emergency" | "alert" => {
                Level::Fatal
            }
            _ => return None,
        };
        Some(level)
    }

    /// Reads a numeric level: bunyan/pino (10 trace … 60 fatal) or syslog (0 emerg … 7 debug).
    fn from_number(n: u64) -> Option<Level> {
        let level = match n {
            0..=2 => Level::Fatal,
            3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            7 => Level::Debug,
            10 => Level::Trace,
            20 => Level::Debug,
            30 => Level::Info,
            40 => Level::Warn,
            50 => Level::Error,
            60 => Level::Fatal,
            _ => return None,
        };
        Some(level)
    }
}

/// How far into a line detection looks: levels sit near the start of every format we know.
const SCAN_BYTES: usize = 512;

/// The JSON keys that carry a level, in the order they are tried.
const JSON_KEYS: [&str; 4] = ["\"level\"", "\"lvl\"", "\"severity\"", "\"log.level\""];

/// Finds the level of one raw line, if it states one.
pub fn detect_level(bytes: &[u8]) -> Option<Level> {
    let head = &bytes[..bytes.len().min(SCAN_BYTES)];
    if head.contains(&0x1b) {
        let plain = plain_text(head);
        return detect_in_text(plain.as_bytes());
    }
    detect_in_text(head)
}

fn detect_in_text(head: &[u8]) -> Option<Level> {
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    if head[start] == b'{' {
        if let Some(level) = detect_json(&head[start..]) {
            return Some(level);
        }
    }
    detect_words(head)
}

/// Looks for `"level": "warn"` (or a number) without parsing the document.
fn detect_json(head: &[u8]) -> Option<Level> {
    for key in JSON_KEYS {
        let Some(at) = find(head, key.as_bytes()) else {
            continue;
        };
        let rest = skip_ws(&head[at + key.len()..]);
        let Some(rest) = rest.strip_prefix(b":") else {
            continue;
        };
        let rest = skip_ws(rest);
        if let Some(value) = rest.strip_prefix(b"\"") {
            let end = value.iter().position(|&b| b == b'"')?;
            return std::str::from_utf8(&value[..end])
                .ok()
                .and_then(Level::from_name);
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let number = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        return Level::from_number(number);
    }
    None
}

/// Looks at the words of a text line: `level=warn`, `[error]`, `[core:warn]`, bare `ERROR`.
fn detect_words(head: &[u8]) -> Option<Level> {
    let mut i = 0;
    while i < head.len() {
        if !is_word_byte(head[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < head.len() && is_word_byte(head[i]) {
            i += 1;
        }
        let word = std::str::from_utf8(&head[start..i]).ok()?;
        let before = start.checked_sub(1).map(|j| head[j]);
        let after = head.get(i).copied();

        // `level=warn`, `lvl: "warn"`, `severity=ERROR`
        if is_level_key(word) {
            let rest = &head[i..];
            let rest = rest.strip_prefix(b"=").or_else(|| rest.strip_prefix(b": "));
            if let Some(rest) = rest {
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                let len = rest.iter().take_while(|&&b| is_word_byte(b)).count();
                if let Some(level) = std::str::from_utf8(&rest[..len])
                    .ok()
                    .and_then(Level::from_name)
                {
                    return Some(level);
                }
            }
            continue;
        }

        let Some(level) = Level::from_name(word) else {
            continue;
        };
        let bracketed =
            matches!(before, Some(b'[' | b':' | b'<')) && matches!(after, Some(b']' | b'>'));
        let shouted = word.len() >= 3 && word.bytes().all(|b| b.is_ascii_uppercase());
        if bracketed || shouted {
            return Some(level);
        }
    }
    None
}

fn is_level_key(word: &str) -> bool {
    let mut buf = [0u8; 16];
    matches!(
        lowercase(word, &mut buf),
        Some("level" | "lvl" | "severity" | "loglevel")
    )
}

/// The word in lowercase, without allocating (detection runs on every line); `None` for words
/// longer than any level name.
fn lowercase<'a>(word: &str, buf: &'a mut [u8; 16]) -> Option<&'a str> {
    let out = buf.get_mut(..word.len())?;
    out.copy_from_slice(word.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).ok()
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_ws(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The line as indented JSON, when it is a JSON object or array; the raw line is untouched.
///
/// Keys keep their order and numbers their exact text (nothing is re-encoded: the valid
/// document is only re-indented). Surrounding whitespace is allowed; anything else that is not
/// a JSON object or array gives `None`.
pub fn pretty_json(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    Some(reindent(text))
}

/// Re-indents a valid JSON document by two spaces per level, keeping every token as written.
fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };

    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Keep empty containers on one line.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_levels_are_found_under_level_lvl_and_severity() {
        assert_eq!(
            detect_level(br#"{"level":"warn","msg":"x"}"#),
            Some(Level::Warn)
        );
        assert_eq!(
            detect_level(br#"{"msg":"x", "lvl" : "ERROR"}"#),
            Some(Level::Error)
        );
        assert_eq!(
            detect_level(br#" {"severity":"CRITICAL"}"#),
            Some(Level::Fatal)
        );
        assert_eq!(
            detect_level(br#"{"level":30,"msg":"pino"}"#),
            Some(Level::Info)
        );
    }

    #[test]
    fn common_text_formats_are_recognised() {
        let cases: [(&[u8], Level); 8] = [
            (b"2024-01-01T00:00:00Z ERROR db: gone", Level::Error),
            (b"2024-01-01 WARN something", Level::Warn),
            (b"ts=1 level=warn msg=slow", Level::Warn),
            (b"time=\"x\" level=\"debug\" msg=y", Level::Debug),
            (b"[Tue Jan 01] [error] [client 1.2.3.4] boom", Level::Error),
            (b"[Tue Jan 01] [proxy:warn] [pid 7] AH01144", Level::Warn),
            (b"2024-01-01 0 [Warning] Aborted connection", Level::Warn),
            (b"2024-01-01 0 [Note] mariadbd: ready", Level::Info),
        ];
        for (line, level) in cases {
            assert_eq!(
                detect_level(line),
                Some(level),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn lowercase_words_in_free_text_are_not_levels() {
        assert_eq!(detect_level(b"request finished with no error"), None);
        assert_eq!(detect_level(b"GET /api/people 200"), None);
    }

    #[test]
    fn a_coloured_level_word_is_still_found() {
        assert_eq!(
            detect_level(b"\x1b[31mERROR\x1b[0m failed"),
            Some(Level::Error)
        );
    }

    #[test]
    fn levels_order_from_trace_to_fatal() {
        assert!(Level::Trace < Level::Debug && Level::Warn < Level::Error);
        assert!(Level::Error < Level::Fatal);
    }

    #[test]
    fn pretty_json_indents_objects_and_refuses_other_text() {
        let pretty = pretty_json(br#"{"a":1,"b":[true]}"#);

        assert_eq!(
            pretty.as_deref(),
            Some("{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}")
        );
        let ordered = pretty_json(br#"{"z":1.50,"a":"x,{y}","e":{}}"#);
        assert_eq!(
            ordered.as_deref(),
            Some("{\n  \"z\": 1.50,\n  \"a\": \"x,{y}\",\n  \"e\": {}\n}")
        );
        assert_eq!(pretty_json(b"not json"), None);
        assert_eq!(pretty_json(b"{broken"), None);
    }
}
