use diesel_async::RunQueryDsl as _;
use expopass::{
    domain::{Role, registration::SearchInput},
    proto::pb,
};

use crate::support::{TestApp, builders::person, violated_fields};

async fn search(
    app: &TestApp,
    request: pb::SearchParticipantsRequest,
) -> pb::SearchParticipantsResponse {
    app.desk()
        .search_participants(request)
        .await
        .unwrap()
        .into_inner()
}

fn names(found: &pb::SearchParticipantsResponse) -> Vec<String> {
    found
        .participants
        .iter()
        .map(|p| format!("{} {}", p.given_name, p.family_name))
        .collect()
}

/// Every page of a search, in order; each page holds at most `page_size`.
async fn all_pages(app: &TestApp, request: pb::SearchParticipantsRequest) -> Vec<pb::Participant> {
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = search(
            app,
            pb::SearchParticipantsRequest {
                page_token: token.clone(),
                ..request.clone()
            },
        )
        .await;
        assert!(page.participants.len() <= request.page_size as usize);
        seen.extend(page.participants);
        if page.next_page_token.is_empty() {
            return seen;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn a_name_prefix_finds_people_in_latin_cyrillic_and_chinese() {
    let app = TestApp::start().await;
    let fixture = app.event("FIND").await;
    let people = [
        ("Sergey", "Ivanov", "Сергей Иванов", "RU"),
        ("Ivan", "Sergeev", "Иван Сергеев", "RU"),
        ("Ivan", "Ivanov", "Иван Иванов", "RU"),
        ("Wang", "Fang", "王芳", "CN"),
        ("Wang", "Lei", "王磊", "CN"),
        ("Zhang", "Wei", "张伟", "CN"),
        ("Şahin", "Öztürk", "", "TR"),
        ("Dilnoza", "Yusupova", "Дилноза Юсупова", "UZ"),
        ("Seán", "O'Neil", "", "IE"),
    ];
    for (i, (given, family, native, country)) in people.iter().enumerate() {
        let mut input = person("x", "y");
        input.given_name = (*given).to_owned();
        input.family_name = (*family).to_owned();
        input.native_name = (*native).to_owned();
        input.country = (*country).to_owned();
        input.email = format!("p{i}@example.org");
        app.register(&fixture, input).await;
    }
    let by = |prefix: &str| pb::SearchParticipantsRequest {
        event_id: fixture.event_id.clone(),
        name_prefix: prefix.to_owned(),
        ..Default::default()
    };
    // Latin, case-insensitive, on given or family name; ordered by family
    // name, then given name; Ivan Ivanov matches twice but is listed once.
    let expected = ["Ivan Ivanov", "Sergey Ivanov", "Ivan Sergeev"];
    assert_eq!(names(&search(&app, by("IVAN")).await), expected);
    // Page by page too: nobody twice, nobody lost.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let mut request = by("ivan");
        request.page_size = 1;
        request.page_token = token;
        let page = search(&app, request).await;
        paged.extend(names(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, expected);
    // Cyrillic: any word of the native name.
    assert_eq!(names(&search(&app, by("сергее")).await), ["Ivan Sergeev"]);
    assert_eq!(names(&search(&app, by("ЮСУП")).await), ["Dilnoza Yusupova"]);
    // Chinese.
    assert_eq!(
        names(&search(&app, by("王")).await),
        ["Wang Fang", "Wang Lei"]
    );
    assert_eq!(names(&search(&app, by("张伟")).await), ["Zhang Wei"]);
    // Diacritics optional.
    assert_eq!(names(&search(&app, by("ozt")).await), ["Şahin Öztürk"]);
    assert_eq!(names(&search(&app, by("Öz")).await), ["Şahin Öztürk"]);
    // Quotes are part of the name.
    assert_eq!(names(&search(&app, by("o'ne")).await), ["Seán O'Neil"]);
    assert_eq!(names(&search(&app, by("sean")).await), ["Seán O'Neil"]);
    // Wildcards and query syntax are literal.
    assert!(search(&app, by("%")).await.participants.is_empty());
    assert!(search(&app, by("i | s")).await.participants.is_empty());
    assert!(search(&app, by("'")).await.participants.is_empty());
    // Filters combine with the prefix.
    let mut cn = by("w");
    cn.country = "CN".to_owned();
    assert_eq!(
        names(&search(&app, cn).await),
        ["Wang Fang", "Wang Lei", "Zhang Wei"]
    );
}

#[tokio::test]
async fn pages_follow_a_stable_order_without_gaps_or_repeats() {
    let app = TestApp::start().await;
    let fixture = app.event("PAGES").await;
    for i in 0..23 {
        let mut input = person("Aziz", &format!("Rahimov{:02}", (i * 7) % 23));
        input.email = format!("a{i}@example.uz");
        app.register(&fixture, input).await;
    }
    let seen: Vec<String> = all_pages(
        &app,
        pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: "rahim".to_owned(),
            page_size: 5,
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .map(|p| p.family_name)
    .collect();
    let expected: Vec<String> = (0..23).map(|i| format!("Rahimov{i:02}")).collect();
    assert_eq!(seen, expected);

    let err = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id,
            page_token: "garbage!".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["page_token"]);
}

#[tokio::test]
async fn a_person_matching_under_two_names_is_listed_once_across_pages() {
    let app = TestApp::start().await;
    let fixture = app.event("TWICE").await;
    // "karim" matches both names of the first six.
    for i in 0..6 {
        let mut input = person("Karim", &format!("Karimov{i}"));
        input.email = format!("k{i}@example.uz");
        app.register(&fixture, input).await;
    }
    for i in 0..2 {
        let mut input = person("Dilnoza", &format!("Karimova{i}"));
        input.email = format!("d{i}@example.uz");
        app.register(&fixture, input).await;
    }
    let seen: Vec<String> = all_pages(
        &app,
        pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: "KARIM".to_owned(),
            page_size: 3,
            ..Default::default()
        },
    )
    .await
    .iter()
    .map(|p| format!("{} {}", p.given_name, p.family_name))
    .collect();
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "nobody twice: {seen:?}");
    assert_eq!(seen.len(), 8, "everybody once: {seen:?}");
}

#[tokio::test]
async fn a_renamed_participant_is_found_by_the_new_name_only() {
    let app = TestApp::start().await;
    let fixture = app.event("RENAME").await;
    let p = app
        .register(&fixture, person("Gulnora", "Tashkentova"))
        .await;
    app.desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 1,
            family_name: Some("Samarkandova".to_owned()),
            native_name: Some("Гулнора Самаркандова".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    let by = |prefix: &str| pb::SearchParticipantsRequest {
        event_id: fixture.event_id.clone(),
        name_prefix: prefix.to_owned(),
        ..Default::default()
    };
    assert!(names(&search(&app, by("tashk")).await).is_empty());
    assert_eq!(
        names(&search(&app, by("samark")).await),
        ["Gulnora Samarkandova"]
    );
    assert_eq!(
        names(&search(&app, by("самарк")).await),
        ["Gulnora Samarkandova"]
    );
    assert_eq!(
        names(&search(&app, by("gulnora")).await),
        ["Gulnora Samarkandova"],
        "the unchanged given name is still found, once"
    );
}

#[tokio::test]
async fn status_category_and_delegation_filters() {
    let app = TestApp::start().await;
    let fixture = app.event("FILTER").await;
    let delegation = app.delegation(&fixture, "GE", &[("DELEGATE", 10)]).await;
    let mut member = person("Giorgi", "Beridze");
    member.native_name = "გიორგი ბერიძე".to_owned();
    member.country = "GE".to_owned();
    member.category_code = "DELEGATE".to_owned();
    member.delegation_id = delegation.id.clone();
    app.register(&fixture, member).await;
    let visitor = app.register(&fixture, person("Giorgi", "Kapanadze")).await;
    app.desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: visitor.id,
            reason: "duplicate booking".to_owned(),
        })
        .await
        .unwrap();
    let base = pb::SearchParticipantsRequest {
        event_id: fixture.event_id.clone(),
        name_prefix: "giorgi".to_owned(),
        ..Default::default()
    };
    assert_eq!(search(&app, base.clone()).await.participants.len(), 2);
    let active = pb::SearchParticipantsRequest {
        status: pb::ParticipantStatus::Active.into(),
        ..base.clone()
    };
    assert_eq!(names(&search(&app, active).await), ["Giorgi Beridze"]);
    let delegates = pb::SearchParticipantsRequest {
        delegation_id: delegation.id,
        ..base.clone()
    };
    assert_eq!(names(&search(&app, delegates).await), ["Giorgi Beridze"]);
    let georgian = pb::SearchParticipantsRequest {
        name_prefix: "ბერ".to_owned(),
        ..base.clone()
    };
    assert_eq!(names(&search(&app, georgian).await), ["Giorgi Beridze"]);
    let visitors = pb::SearchParticipantsRequest {
        category_code: "visitor".to_owned(),
        ..base
    };
    assert_eq!(names(&search(&app, visitors).await), ["Giorgi Kapanadze"]);
}

