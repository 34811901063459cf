use std::collections::{BTreeMap, HashSet};

use super::{
    EventFields, FieldDraft, FieldOption, Kind, OnBadge, Sensitivity, Texts,
    answers::{Answer, Asked, Given, RawAnswer, check_answers, display, normalize, shown_answers},
    check_set,
};
use crate::{domain::validate::Validator, words::Lang};

fn draft(key: &str, kind: &str) -> FieldDraft {
    FieldDraft {
        key: key.to_owned(),
        kind: kind.to_owned(),
        label: Texts {
            en: key.to_owned(),
            ..Texts::default()
        },
        export: true,
        ..FieldDraft::default()
    }
}

fn codes(v: Validator) -> Vec<(String, String)> {
    v.into_violations()
        .into_iter()
        .map(|x| (x.field, x.code))
        .collect()
}

fn categories() -> HashSet<String> {
    ["VISITOR", "PRESS"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

#[test]
fn a_definition_is_checked_with_every_problem_named() {
    let mut d = draft("9bad", "colour");
    d.pattern = "(unclosed".to_owned();
    d.min = "5".to_owned();
    d.categories
        .insert("ALIENS".to_owned(), super::PlacementDraft::default());
    let mut v = Validator::new();
    d.check(&mut v, "fields[0].", &categories());
    let got = codes(v);
    for want in [
        ("fields[0].key", "NOT_A_FIELD_KEY"),
        ("fields[0].kind", "ONE_OF"),
        ("fields[0].min", "NOT_FOR_KIND"),
        ("fields[0].categories.ALIENS", "UNKNOWN_CATEGORY"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {got:?}"
        );
    }

    let mut d = draft("note", "text");
    d.pattern = "(unclosed".to_owned();
    let mut v = Validator::new();
    d.check(&mut v, "field.", &categories());
    assert_eq!(
        codes(v),
        [("field.pattern".to_owned(), "NOT_A_PATTERN".to_owned())]
    );

    let mut d = draft("passport_issuer", "text");
    d.sensitivity = "secret".to_owned();
    d.badge = "always".to_owned();
    let mut v = Validator::new();
    d.check(&mut v, "field.", &categories());
    assert_eq!(
        codes(v),
        [(
            "field.sensitivity".to_owned(),
            "SHOWN_BUT_PRIVATE".to_owned()
        )]
    );
}

#[test]
fn show_if_names_a_choice_of_the_same_scope_and_never_goes_round() {
    let mut a = draft("aa", "single_choice");
    a.options = vec![FieldOption {
        key: "x".to_owned(),
        label: Texts {
            en: "X".to_owned(),
            ..Texts::default()
        },
        retired: false,
    }];
    a.show_if = Some(super::ShowIf {
        field: "bb".to_owned(),
        any_of: vec!["y".to_owned()],
    });
    let mut b = draft("bb", "single_choice");
    b.options = vec![FieldOption {
        key: "y".to_owned(),
        label: Texts {
            en: "Y".to_owned(),
            ..Texts::default()
        },
        retired: false,
    }];
    b.show_if = Some(super::ShowIf {
        field: "aa".to_owned(),
        any_of: vec!["x".to_owned()],
    });
    let mut v = Validator::new();
    let defs = vec![
        a.check(&mut v, "fields[0].", &categories()),
        b.check(&mut v, "fields[1].", &categories()),
    ];
    check_set(&mut v, &defs, |i| format!("fields[{i}]."));
    let got = codes(v);
    assert!(
        got.iter().any(|(_, c)| c == "SHOW_IF_LOOP"),
        "a circle is refused: {got:?}"
    );

    let mut c = draft("cc", "text");
    c.show_if = Some(super::ShowIf {
        field: "missing".to_owned(),
        any_of: vec!["1".to_owned()],
    });
    let mut v = Validator::new();
    let defs = vec![c.check(&mut v, "fields[0].", &categories())];
    check_set(&mut v, &defs, |i| format!("fields[{i}]."));
    assert_eq!(
        codes(v),
        [(
            "fields[0].show_if.field".to_owned(),
            "UNKNOWN_FIELD".to_owned()
        )]
    );
}

fn fields_of(drafts: Vec<FieldDraft>) -> EventFields {
    let mut v = Validator::new();
    let defs: Vec<_> = drafts
        .iter()
        .map(|d| (d.check(&mut v, "", &categories()), 1))
        .collect();
    assert!(v.into_violations().is_empty());
    EventFields::new(defs)
}

#[test]
fn a_pattern_runs_in_linear_time_on_a_hostile_answer() {
    // `(a+)+$` is catastrophic for a backtracking engine; Rust's regex
    // answers in time linear in the answer.
    let mut d = draft("code", "long_text");
    d.pattern = "(a+)+$".to_owned();
    let fields = fields_of(vec![d]);
    let field = fields.get("code").unwrap();
    let hostile = format!("{}!", "a".repeat(4999));
    let verdict = normalize(field, &RawAnswer::Text(hostile), None);
    assert_eq!(verdict, Err(crate::words::Violation::Pattern));
    let fine = normalize(field, &RawAnswer::Text("a".repeat(5000)), None);
    assert!(fine.is_ok());
}

#[test]
fn an_old_answer_reads_with_the_labels_of_its_version() {
    let mut v1 = draft("sector", "single_choice");
    v1.options = vec![FieldOption {
        key: "energy".to_owned(),
        label: Texts {
            en: "Energy".to_owned(),
            ru: "Энергетика".to_owned(),
            uz: String::new(),
        },
        retired: false,
    }];
    let mut v2 = v1.clone();
    v2.options[0].label.en = "Power and energy".to_owned();
    v2.options[0].retired = true;
    let mut v = Validator::new();
    let one = v1.check(&mut v, "", &categories());
    let two = v2.check(&mut v, "", &categories());
    let fields = EventFields::new(vec![(one, 1), (two, 2)]);
    let old = Answer {
        v: 1,
        x: Some(serde_json::json!("energy")),
        s: None,
        b: false,
    };
    assert_eq!(display(&fields, "sector", &old, Lang::En), "Energy");
    assert_eq!(display(&fields, "sector", &old, Lang::Ru), "Энергетика");
    assert_eq!(
        display(&fields, "sector", &old, Lang::Uz),
        "Energy",
        "a missing language falls back to English"
    );
    let new = Answer {
        v: 2,
        ..old.clone()
    };
    assert_eq!(
        display(&fields, "sector", &new, Lang::En),
        "Power and energy"
    );

    // The retired option stays on whoever has it, and nobody takes it anew.
    let stored: BTreeMap<String, Answer> = [("sector".to_owned(), old)].into();
    let again: BTreeMap<String, Given> = [(
        "sector".to_owned(),
        Given {
            value: RawAnswer::Text("energy".to_owned()),
            on_badge: false,
        },
    )]
    .into();
    let asked = Asked {
        scope: super::Scope::Participant,
        category: Some("VISITOR"),
        check_required: true,
    };
    assert!(check_answers(&fields, asked, &stored, &again).is_ok());
    assert!(check_answers(&fields, asked, &BTreeMap::new(), &again).is_err());
}

#[test]
fn badges_and_gates_show_what_the_category_says() {
    let mut press = draft("press_card", "text");
    press.sensitivity = "public".to_owned();
    press.categories.insert(
        "PRESS".to_owned(),
        super::PlacementDraft {
            badge: Some("always".to_owned()),
            gate: Some(true),
            ..Default::default()
        },
    );
    let mut parking = draft("vip_parking", "boolean");
    parking.label.en = "VIP parking".to_owned();
    parking.gate = true;
    let fields = fields_of(vec![press, parking]);
    let def = &fields.get("press_card").unwrap().def;
    assert_eq!(def.kind, Kind::Text);
    assert_eq!(def.sensitivity, Sensitivity::Public);
    assert_eq!(def.placement(Some("PRESS")).unwrap().badge, OnBadge::Always);
    assert!(
        def.placement(Some("VISITOR")).is_none(),
        "asked of PRESS only"
    );
    let answers: BTreeMap<String, Answer> = [
        (
            "press_card".to_owned(),
            Answer {
                v: 1,
                x: Some(serde_json::json!("UZ-1234")),
                s: None,
                b: false,
            },
        ),
        (
            "vip_parking".to_owned(),
            Answer {
                v: 1,
                x: Some(serde_json::json!(true)),
                s: None,
                b: false,
            },
        ),
    ]
    .into();
    let at_gate: Vec<String> = shown_answers(&fields, "PRESS", &answers, Lang::En, |p, _| p.gate)
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(at_gate, ["press_card: UZ-1234", "VIP parking"]);
    let on_badge: Vec<String> =
        shown_answers(&fields, "PRESS", &answers, Lang::En, |p, a| match p.badge {
            OnBadge::Always => true,
            OnBadge::Choice => a.b,
            OnBadge::Never => false,
        })
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(on_badge, ["press_card: UZ-1234"]);
}
