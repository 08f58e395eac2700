//! A ring buffer of log lines bounded by a line count and a byte count.

use std::collections::VecDeque;

use crate::ops::LogLine;

/// How much one buffer may hold; the oldest lines go first when either limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub lines: usize,
    pub bytes: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            lines: 100_000,
            bytes: 16 * 1024 * 1024,
        }
    }
}

/// Log lines in arrival order, never more than the budget allows.
#[derive(Debug, Clone, Default)]
pub struct LogBuffer {
    budget: Budget,
    lines: VecDeque<LogLine>,
    bytes: usize,
}

impl LogBuffer {
    pub fn new(budget: Budget) -> LogBuffer {
        LogBuffer {
            budget,
            lines: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Appends a line, dropping the oldest lines until the buffer is within its budget.
    pub fn push(&mut self, line: LogLine) {
        self.bytes += line.bytes.len();
        self.lines.push_back(line);
        while self.lines.len() > self.budget.lines || self.bytes > self.budget.bytes {
            match self.lines.pop_front() {
                Some(old) => self.bytes -= old.bytes.len(),
                None => break,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The line at `index`, counting from the oldest line kept.
    pub fn get(&self, index: usize) -> Option<&LogLine> {
        self.lines.get(index)
    }

    /// The lines kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Bytes held by the lines kept (their payloads, not the bookkeeping).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}
