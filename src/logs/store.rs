//! All services' logs: one ring buffer per service and a merged order of every kept line by
//! timestamp.
//!
//! Views address lines by position (0 = oldest kept line of the view) for drawing, and by
//! [`LineKey`] for anything that must survive new lines arriving and old ones dropping off
//! (a scroll anchor, a search match): a key means the same line in the merged view and in its
//! service's view, and keys of dropped lines simply stop resolving.

use std::collections::VecDeque;
use std::mem::size_of;
use std::ops::Range;

use crate::logs::buffer::{Budget, LineKey, LogBuffer};
use crate::logs::level::Level;
use crate::ops::LogLine;

/// A service known to the store, numbered in order of first appearance; the number is also
/// the service's stable colour index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub usize);

impl ServiceId {
    /// The index into a palette; the same service keeps the same colour for the whole run.
    pub fn colour_index(self, palette_len: usize) -> usize {
        self.0 % palette_len.max(1)
    }
}

/// Which lines a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every service, interleaved by timestamp.
    All,
    /// One service.
    Service(ServiceId),
}

/// One line as a view sees it.
#[derive(Debug, Clone, Copy)]
pub struct ViewLine<'a> {
    pub key: LineKey,
    pub service: ServiceId,
    /// The line's absolute sequence number within its service.
    pub seq: u64,
    pub level: Option<Level>,
    pub line: &'a LogLine,
}

#[derive(Debug, Clone, Copy)]
struct Merged {
    key: LineKey,
    service: ServiceId,
    seq: u64,
}

/// What all services together may hold by default: keeps the whole store, merged order
/// included, under 64 MiB however many services log.
pub const DEFAULT_TOTAL_BYTES: usize = 48 * 1024 * 1024;

/// Per-service ring buffers plus the merged order.
///
/// Memory is bounded twice: each service by its [`Budget`], and all services together by a
/// total byte budget (when it is exceeded, the service holding the most bytes loses its
/// oldest lines, so a quiet service keeps its history).
#[derive(Debug, Clone)]
pub struct LogStore {
    budget: Budget,
    total_bytes: usize,
    services: Vec<(String, LogBuffer)>,
    merged: VecDeque<Merged>,
    arrivals: u64,
}

impl LogStore {
    /// An empty store; every service gets its own buffer with `budget`.
    pub fn new(budget: Budget) -> LogStore {
        LogStore {
            budget,
            total_bytes: DEFAULT_TOTAL_BYTES,
            services: Vec::new(),
            merged: VecDeque::new(),
            arrivals: 0,
        }
    }

    /// The same store with a different total byte budget for all services together.
    pub fn with_total_bytes(self, total_bytes: usize) -> LogStore {
        LogStore {
            total_bytes,
            ..self
        }
    }

    /// Files a line under its service (creating the service on first sight) and returns where
    /// it went.
    ///
    /// A line without a timestamp, or with one earlier than its service's last line, is
    /// placed at its service's last timestamp. Cost: O(1) for the buffer; the merged order is
    /// kept with a binary search, and lines arriving in timestamp order append at its end.
    pub fn push(&mut self, line: LogLine) -> (ServiceId, LineKey) {
        let service = self.intern(&line.service);
        let buffer = &mut self.services[service.0].1;
        let key = LineKey {
            time: buffer.next_time(&line),
            arrival: self.arrivals,
        };
        self.arrivals += 1;
        let seq = buffer.next_seq();

        let dropped = buffer.push_keyed(line, key);

        for old in dropped {
            self.unmerge(old.key);
        }
        self.enforce_total();
        if buffer_is_keeping(&self.services[service.0].1, seq) {
            let entry = Merged { key, service, seq };
            match self.merged.back() {
                Some(last) if last.key > key => {
                    let at = self.merged.partition_point(|m| m.key < key);
                    self.merged.insert(at, entry);
                }
                _ => self.merged.push_back(entry),
            }
        }
        (service, key)
    }

    /// Drops the oldest lines of the largest service until all services fit the total.
    fn enforce_total(&mut self) {
        loop {
            let total: usize = self.services.iter().map(|(_, b)| b.bytes()).sum();
            if total <= self.total_bytes {
                return;
            }
            let largest = self.services.iter_mut().max_by_key(|(_, b)| b.bytes());
            let Some(old) = largest.and_then(|(_, b)| b.pop_front()) else {
                return;
            };
            self.unmerge(old.key);
        }
    }

