//! A ring buffer of one service's log lines, bounded by a line count and a byte count.
//!
//! Every line gets an absolute sequence number when it arrives; numbers never repeat, so a
//! position held by a view stays meaningful while old lines drop off the front.

use std::collections::VecDeque;
use std::mem::size_of;

use crate::logs::level::{Level, detect_level};
use crate::ops::LogLine;

/// The most bytes of one line that are kept; the rest is replaced by [`cut_marker`].
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What the allocator spends on one heap block besides its payload (a fair guess for glibc).
const ALLOC_OVERHEAD: usize = 16;

/// How much one buffer may hold; the oldest lines go first when either limit is reached.
///
/// `bytes` counts everything a line costs in memory (payload, service name, the line's own
/// struct and allocator overhead), not only the payload, so it bounds the real footprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub lines: usize,
    pub bytes: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            lines: 100_000,
            // 100,000 lines of ~120 bytes cost ~25 MiB with bookkeeping.
            bytes: 32 * 1024 * 1024,
        }
    }
}

/// Where a line sits in the merged order of all services: its timestamp in nanoseconds (never
/// going backwards within one service), then its arrival number across all services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub time: i64,
    pub arrival: u64,
}

/// One kept line with what was worked out once on arrival.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) line: LogLine,
    pub(crate) key: LineKey,
    pub(crate) level: Option<Level>,
    cost: usize,
}

/// Log lines in arrival order, never more than the budget allows.
#[derive(Debug, Clone, Default)]
pub struct LogBuffer {
    budget: Budget,
    entries: VecDeque<Entry>,
    bytes: usize,
    first_seq: u64,
    last_time: i64,
    arrivals: u64,
}

impl LogBuffer {
    pub fn new(budget: Budget) -> LogBuffer {
        LogBuffer {
            budget,
            entries: VecDeque::new(),
            bytes: 0,
            first_seq: 0,
            last_time: i64::MIN,
            arrivals: 0,
        }
    }

    /// Appends a line, dropping the oldest lines until the buffer is within its budget.
    ///
    /// A line longer than [`MAX_LINE_BYTES`] is cut, with a marker saying how long it was. A
    /// line that alone exceeds the byte budget leaves the buffer empty.
    pub fn push(&mut self, line: LogLine) {
        let key = self.next_key(&line);
        self.arrivals += 1;
        self.push_keyed(line, key);
    }

    /// Appends a line under a key chosen by the caller (the store, which numbers arrivals
    /// across services), and returns the lines dropped to stay within budget.
    pub(crate) fn push_keyed(&mut self, mut line: LogLine, key: LineKey) -> Vec<Entry> {
        cap_line(&mut line.bytes);
        let level = detect_level(&line.bytes).or_else(|| {
            // A stack trace's indented lines belong to the line above them.
            let continued = matches!(line.bytes.first(), Some(b' ' | b'\t'));
            continued
                .then(|| self.entries.back().and_then(|e| e.level))
                .flatten()
        });
        let cost = line_cost(&line);

        self.last_time = key.time;
        self.bytes += cost;
        self.entries.push_back(Entry {
            line,
            key,
            level,
            cost,
        });

        let mut dropped = Vec::new();
        while self.entries.len() > self.budget.lines || self.bytes > self.budget.bytes {
            match self.pop_front() {
                Some(old) => dropped.push(old),
                None => break,
            }
        }
        dropped
    }

    /// Drops the oldest line.
    pub(crate) fn pop_front(&mut self) -> Option<Entry> {
        let old = self.entries.pop_front()?;
        self.bytes -= old.cost;
        self.first_seq += 1;
        Some(old)
    }

    /// The key the next line would get: its own timestamp, but never earlier than the last.
    pub(crate) fn next_time(&self, line: &LogLine) -> i64 {
        let time = line
            .timestamp
            .and_then(|t| t.timestamp_nanos_opt())
            .unwrap_or(self.last_time);
        time.max(self.last_time)
    }

