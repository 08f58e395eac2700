//! Properties of the log store and renderer that must hold for any input, checked with
//! proptest, and regressions for inputs that freeze or corrupt other log viewers.

use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

use crate::logs::{
    Budget, LogStore, MAX_LINE_BYTES, Query, RenderOptions, Scope, Syntax, line_cost, plain_text,
    render,
};
use crate::ops::{LogLine, LogStream};

fn line(service: usize, secs: Option<i64>, bytes: Vec<u8>) -> LogLine {
    LogLine {
        service: format!("svc{service}"),
        timestamp: secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        stream: LogStream::Stdout,
        bytes,
    }
}

/// Bytes that look like logs often enough: escapes, controls, UTF-8 pieces, and plain text.
fn log_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\x1b[".to_vec()),
        Just(b"\x1b]0;".to_vec()),
        Just(b"\x1bP".to_vec()),
        Just(b"\x1b\\".to_vec()),
        Just(b"m".to_vec()),
        Just(b";".to_vec()),
        Just(b"38;2;".to_vec()),
        Just("日".as_bytes().to_vec()),
        Just("\u{202e}".as_bytes().to_vec()),
        Just(vec![0xc2, 0x9b]),
        Just(b"\t".to_vec()),
        Just(b"ERROR ".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
        "[a-z0-9 ]{0,12}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}

fn pushes() -> impl Strategy<Value = Vec<(usize, Option<i64>, Vec<u8>)>> {
    let one = (0usize..3, prop::option::of(0i64..50), log_bytes(6));
    prop::collection::vec(one, 0..120)
}

fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

proptest! {
    // Each case pushes up to 120 lines; 64 cases keep the debug test run short.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn memory_stays_within_budget_for_any_sequence_of_lines(
        lines in 1usize..50,
        kib in 1usize..8,
        total_kib in 1usize..16,
        input in pushes(),
    ) {
        let budget = Budget { lines, bytes: kib * 1024 };
        let mut store = LogStore::new(budget).with_total_bytes(total_kib * 1024);

        for (service, secs, bytes) in input {
            store.push(line(service, secs, bytes));

            let total: usize = store.services()
                .filter_map(|(id, _)| store.buffer(id).map(|b| b.bytes()))
                .sum();
            prop_assert!(total <= total_kib * 1024);

            for (id, _) in store.services() {
                let buffer = store.buffer(id);
                let buffer = buffer.ok_or_else(|| TestCaseError::fail("service vanished"))?;
                prop_assert!(buffer.len() <= budget.lines);
                prop_assert!(buffer.bytes() <= budget.bytes);
                let counted: usize = buffer.iter().map(line_cost).sum();
                prop_assert_eq!(counted, buffer.bytes());
            }
        }
    }

    #[test]
    fn keys_positions_and_sequence_numbers_stay_consistent(
        lines in 1usize..30,
        input in pushes(),
    ) {
        let mut store = LogStore::new(Budget { lines, bytes: usize::MAX });

        for (service, secs, bytes) in input {
            store.push(line(service, secs, bytes));
        }

        let total: usize = store.services().map(|(id, _)| store.len(Scope::Service(id))).sum();
        prop_assert_eq!(store.len(Scope::All), total);
        let mut previous = None;
        for position in 0..store.len(Scope::All) {
            let Some(view) = store.line(Scope::All, position) else {
                return Err(TestCaseError::fail(format!("no line at {position}")));
            };
            prop_assert!(previous < Some(view.key));
            prop_assert_eq!(store.position(Scope::All, view.key), position);
            let own = Scope::Service(view.service);
            let same = store.line(own, store.position(own, view.key));
            prop_assert_eq!(same.map(|l| (l.seq, l.key)), Some((view.seq, view.key)));
            let by_seq = store.buffer(view.service).and_then(|b| b.get_seq(view.seq));
            prop_assert_eq!(by_seq, Some(view.line));
            previous = Some(view.key);
        }
    }

    #[test]
    fn rendering_never_panics_and_never_emits_control_characters(
        bytes in log_bytes(40),
        max_columns in 0usize..120,
        cuts in prop::collection::vec(0usize..200, 0..6),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let ranges: Vec<_> = cuts.chunks(2).filter(|c| c.len() == 2).map(|c| c[0]..c[1]).collect();
        let options = RenderOptions {
            max_columns,
            highlights: &ranges,
            ..RenderOptions::default()
        };

        let rendered = render(&bytes, &options);

        let text: String = rendered.spans.iter().map(|s| s.content.as_ref()).collect();
        prop_assert!(!text.chars().any(unsafe_char), "{:?}", text);
        prop_assert!(text.width() <= max_columns);
        prop_assert!(plain_text(&bytes).starts_with(&text));
    }

    #[test]
    fn search_ranges_fall_on_character_boundaries_of_the_shown_text(
        bytes in log_bytes(40),
        pattern in "[a-z.\\\\]{1,3}",
    ) {
        let Ok(query) = Query::new(&pattern, Syntax::Regex, false)
            .or_else(|_| Query::plain(&pattern))
        else {
            return Err(TestCaseError::fail("a plain query always compiles"));
        };
        let text = plain_text(&bytes);

        for range in query.ranges(&bytes) {
            prop_assert!(text.get(range.clone()).is_some(), "{:?} in {:?}", range, text);
        }
    }

    #[test]
    fn plain_search_finds_a_line_exactly_when_it_has_match_ranges(
        bytes in log_bytes(40),
        needle in "[a-zA-Z0-9 日]{1,3}",
    ) {
        let Ok(query) = Query::plain(&needle) else {
            return Err(TestCaseError::fail("a plain query always compiles"));
        };

        prop_assert_eq!(query.is_match(&bytes), !query.ranges(&bytes).is_empty());
    }
}

#[test]
fn a_one_megabyte_line_inside_an_unterminated_osc_still_shows_its_cut_marker() {
    // Input that failed elsewhere: a 90 000-character line froze lazydocker for 20-30 s.
    let mut bytes = b"start \x1b]0;".to_vec();
    bytes.resize(1024 * 1024, b'x');
    let mut store = LogStore::new(Budget::default());

    store.push(line(0, None, bytes));

    let kept = store
        .line(Scope::All, 0)
        .map(|l| l.line.bytes.clone())
        .unwrap_or_default();
    assert!(kept.len() < MAX_LINE_BYTES + 100);
    let shown = plain_text(&kept);
    assert!(shown.starts_with("start "));
    assert!(
        shown.ends_with("kept 65536 of 1048576 bytes]"),
        "{}",
        &shown[..40]
    );
}

#[test]
fn a_one_megabyte_line_renders_only_the_visible_width() {
    let bytes = vec![b'y'; 1024 * 1024];
    let options = RenderOptions {
        max_columns: 200,
        ..RenderOptions::default()
    };

    let rendered = render(&bytes, &options);

    assert_eq!(rendered.width(), 200);
}

#[test]
fn invalid_utf8_in_every_position_is_replaced_not_dropped_or_passed_through() {
    // Input that failed elsewhere: raw Latin-1 bytes and a UTF-8 character cut by a line end.
    let bytes = b"\xe9t\xe9 caf\xc3\xa9 \xf0\x9f\x98".to_vec();

    assert_eq!(plain_text(&bytes), "\u{fffd}t\u{fffd} café \u{fffd}");
}