/// At 100,000 participants a name search brings its index up to date
/// through `participants_changes_idx`, never reading the whole table, and
/// finds what it should; rows written later, in SQL, are found next time.
#[tokio::test]
async fn search_uses_an_index_at_one_hundred_thousand_participants() {
    let app = TestApp::start().await;
    let fixture = app.event("BIG").await;
    // One real participant gives the category; then 100,000 rows in SQL.
    let seed = app.register(&fixture, person("Seed", "Person")).await;
    let mut conn = app.db.connect().await;
    let bulk = |from: i32, to: i32| {
        format!(
            "INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key, family_key,
                 country, job_title, category_id, email, phone, status)
             SELECT gen_random_uuid(), p.event_id, 'Given' || i, 'Family' || i, '', 'given' || i, 'family' || i,
                 'UZ', '', p.category_id, 'bulk' || i || '@example.org', '', 'active'
             FROM participants p, generate_series({from}, {to}) AS i WHERE p.id = '{}'",
            seed.id
        )
    };
    diesel::sql_query(bulk(1, 100_000))
        .execute(&mut conn)
        .await
        .unwrap();
    let input = SearchInput {
        name_prefix: "family1234".to_owned(),
        page_size: 50,
        ..SearchInput::everyone_in(expopass::domain::ids::EventId(
            fixture.event_id.parse().unwrap(),
        ))
    };
    let caller = expopass::domain::Principal::unscoped(
        expopass::domain::ids::TokenId::generate(),
        Role::Desk,
    );
    let (found, _, _) = app
        .services
        .search_participants(&caller, input.clone())
        .await
        .unwrap();
    // family1234 and family12340..family12349.
    assert_eq!(found.len(), 11);
    for analysed in [false, true] {
        if analysed {
            diesel::sql_query("ANALYZE participants")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let plan = app.services.explain_search(input.clone()).await.unwrap();
        assert!(plan.contains("participants_changes_idx"), "plan:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "plan:\n{plan}");
    }
    diesel::sql_query(bulk(200_000, 200_010))
        .execute(&mut conn)
        .await
        .unwrap();
    let (found, _, _) = app
        .services
        .search_participants(
            &caller,
            SearchInput {
                name_prefix: "family20000".to_owned(),
                ..input
            },
        )
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        11,
        "family20000, and the new family200000..family200009"
    );
}