    fn next_key(&self, line: &LogLine) -> LineKey {
        LineKey {
            time: self.next_time(line),
            arrival: self.arrivals,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The line at `index`, counting from the oldest line kept.
    pub fn get(&self, index: usize) -> Option<&LogLine> {
        self.entries.get(index).map(|e| &e.line)
    }

    /// The lines kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.entries.iter().map(|e| &e.line)
    }

    /// Bytes the kept lines cost in memory, bookkeeping included (see [`Budget`]).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The sequence number of the oldest line kept (equal to [`Self::next_seq`] when empty).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The sequence number the next pushed line will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }

    /// The line with absolute sequence number `seq`, if it is still kept.
    pub fn get_seq(&self, seq: u64) -> Option<&LogLine> {
        let index = seq.checked_sub(self.first_seq)?;
        self.get(usize::try_from(index).ok()?)
    }

    /// The level detected in the line at `index`, if any.
    pub fn level(&self, index: usize) -> Option<Level> {
        self.entries.get(index).and_then(|e| e.level)
    }

    pub(crate) fn entry(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    /// The index of the first kept line whose key is at or after `key`.
    pub(crate) fn position(&self, key: LineKey) -> usize {
        self.entries.partition_point(|e| e.key < key)
    }
}

/// What one kept line costs in memory: its payload and name allocations, its slot in the
/// ring and the allocator's overhead per block.
pub fn line_cost(line: &LogLine) -> usize {
    size_of::<Entry>() + line.bytes.capacity() + line.service.capacity() + 2 * ALLOC_OVERHEAD
}

/// The text appended to a cut line. It starts with ST (`ESC \`), which ends any escape sequence
/// or string the cut left open, so the marker always shows.
pub fn cut_marker(original_len: usize) -> Vec<u8> {
    format!("\x1b\\ … [line cut by capstan: kept {MAX_LINE_BYTES} of {original_len} bytes]")
        .into_bytes()
}

/// Cuts a line longer than [`MAX_LINE_BYTES`] at a character boundary and marks the cut; also
/// gives back spare capacity so the budget counts what is really held.
fn cap_line(bytes: &mut Vec<u8>) {
    if bytes.len() > MAX_LINE_BYTES {
        let original_len = bytes.len();
        let mut end = MAX_LINE_BYTES;
        // Back off over UTF-8 continuation bytes so a character is not split (at most 3).
        while end > MAX_LINE_BYTES - 4 && (bytes[end] & 0xC0) == 0x80 {
            end -= 1;
        }
        bytes.truncate(end);
        bytes.extend_from_slice(&cut_marker(original_len));
    }
    if bytes.capacity() > bytes.len() + bytes.len() / 8 + 64 {
        bytes.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::LogStream;

    fn line(text: &[u8]) -> LogLine {
        LogLine {
            service: "api".to_string(),
            timestamp: None,
            stream: LogStream::Stdout,
            bytes: text.to_vec(),
        }
    }

    #[test]
    fn oldest_lines_drop_when_the_line_budget_is_reached() {
        let mut buffer = LogBuffer::new(Budget {
            lines: 3,
            bytes: usize::MAX,
        });

        for i in 0..5 {
            buffer.push(line(format!("line {i}").as_bytes()));
        }

        assert_eq!(buffer.len(), 3);
        assert_eq!(
            buffer.get(0).map(|l| l.bytes.as_slice()),
            Some(&b"line 2"[..])
        );
        assert_eq!(buffer.first_seq(), 2);
        assert_eq!(buffer.next_seq(), 5);
        assert_eq!(
            buffer.get_seq(4).map(|l| l.bytes.as_slice()),
            Some(&b"line 4"[..])
        );
        assert!(buffer.get_seq(1).is_none());
    }

    #[test]
    fn byte_budget_counts_per_line_overhead_not_only_payload() {
        let one = line_cost(&line(b""));
        let mut buffer = LogBuffer::new(Budget {
            lines: usize::MAX,
            bytes: one * 10,
        });

        for _ in 0..100 {
            buffer.push(line(b""));
        }

        assert_eq!(buffer.len(), 10);
        assert!(buffer.bytes() <= one * 10);
    }

    #[test]
    fn a_one_megabyte_line_is_cut_to_64_kib_with_a_marker() {
        let mut buffer = LogBuffer::new(Budget::default());

        buffer.push(line(&vec![b'x'; 1024 * 1024]));

        let kept = &buffer.get(0).map(|l| l.bytes.clone()).unwrap_or_default();
        assert!(kept.len() < MAX_LINE_BYTES + 100);
        assert!(kept.starts_with(&[b'x'; MAX_LINE_BYTES]));
        assert!(kept.ends_with(b"kept 65536 of 1048576 bytes]"));
    }

    #[test]
    fn a_cut_never_splits_a_utf8_character() {
        let mut text = vec![b'a'; MAX_LINE_BYTES - 1];
        text.extend_from_slice("é and more".as_bytes());
        text.extend_from_slice(&[b'y'; 100]);
        let mut bytes = text.clone();

        cap_line(&mut bytes);

        assert_eq!(&bytes[..MAX_LINE_BYTES - 1], &text[..MAX_LINE_BYTES - 1]);
        assert_eq!(bytes[MAX_LINE_BYTES - 1], 0x1b);
    }

    #[test]
    fn indented_lines_inherit_the_level_of_the_line_above() {
        let mut buffer = LogBuffer::new(Budget::default());

        buffer.push(line(b"ERROR boom"));
        buffer.push(line(b"    at main.rs:1"));
        buffer.push(line(b"next"));

        assert_eq!(buffer.level(1), Some(Level::Error));
        assert_eq!(buffer.level(2), None);
    }

    #[test]
    fn timestamps_never_go_backwards_within_one_buffer() {
        let mut buffer = LogBuffer::new(Budget::default());
        let later = chrono::DateTime::from_timestamp(2_000, 0);
        let earlier = chrono::DateTime::from_timestamp(1_000, 0);

        buffer.push(LogLine {
            timestamp: later,
            ..line(b"a")
        });
        buffer.push(LogLine {
            timestamp: earlier,
            ..line(b"b")
        });

        let keys: Vec<LineKey> = (0..2)
            .filter_map(|i| buffer.entry(i).map(|e| e.key))
            .collect();
        assert!(keys[0] < keys[1]);
        assert_eq!(keys[0].time, keys[1].time);
    }
}
