//! Whole log lines from the messages the engine sends.
//!
//! Docker's log drivers cut a line longer than 16 KiB into partial messages, and the log API
//! sends each as its own frame with its own timestamp; only the last piece of a line ends with a
//! newline. [`LineJoiner`] glues the pieces of each stream (stdout, stderr) back together, up to
//! [`MAX_LINE_BYTES`] per line, so that one line written by a container stays one line.

use bollard::container::LogOutput;
use chrono::{DateTime, Utc};

use super::LogChunk;
use crate::logs::MAX_LINE_BYTES;

/// One message of a container's log: a whole line, or a piece of one when it does not end the
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Piece {
    pub(super) chunk: LogChunk,
    pub(super) ends_line: bool,
}

/// Reads one message of the log API, sent with timestamps on: an RFC 3339 time, a space, then
/// the bytes, with a newline at the end of a line.
pub(super) fn to_piece(output: LogOutput) -> Piece {
    let stderr = matches!(output, LogOutput::StdErr { .. });
    let bytes = output.into_bytes();
    let ends_line = bytes.ends_with(b"\n");
    let mut line = bytes.as_ref();
    while let Some(rest) = line.strip_suffix(b"\n") {
        line = rest;
    }

    let (timestamp, line) = match line.iter().position(|&b| b == b' ') {
        Some(space) => match parse_time(&line[..space]) {
            Some(at) => (Some(at), &line[space + 1..]),
            None => (None, line),
        },
        None => (None, line),
    };
    Piece {
        chunk: LogChunk {
            stderr,
            timestamp,
            bytes: line.to_vec(),
        },
        ends_line,
    }
}

fn parse_time(text: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(text).ok()?;
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    Some(at.with_timezone(&Utc))
}

/// Joins the pieces of each stream into lines.
///
/// A line keeps the timestamp of its first piece. A line longer than [`MAX_LINE_BYTES`] comes
/// out in parts of at most that size, cut between UTF-8 characters where the bytes allow, so a
/// line that never ends cannot use more memory than that per stream.
///
/// Known gap: the API does not mark pieces, so what a container left unfinished when it stopped
/// is joined to the first line of its next run (`docker logs` shows them together too), and a
/// follower that resumes after such a stop skips the joined line, whose timestamp it has
/// seen. Docker 20.10 gives every piece of a line its first piece's timestamp, which would tell
/// them apart; the mark goes when the oldest engine Capstan supports is known to do so and the
/// join checks it.
#[derive(Debug, Default)]
pub(super) struct LineJoiner {
    /// The unfinished line of stdout (0) and of stderr (1).
    pending: [Option<Pending>; 2],
    arrivals: u64,
}

#[derive(Debug)]
struct Pending {
    chunk: LogChunk,
    /// When the line began, to give back unfinished lines in the order they began.
    arrival: u64,
}

impl LineJoiner {
    /// Takes the next piece; gives back the lines it completes, oldest first.
    pub(super) fn push(&mut self, piece: Piece) -> Vec<LogChunk> {
        let Piece { chunk, ends_line } = piece;
        let slot = usize::from(chunk.stderr);
        let timestamp = chunk.timestamp;
        let mut pending = match self.pending[slot].take() {
            Some(mut pending) => {
                pending.chunk.bytes.extend_from_slice(&chunk.bytes);
                pending
            }
            None => {
                self.arrivals += 1;
                Pending {
                    chunk,
                    arrival: self.arrivals,
                }
            }
        };

        // Emit full parts while the line is over the bound; the rest began in this piece.
        let mut lines = Vec::new();
        while pending.chunk.bytes.len() > MAX_LINE_BYTES {
            let cut = char_boundary(&pending.chunk.bytes, MAX_LINE_BYTES);
            let rest = pending.chunk.bytes.split_off(cut);
            let part = std::mem::replace(&mut pending.chunk.bytes, rest);
            lines.push(LogChunk {
                stderr: pending.chunk.stderr,
                timestamp: pending.chunk.timestamp,
                bytes: part,
            });
            pending.chunk.timestamp = timestamp;
        }

        if ends_line {
            lines.push(pending.chunk);
        } else {
            self.pending[slot] = Some(pending);
        }
        lines
    }

    /// The unfinished lines, in the order they began, for a stream that has ended.
    pub(super) fn finish(&mut self) -> Vec<LogChunk> {
        let mut pending: Vec<Pending> = self.pending.iter_mut().filter_map(Option::take).collect();
        pending.sort_by_key(|p| p.arrival);
        pending.into_iter().map(|p| p.chunk).collect()
    }
}