/// Register people with these (given, family, native) names; returns the
/// event id.
async fn people(app: &TestApp, code: &str, names: &[(&str, &str, &str)]) -> String {
    let fixture = app.event(code).await;
    for (i, (given, family, native)) in names.iter().enumerate() {
        let mut input = person(given, family);
        input.native_name = (*native).to_owned();
        input.email = format!("p{i}@{}.example.org", code.to_lowercase());
        app.register(&fixture, input).await;
    }
    fixture.event_id
}

#[tokio::test]
async fn hyphenated_names_are_found_typed_whole_or_in_part() {
    let app = TestApp::start().await;
    let event = people(
        &app,
        "HYPHEN",
        &[
            ("Claude", "Lévy-Strauss", ""),
            ("Jae-won", "Kim", "김재원"),
            ("Kuzma", "Petrov-Vodkin", "Кузьма Петрова-Водкина"),
            ("Anna", "Levy", ""),
        ],
    )
    .await;
    for (typed, expected) in [
        ("Lévy-Strauss", &["Claude"][..]),
        ("Lévy-S", &["Claude"]),
        ("levy-str", &["Claude"]),
        ("strauss", &["Claude"]),
        ("lévy", &["Claude"]),
        ("levy", &["Anna", "Claude"]),
        ("Jae-won", &["Jae-won"]),
        ("jae-w", &["Jae-won"]),
        ("won kim", &["Jae-won"]),
        ("Петрова-Водкина", &["Kuzma"]),
        ("петрова-вод", &["Kuzma"]),
        ("водкина кузьма", &["Kuzma"]),
        ("Petrov-V", &["Kuzma"]),
        ("Lévy-Z", &[]),
    ] {
        assert_eq!(app.found(&event, typed).await, expected, "typed {typed:?}");
    }
}