    fn intern(&mut self, name: &str) -> ServiceId {
        if let Some(id) = self.service_id(name) {
            return id;
        }
        self.services
            .push((name.to_string(), LogBuffer::new(self.budget)));
        ServiceId(self.services.len() - 1)
    }

    /// Removes a dropped line from the merged order.
    ///
    /// Shortcoming: O(1) when the dropped line is the oldest overall (the usual case: the
    /// chattiest service drops lines), but a shift of up to half the merged order when a
    /// service whose oldest line sits mid-way drops one (unequal budgets); a lazily compacted
    /// order would bound it (issue 4).
    fn unmerge(&mut self, key: LineKey) {
        if self.merged.front().is_some_and(|m| m.key == key) {
            self.merged.pop_front();
            return;
        }
        let at = self.merged.partition_point(|m| m.key < key);
        if self.merged.get(at).is_some_and(|m| m.key == key) {
            self.merged.remove(at);
        }
    }

    pub fn service_id(&self, name: &str) -> Option<ServiceId> {
        self.services
            .iter()
            .position(|(n, _)| n == name)
            .map(ServiceId)
    }

    pub fn service_name(&self, id: ServiceId) -> Option<&str> {
        self.services.get(id.0).map(|(name, _)| name.as_str())
    }

    /// Every service seen so far, in order of first appearance.
    pub fn services(&self) -> impl Iterator<Item = (ServiceId, &str)> {
        self.services
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (ServiceId(i), name.as_str()))
    }

    pub fn buffer(&self, id: ServiceId) -> Option<&LogBuffer> {
        self.services.get(id.0).map(|(_, buffer)| buffer)
    }

    /// Lines in the view.
    pub fn len(&self, scope: Scope) -> usize {
        match scope {
            Scope::All => self.merged.len(),
            Scope::Service(id) => self.buffer(id).map_or(0, LogBuffer::len),
        }
    }

    pub fn is_empty(&self, scope: Scope) -> bool {
        self.len(scope) == 0
    }

    /// The line at `position` of the view (0 = oldest kept).
    pub fn line(&self, scope: Scope, position: usize) -> Option<ViewLine<'_>> {
        match scope {
            Scope::All => {
                let merged = self.merged.get(position)?;
                let buffer = self.buffer(merged.service)?;
                let index = usize::try_from(merged.seq.checked_sub(buffer.first_seq())?).ok()?;
                view_line(buffer, merged.service, index)
            }
            Scope::Service(id) => view_line(self.buffer(id)?, id, position),
        }
    }

    /// The lines at `range` of the view (clamped to what exists).
    pub fn lines(&self, scope: Scope, range: Range<usize>) -> impl Iterator<Item = ViewLine<'_>> {
        let end = range.end.min(self.len(scope));
        (range.start..end).filter_map(move |position| self.line(scope, position))
    }

    /// The position of the first line of the view whose key is at or after `key` (the view's
    /// length when there is none): where a scroll anchor or a match is now.
    pub fn position(&self, scope: Scope, key: LineKey) -> usize {
        match scope {
            Scope::All => self.merged.partition_point(|m| m.key < key),
            Scope::Service(id) => self.buffer(id).map_or(0, |b| b.position(key)),
        }
    }

    /// True while the line with `key` is still kept in the view.
    pub fn contains(&self, scope: Scope, key: LineKey) -> bool {
        let position = self.position(scope, key);
        self.line(scope, position)
            .is_some_and(|line| line.key == key)
    }

    /// The total number of lines ever pushed (kept or dropped).
    pub fn arrivals(&self) -> u64 {
        self.arrivals
    }

    /// Bytes the store holds: every buffer's cost plus the merged order.
    pub fn memory_bytes(&self) -> usize {
        let buffers: usize = self.services.iter().map(|(_, b)| b.bytes()).sum();
        buffers + self.merged.capacity() * size_of::<Merged>()
    }
}

fn buffer_is_keeping(buffer: &LogBuffer, seq: u64) -> bool {
    seq >= buffer.first_seq() && seq < buffer.next_seq()
}