/// The largest cut at or below `max` that does not split a UTF-8 character; `max` itself when
/// the bytes there are not UTF-8. `bytes` is longer than `max`.
fn char_boundary(bytes: &[u8], max: usize) -> usize {
    let continuation = |at: usize| bytes.get(at).is_some_and(|b| b & 0xC0 == 0x80);
    // A character is at most 4 bytes: at most 3 continuation bytes follow its first byte.
    (0..4)
        .map(|back| max - back)
        .find(|&at| at > 0 && !continuation(at))
        .unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: &str = "2026-12-03T10:00:00.000000001Z";
    const SECOND: &str = "2026-12-03T10:00:00.000000002Z";

    fn stdout(at: &str, text: &[u8]) -> Piece {
        to_piece(LogOutput::StdOut {
            message: [at.as_bytes(), b" ", text].concat().into(),
        })
    }

    fn stderr(at: &str, text: &[u8]) -> Piece {
        to_piece(LogOutput::StdErr {
            message: [at.as_bytes(), b" ", text].concat().into(),
        })
    }

    fn time(at: &str) -> Option<DateTime<Utc>> {
        parse_time(at.as_bytes())
    }

    fn join(pieces: Vec<Piece>) -> Vec<LogChunk> {
        let mut joiner = LineJoiner::default();
        let mut lines: Vec<LogChunk> = pieces.into_iter().flat_map(|p| joiner.push(p)).collect();
        lines.extend(joiner.finish());
        lines
    }

    #[test]
    fn a_message_with_a_newline_ends_a_line_and_one_without_is_a_piece() {
        let whole = stdout(FIRST, b"hello\n");
        let piece = stdout(FIRST, b"hel");

        assert!(whole.ends_line);
        assert!(!piece.ends_line);
        assert_eq!(whole.chunk.bytes, b"hello");
        assert_eq!(whole.chunk.timestamp, time(FIRST));
    }

    #[test]
    fn pieces_of_a_long_line_join_into_one_line_with_the_first_timestamp() {
        // Regression: a 60,000-character request line came out as 4 lines of ~16 KiB.
        let pieces = vec![
            stdout(FIRST, &[b'a'; 16 * 1024]),
            stdout(SECOND, &[b'b'; 16 * 1024]),
            stdout(SECOND, b"end\n"),
            stdout(SECOND, b"next\n"),
        ];

        let lines = join(pieces);

        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].bytes.len(), 32 * 1024 + 3);
        assert!(lines[0].bytes.ends_with(b"bend"));
        assert_eq!(lines[0].timestamp, time(FIRST));
        assert_eq!(lines[1].bytes, b"next");
        assert_eq!(lines[1].timestamp, time(SECOND));
    }

    #[test]
    fn a_character_cut_between_two_pieces_comes_back_whole() {
        let euro = "€".as_bytes();
        let pieces = vec![
            stdout(FIRST, &[b"price ", &euro[..1]].concat()),
            stdout(SECOND, &[&euro[1..], b"5\n"].concat()),
        ];

        let lines = join(pieces);

        assert_eq!(lines.len(), 1);
        assert_eq!(std::str::from_utf8(&lines[0].bytes), Ok("price €5"));
    }

    #[test]
    fn stdout_and_stderr_pieces_interleaved_join_within_their_own_stream() {
        let pieces = vec![
            stdout(FIRST, b"out "),
            stderr(FIRST, b"err "),
            stdout(SECOND, b"line\n"),
            stderr(SECOND, b"line\n"),
        ];

        let lines = join(pieces);

        let shown: Vec<(bool, &[u8])> = lines.iter().map(|l| (l.stderr, &l.bytes[..])).collect();
        assert_eq!(shown, [(false, &b"out line"[..]), (true, &b"err line"[..])]);
    }

    #[test]
    fn a_line_that_never_ends_comes_out_in_parts_of_the_maximum_size() {
        let piece = vec![b'x'; 16 * 1024];
        let mut joiner = LineJoiner::default();

        let mut lines = Vec::new();
        for _ in 0..10 {
            lines.extend(joiner.push(stdout(FIRST, &piece)));
        }

        // 160 KiB: two full parts out, 32 KiB still waiting for the rest of the line.
        let lengths: Vec<usize> = lines.iter().map(|l| l.bytes.len()).collect();
        assert_eq!(lengths, [MAX_LINE_BYTES, MAX_LINE_BYTES]);
        let rest = joiner.finish();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].bytes.len(), 32 * 1024);
    }

    #[test]
    fn a_line_of_exactly_the_maximum_size_stays_one_line() {
        let pieces = vec![
            stdout(FIRST, &vec![b'x'; MAX_LINE_BYTES]),
            stdout(FIRST, b"\n"),
        ];

        let lines = join(pieces);

        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].bytes.len(), MAX_LINE_BYTES);
    }

    #[test]
    fn a_part_cut_at_the_maximum_size_never_splits_a_character() {
        let mut text = vec![b'a'; MAX_LINE_BYTES - 1];
        text.extend_from_slice("€ after\n".as_bytes());

        let lines = join(vec![stdout(FIRST, &text)]);

        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].bytes.len(), MAX_LINE_BYTES - 1);
        assert_eq!(std::str::from_utf8(&lines[1].bytes), Ok("€ after"));
    }

    #[test]
    fn a_stream_that_ends_mid_line_gives_back_its_pieces_in_the_order_they_began() {
        let pieces = vec![
            stderr(FIRST, b"err "),
            stdout(FIRST, b"out "),
            stderr(SECOND, b"more"),
        ];

        let lines = join(pieces);

        let shown: Vec<&[u8]> = lines.iter().map(|l| &l.bytes[..]).collect();
        assert_eq!(shown, [&b"err more"[..], &b"out "[..]]);
    }
}