#[tokio::test]
async fn apostrophe_letters_are_found_however_the_desk_types_them() {
    let app = TestApp::start().await;
    let event = people(
        &app,
        "APOS",
        &[
            ("Gʻayrat", "Toʻxtayev", "Ғайрат Тўхтаев"),
            ("Oʻktam", "Yoʻldoshev", ""),
            ("Мар\u{2BC}яна", "Шевченко", ""),
            ("Kaʻiulani", "Kawānanakoa", ""),
            ("Saʿid", "al-Qaʾid", ""),
        ],
    )
    .await;
    for typed in [
        "Toʻxtayev",
        "To'xtayev",
        "To‘xtayev",
        "To’xtayev",
        "To`xtayev",
        "Toxtayev",
        "to'x",
        "TOX",
        "g'ayrat to'x",
        "gayrat",
    ] {
        assert_eq!(
            app.found(&event, typed).await,
            ["Gʻayrat"],
            "typed {typed:?}"
        );
    }
    for typed in ["yo'ldoshev", "Yoldoshev", "yo‘l", "o`ktam"] {
        assert_eq!(
            app.found(&event, typed).await,
            ["Oʻktam"],
            "typed {typed:?}"
        );
    }
    for typed in ["мар'яна", "Мар’яна", "марян"] {
        assert_eq!(
            app.found(&event, typed).await,
            ["Мар\u{2BC}яна"],
            "typed {typed:?}"
        );
    }
    for typed in ["ka'iulani", "kaiulani", "kawananakoa"] {
        assert_eq!(
            app.found(&event, typed).await,
            ["Kaʻiulani"],
            "typed {typed:?}"
        );
    }
    for typed in ["sa'id", "said", "qa'id", "al-qaid", "Al-Qa’id"] {
        assert_eq!(app.found(&event, typed).await, ["Saʿid"], "typed {typed:?}");
    }
}

