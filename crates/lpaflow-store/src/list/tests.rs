use super::sql::prefix_end;
use super::*;
use crate::cursor::{self, Key, Position};

#[track_caller]
fn check_end(word: &str, end: Option<&str>) {
    assert_eq!(prefix_end(word).as_deref(), end, "{word:?}");
    if let Some(end) = end {
        assert!(word < end, "{word:?} < {end:?}");
        let longer = format!("{word}\u{10FFFF}\u{10FFFF}");
        assert!(
            longer.as_str() < end,
            "every extension of {word:?} is below {end:?}"
        );
    }
}

#[test]
fn a_prefix_ends_at_its_last_character_incremented() {
    check_end("smi", Some("smj"));
    check_end("a9", Some("a:"));
    check_end("zoë", Some("zoì"));
    check_end("x\u{D7FF}", Some("x\u{E000}"));
    check_end("ab\u{10FFFF}", Some("ac"));
    check_end("\u{10FFFF}\u{10FFFF}", None);
    check_end("", None);
}

#[test]
fn nothing_between_a_prefix_and_its_end_lacks_the_prefix() {
    let end = prefix_end("smi").unwrap();
    for s in ["smi", "smit", "smith", "smizzz", "smi\u{10FFFF}"] {
        assert!(s >= "smi" && s < end.as_str(), "{s} in range");
    }
    for s in ["sm", "smh", "smj", "smja", "sn"] {
        assert!(!(s >= "smi" && s < end.as_str()), "{s} out of range");
    }
}

fn position(key: Key) -> Position {
    Position {
        key,
        uid: "M-0000-0000-0001".to_owned(),
    }
}

#[test]
fn cursors_round_trip_in_their_own_order_only() {
    let cases = [
        (ListSort::Created, position(Key::Time(-5))),
        (
            ListSort::Updated,
            position(Key::Time(1_767_600_000_000_000)),
        ),
        (ListSort::Reference, position(Key::Uid)),
        (ListSort::Title, position(Key::Untitled)),
        (ListSort::Title, position(Key::Titled)),
    ];
    for (sort, pos) in cases {
        for descending in [false, true] {
            let c = cursor::encode(sort, descending, &pos);
            assert_eq!(cursor::decode(&c, sort, descending).unwrap(), pos, "{c}");
            assert!(cursor::decode(&c, sort, !descending).is_err(), "{c}");
            for other in [
                ListSort::Created,
                ListSort::Updated,
                ListSort::Reference,
                ListSort::Title,
            ] {
                if other != sort {
                    assert!(cursor::decode(&c, other, descending).is_err(), "{c}");
                }
            }
        }
    }
}

#[test]
fn malformed_cursors_are_refused() {
    for bad in [
        "",
        "created.asc.12",
        "created.asc.x.M-1",
        "created.up.1.M-1",
        "reference.asc.1.M-1",
        "title.asc.zz.M-1",
        "title.asc.ff.M-1",
        "created.asc.1.two words",
    ] {
        assert!(
            cursor::decode(bad, ListSort::Created, false).is_err()
                && cursor::decode(bad, ListSort::Reference, false).is_err()
                && cursor::decode(bad, ListSort::Title, false).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn placeholders_follow_the_values_in_each_dialect() {
    let q = ListQuery {
        labels: vec!["a".into(), "b".into()],
        state: Some("draft".into()),
        words: vec!["smi".into(), String::new()],
        sort: ListSort::Title,
        descending: true,
        cursor: Some(cursor::encode(
            ListSort::Title,
            true,
            &position(Key::Titled),
        )),
        limit: 2,
        ..ListQuery::default()
    };
    let listing = Listing::new(&q).unwrap();
    let pg = listing.page(Dialect::Postgres);
    let lite = listing.page(Dialect::Sqlite);
    assert_eq!(pg.args, lite.args);
    assert_eq!(pg.text.replace('$', "?"), lite.text);
    assert_eq!(
        pg.args,
        [
            Arg::Text("a".into()),
            Arg::Text("b".into()),
            Arg::Text("draft".into()),
            Arg::Text("smi".into()),
            Arg::Text("smj".into()),
            // The title is read again by the uid, never carried in the cursor.
            Arg::Text("M-0000-0000-0001".into()),
            Arg::Text("M-0000-0000-0001".into()),
            Arg::Int(3),
        ]
    );
    for n in 1..=8 {
        assert!(pg.text.contains(&format!("${n}")), "{}", pg.text);
    }
    assert!(pg.text.contains("NOT t.personal"), "{}", pg.text);
    assert!(
        pg.text
            .contains("ORDER BY i.title DESC NULLS LAST, l.uid DESC")
    );
    let counted = count(&q, Dialect::Postgres);
    assert_eq!(counted.args.len(), 5, "no cursor, no limit");
}