fn view_line(buffer: &LogBuffer, service: ServiceId, index: usize) -> Option<ViewLine<'_>> {
    let entry = buffer.entry(index)?;
    Some(ViewLine {
        key: entry.key,
        service,
        seq: buffer.first_seq() + index as u64,
        level: entry.level,
        line: &entry.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::LogStream;

    fn at(service: &str, secs: i64, text: &str) -> LogLine {
        LogLine {
            service: service.to_string(),
            timestamp: chrono::DateTime::from_timestamp(secs, 0),
            stream: LogStream::Stdout,
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn texts(store: &LogStore, scope: Scope) -> Vec<String> {
        store
            .lines(scope, 0..usize::MAX)
            .map(|l| String::from_utf8_lossy(&l.line.bytes).into_owned())
            .collect()
    }

    #[test]
    fn merged_view_interleaves_services_by_timestamp_even_when_lines_arrive_late() {
        let mut store = LogStore::new(Budget::default());

        store.push(at("api", 1, "api 1"));
        store.push(at("api", 3, "api 3"));
        store.push(at("db", 2, "db 2"));
        store.push(at("db", 4, "db 4"));

        assert_eq!(
            texts(&store, Scope::All),
            ["api 1", "db 2", "api 3", "db 4"]
        );
        let db = store.service_id("db").map(Scope::Service);
        assert_eq!(
            db.map(|s| texts(&store, s)),
            Some(vec!["db 2".into(), "db 4".into()])
        );
    }

    #[test]
    fn services_keep_their_colour_index_in_order_of_first_appearance() {
        let mut store = LogStore::new(Budget::default());

        store.push(at("db", 1, "x"));
        store.push(at("api", 2, "x"));
        store.push(at("db", 3, "x"));

        assert_eq!(store.service_id("db"), Some(ServiceId(0)));
        assert_eq!(store.service_id("api"), Some(ServiceId(1)));
        assert_eq!(ServiceId(9).colour_index(8), 1);
    }

    #[test]
    fn a_chatty_service_does_not_push_out_a_quiet_one() {
        let mut store = LogStore::new(Budget {
            lines: 10,
            bytes: usize::MAX,
        });

        store.push(at("db", 0, "db ready"));
        for i in 0..1000 {
            store.push(at("api", i, "noise"));
        }

        assert_eq!(store.len(Scope::All), 11);
        assert_eq!(
            store.line(Scope::All, 0).map(|l| l.line.bytes.clone()),
            Some(b"db ready".to_vec())
        );
    }

    #[test]
    fn the_total_budget_takes_lines_from_the_largest_service_only() {
        let one = crate::logs::line_cost(&at("api", 0, "noise"));
        let mut store = LogStore::new(Budget::default()).with_total_bytes(one * 20);

        for i in 0..5 {
            store.push(at("db", i, "quiet"));
        }
        for i in 0..1000 {
            store.push(at("api", i, "noise"));
        }

        let db = store.service_id("db").map(Scope::Service);
        assert_eq!(db.map(|s| store.len(s)), Some(5));
        assert_eq!(store.len(Scope::All), 20);
        assert_eq!(
            store.line(Scope::All, 0).map(|l| l.line.bytes.clone()),
            Some(b"quiet".to_vec())
        );
    }

    #[test]
    fn a_key_keeps_pointing_at_its_line_as_old_lines_drop_off() {
        let mut store = LogStore::new(Budget {
            lines: 100,
            bytes: usize::MAX,
        });
        for i in 0..100 {
            store.push(at("api", i, &format!("line {i}")));
        }
        let anchor = store.line(Scope::All, 50).map(|l| l.key);

        for i in 100..130 {
            store.push(at("api", i, &format!("line {i}")));
        }

        let anchor = anchor.map(|k| store.position(Scope::All, k));
        assert_eq!(anchor, Some(20));
        let line = anchor.and_then(|p| store.line(Scope::All, p));
        assert_eq!(
            line.map(|l| l.line.bytes.clone()),
            Some(b"line 50".to_vec())
        );
        assert_eq!(line.map(|l| l.seq), Some(50));
    }

    #[test]
    fn a_dropped_line_is_no_longer_contained() {
        let mut store = LogStore::new(Budget {
            lines: 2,
            bytes: usize::MAX,
        });
        let (_, first) = store.push(at("api", 1, "a"));

        store.push(at("api", 2, "b"));
        assert!(store.contains(Scope::All, first));
        store.push(at("api", 3, "c"));

        assert!(!store.contains(Scope::All, first));
    }
}