#[tokio::test]
async fn typed_text_is_checked_and_separators_alone_find_nobody() {
    let app = TestApp::start().await;
    let event = people(&app, "TYPED", &[("Ivan", "Petrov", "")]).await;
    assert!(app.found(&event, " - , ").await.is_empty());
    for bad in ["iv\0an", &"a".repeat(201), "a b c d e f g h i"] {
        let err = app
            .desk()
            .search_participants(pb::SearchParticipantsRequest {
                event_id: event.clone(),
                name_prefix: bad.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{bad:?}");
        assert_eq!(violated_fields(&err), ["name_prefix"], "{bad:?}");
    }
}

/// Every write to the participants reaches the name index before the next
/// search, whoever made it: a rename and a new participant written in SQL,
/// and a participant whose transaction was still open when the index last
/// looked, committed afterwards.
#[tokio::test]
async fn the_name_index_follows_every_write_to_the_database() {
    let app = TestApp::start().await;
    let event = people(&app, "FOLLOW", &[("Gʻayrat", "Toʻxtayev", "")]).await;
    assert_eq!(app.found(&event, "toxtay").await, ["Gʻayrat"]);

    let mut other = app.db.connect().await;
    diesel::sql_query(
        "UPDATE participants SET family_name = 'Yoʻldoshev', family_key = 'yoʻldoshev'",
    )
    .execute(&mut other)
    .await
    .unwrap();
    assert!(app.found(&event, "toxtay").await.is_empty());
    assert_eq!(app.found(&event, "yo'ldosh").await, ["Gʻayrat"]);

    // A participant inserted by a transaction left open while the index
    // brings itself up to date, then committed.
    let mut open = app.db.connect().await;
    diesel::sql_query("BEGIN").execute(&mut open).await.unwrap();
    diesel::sql_query(
        "INSERT INTO participants (id, event_id, given_name, family_name, native_name, given_key,
             family_key, country, job_title, category_id, email, phone, status)
         SELECT gen_random_uuid(), event_id, 'Late', 'Committer', '', 'late', 'committer', 'UZ', '',
             category_id, 'late@example.org', '', 'active' FROM participants LIMIT 1",
    )
    .execute(&mut open)
    .await
    .unwrap();
    assert!(
        app.found(&event, "committer").await.is_empty(),
        "not committed yet"
    );
    // Later transactions commit meanwhile: the open one stays behind them.
    diesel::sql_query(
        "UPDATE participants SET phone = '+998 71 000 00 00' WHERE given_name = 'Gʻayrat'",
    )
    .execute(&mut other)
    .await
    .unwrap();
    assert!(app.found(&event, "committer").await.is_empty());
    diesel::sql_query("COMMIT")
        .execute(&mut open)
        .await
        .unwrap();
    assert_eq!(app.found(&event, "committer").await, ["Late"]);
}

/// Every page of a search agrees with the names, whether the page is found
/// by walking the listing order (a prefix many share) or by the GIN index
/// (a rare one, or one whose people sort late), across the boundary of
/// the walk too.
#[tokio::test]
async fn pages_agree_with_the_names_for_common_and_rare_prefixes() {
    let app = TestApp::start().await;
    let fixture = app.event("SPREAD").await;
    let given = ["Aziz", "Bekzod", "Dilnoza", "Ivan", "Zarina"];
    // 2,600 people: family names spread over the alphabet, so the
    // listing order is long; "Ivan" is one person in five, "Zarina" sorts
    // late as a family name too.
    let people: Vec<(String, String)> = (0..2_600)
        .map(|i| {
            let family = if i % 97 == 0 {
                format!("Zarinova{i:04}")
            } else {
                format!(
                    "{}{i:04}",
                    ["Alimov", "Karimov", "Nazarov", "Rahimov"][i % 4]
                )
            };
            (given[i % given.len()].to_owned(), family)
        })
        .collect();
    let rows: Vec<pb::ImportParticipantsRequest> = people
        .iter()
        .enumerate()
        .map(|(i, (g, f))| {
            let mut input = person(g, f);
            input.email = format!("s{i}@spread.example.org");
            pb::ImportParticipantsRequest {
                event_id: fixture.event_id.clone(),
                participant: Some(input),
                row_ref: i.to_string(),
                request_id: "spread".to_owned(),
            }
        })
        .collect();
    let imported = app
        .desk()
        .import_participants(tokio_stream::iter(rows))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported, 2_600);
    for (typed, page_size) in [("ivan", 40), ("zarin", 30), ("nazarov1", 7), ("a", 100)] {
        let words = expopass::domain::search_key::typed_words(typed).unwrap();
        let keys = |g: &str, f: &str| expopass::domain::search_key::name_keys([g, f]);
        let mut expected: Vec<(String, String)> = people
            .iter()
            .filter(|(g, f)| {
                let keys = keys(g, f);
                words
                    .iter()
                    .all(|w| keys.iter().any(|k| k.starts_with(w.as_str())))
            })
            .map(|(g, f)| (f.to_lowercase(), g.to_lowercase()))
            .collect();
        expected.sort();
        let seen: Vec<(String, String)> = all_pages(
            &app,
            pb::SearchParticipantsRequest {
                event_id: fixture.event_id.clone(),
                name_prefix: typed.to_owned(),
                page_size,
                ..Default::default()
            },
        )
        .await
        .into_iter()
        .map(|p| (p.family_name.to_lowercase(), p.given_name.to_lowercase()))
        .collect();
        assert!(!expected.is_empty(), "{typed}");
        assert_eq!(seen.len(), expected.len(), "{typed}");
        assert_eq!(seen, expected, "{typed}");
    }
}

/// A page says how many match in all, and each row what tells same-name
/// people apart: the badge number among them.
#[tokio::test]
async fn a_search_says_how_many_match_and_each_badge_number() {
    let app = TestApp::start().await;
    let fixture = app.event("TOTAL").await;
    let mut ids = Vec::new();
    for given in ["Aziz", "Bobur", "Davron"] {
        ids.push(app.register(&fixture, person(given, "Karimov")).await.id);
    }
    app.register(&fixture, person("Ivan", "Petrov")).await;
    let badge = app
        .badges()
        .issue_badge(pb::IssueBadgeRequest {
            participant_id: ids[0].clone(),
            layout: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .badge
        .unwrap();
    let search = |name: &str, size: u32| {
        let mut desk = app.desk();
        let request = pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: name.to_owned(),
            page_size: size,
            ..Default::default()
        };
        async move {
            desk.search_participants(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let page = search("karim", 2).await;
    assert_eq!((page.participants.len(), page.total), (2, 3));
    assert!(!page.next_page_token.is_empty());
    let everyone = search("", 50).await;
    assert_eq!((everyone.participants.len(), everyone.total), (4, 4));
    let aziz = everyone
        .participants
        .iter()
        .find(|p| p.id == ids[0])
        .unwrap();
    assert_eq!(aziz.badge_number, badge.number);
    assert!(
        everyone
            .participants
            .iter()
            .filter(|p| p.id != ids[0])
            .all(|p| p.badge_number.is_empty())
    );
    assert_eq!(search("nobody", 50).await.total, 0);
}
