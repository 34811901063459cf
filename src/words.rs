//! The words a client reads of a refused field, in the interface languages
//! (English, Russian, Uzbek in Latin script): every violation the server
//! can name, with its stable code (`BadRequest.FieldViolation.reason`) and
//! its text in each language, and the language a call asks for
//! (`accept-language`). The English text is the violation's description;
//! the others go in its `localized_message` when the call asks for them.
//! A leaf: it imports nothing of the crate.

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ru,
    Uz,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Uz];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Uz => "uz",
        }
    }

    /// The first of the interface languages an `accept-language` value
    /// names, by preference (`q`); `None` when it names none of them.
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in value.split(',').enumerate() {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            let lang = match primary {
                "en" => Lang::En,
                "ru" => Lang::Ru,
                "uz" => Lang::Uz,
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, bi, _)) => q > bq || (q == bq && i < bi),
            };
            if better {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    Required,
    TooLong { max: usize },
    TooManyBytes { max: usize },
    ControlCharacters,
    NoLetters,
    NotACode,
    NotACountry,
    NotAnEmail,
    NotAPhone,
    NotADocument,
    NotAUuid,
    NotADate,
    NotAColor,
    NotARequestId,
    NotANonce,
    AtMost { max: u64 },
    TooManyWords { max: usize },
    TooLarge,
    NotAPageToken,
    NotATimeZone,
    BeforeFirstDay,
    EventTooLong { days: i64 },
    OwnParent,
    UnknownCategory,
    UnknownZone,
    UnknownGate,
    OrganizationOfAnotherEvent,
    DelegationOfAnotherEvent,
    ParticipantOfAnotherEvent,
    NotAnEventDay,
    Twice,
    UnknownOrganizationKind,
    NotInTheFuture,
    GatesOnlyForGateTokens,
    GatesNeedTheEvent,
    TtlOutOfRange,
    UnknownRole,
    UnknownValue,
    OutOfRange,
    OneOf { choices: &'static str },
    FirstMessageNamesTheEvent,
    DiffersFromFirstMessage,
    AtLeastOne,
    NotAnImage,
    NotABadgeNumber,
    // An event file's keys, and what applying it would lose.
    TomlSyntax,
    UnknownKey,
    WrongType { expected: &'static str },
    UnknownParticipantRef,
    HasParticipants { count: i64 },
    HasScans,
    BadgesCarryIt,
    QuotaBelowMembers { members: i64 },
    CapacityBelowInside { inside: i64 },
    HeadNotMember,
    // Custom fields: their definitions and their answers.
    NotAFieldKey,
    NotForKind,
    NotAPattern,
    UnknownField,
    UnknownOption,
    ShownButPrivate,
    ShowIfLoop,
    TooShort { min: usize },
    Pattern,
    NotAsked,
    HasAnswers { count: i64 },
    // Badge templates.
    Unreadable { detail: String },
    NotBetween { min: String, max: String },
    OutsidePage,
    QrTooSmall { min_mm: u32 },
    CoversQr,
    NoQr,
    SecondQr,
    UnknownBinding,
    UnknownAsset,
    NotPrintable,
    DoesNotFit { sample: String },
}

impl Violation {
    /// Every kind, with sample values: for the tests that every code has
    /// its words in every language.
    pub fn samples() -> Vec<Violation> {
        use Violation::*;
        vec![
            Required,
            TooLong { max: 200 },
            TooManyBytes { max: 4096 },
            ControlCharacters,
            NoLetters,
            NotACode,
            NotACountry,
            NotAnEmail,
            NotAPhone,
            NotADocument,
            NotAUuid,
            NotADate,
            NotAColor,
            NotARequestId,
            NotANonce,
            AtMost { max: 200 },
            TooManyWords { max: 8 },
            TooLarge,
            NotAPageToken,
            NotATimeZone,
            BeforeFirstDay,
            EventTooLong { days: 31 },
            OwnParent,
            UnknownCategory,
            UnknownZone,
            UnknownGate,
            OrganizationOfAnotherEvent,
            DelegationOfAnotherEvent,
            ParticipantOfAnotherEvent,
            NotAnEventDay,
            Twice,
            UnknownOrganizationKind,
            NotInTheFuture,
            GatesOnlyForGateTokens,
            GatesNeedTheEvent,
            TtlOutOfRange,
            UnknownRole,
            UnknownValue,
            OutOfRange,
            OneOf {
                choices: "a badge id or a participant id",
            },
            FirstMessageNamesTheEvent,
            DiffersFromFirstMessage,
            AtLeastOne,
            NotAnImage,
            NotABadgeNumber,
            TomlSyntax,
            UnknownKey,
            WrongType { expected: "text" },
            UnknownParticipantRef,
            HasParticipants { count: 12 },
            HasScans,
            BadgesCarryIt,
            QuotaBelowMembers { members: 12 },
            CapacityBelowInside { inside: 40 },
            HeadNotMember,
            NotAFieldKey,
            NotForKind,
            NotAPattern,
            UnknownField,
            UnknownOption,
            ShownButPrivate,
            ShowIfLoop,
            TooShort { min: 2 },
            Pattern,
            NotAsked,
            HasAnswers { count: 3 },
            Unreadable {
                detail: "expected `,` or `}` at line 1 column 9".into(),
            },
            NotBetween {
                min: "40".into(),
                max: "420".into(),
            },
            OutsidePage,
            QrTooSmall { min_mm: 30 },
            CoversQr,
            NoQr,
            SecondQr,
            UnknownBinding,
            UnknownAsset,
            NotPrintable,
            DoesNotFit {
                sample: "Maximilian-Alexander".into(),
            },
        ]
    }

    /// The stable code (`FieldViolation.reason`).
    pub fn code(&self) -> &'static str {
        use Violation::*;
        match self {
            Required => "REQUIRED",
            TooLong { .. } => "TOO_LONG",
            TooManyBytes { .. } => "TOO_MANY_BYTES",
            ControlCharacters => "CONTROL_CHARACTERS",
            NoLetters => "NO_LETTERS",
            NotACode => "NOT_A_CODE",
            NotACountry => "NOT_A_COUNTRY",
            NotAnEmail => "NOT_AN_EMAIL",
            NotAPhone => "NOT_A_PHONE",
            NotADocument => "NOT_A_DOCUMENT",
            NotAUuid => "NOT_A_UUID",
            NotADate => "NOT_A_DATE",
            NotAColor => "NOT_A_COLOR",
            NotARequestId => "NOT_A_REQUEST_ID",
            NotANonce => "NOT_A_NONCE",
            AtMost { .. } => "AT_MOST",
            TooManyWords { .. } => "TOO_MANY_WORDS",
            TooLarge => "TOO_LARGE",
            NotAPageToken => "NOT_A_PAGE_TOKEN",
            NotATimeZone => "NOT_A_TIME_ZONE",
            BeforeFirstDay => "BEFORE_FIRST_DAY",
            EventTooLong { .. } => "EVENT_TOO_LONG",
            OwnParent => "OWN_PARENT",
            UnknownCategory => "UNKNOWN_CATEGORY",
            UnknownZone => "UNKNOWN_ZONE",
            UnknownGate => "UNKNOWN_GATE",
            OrganizationOfAnotherEvent => "ORGANIZATION_OF_ANOTHER_EVENT",
            DelegationOfAnotherEvent => "DELEGATION_OF_ANOTHER_EVENT",
            ParticipantOfAnotherEvent => "PARTICIPANT_OF_ANOTHER_EVENT",
            NotAnEventDay => "NOT_AN_EVENT_DAY",
            Twice => "TWICE",
            UnknownOrganizationKind => "UNKNOWN_ORGANIZATION_KIND",
            NotInTheFuture => "NOT_IN_THE_FUTURE",
            GatesOnlyForGateTokens => "GATES_ONLY_FOR_GATE_TOKENS",
            GatesNeedTheEvent => "GATES_NEED_THE_EVENT",
            TtlOutOfRange => "TTL_OUT_OF_RANGE",
            UnknownRole => "UNKNOWN_ROLE",
            UnknownValue => "UNKNOWN_VALUE",
            OutOfRange => "OUT_OF_RANGE",
            OneOf { .. } => "ONE_OF",
            FirstMessageNamesTheEvent => "FIRST_MESSAGE_NAMES_THE_EVENT",
            DiffersFromFirstMessage => "DIFFERS_FROM_FIRST_MESSAGE",
            AtLeastOne => "AT_LEAST_ONE",
            NotAnImage => "NOT_AN_IMAGE",
            NotABadgeNumber => "NOT_A_BADGE_NUMBER",
            TomlSyntax => "TOML_SYNTAX",
            UnknownKey => "UNKNOWN_KEY",
            WrongType { .. } => "WRONG_TYPE",
            UnknownParticipantRef => "UNKNOWN_PARTICIPANT_REF",
            HasParticipants { .. } => "HAS_PARTICIPANTS",
            HasScans => "HAS_SCANS",
            BadgesCarryIt => "BADGES_CARRY_IT",
            QuotaBelowMembers { .. } => "QUOTA_BELOW_MEMBERS",
            CapacityBelowInside { .. } => "CAPACITY_BELOW_INSIDE",
            HeadNotMember => "HEAD_NOT_MEMBER",
            NotAFieldKey => "NOT_A_FIELD_KEY",
            NotForKind => "NOT_FOR_KIND",
            NotAPattern => "NOT_A_PATTERN",
            UnknownField => "UNKNOWN_FIELD",
            UnknownOption => "UNKNOWN_OPTION",
            ShownButPrivate => "SHOWN_BUT_PRIVATE",
            ShowIfLoop => "SHOW_IF_LOOP",
            TooShort { .. } => "TOO_SHORT",
            Pattern => "PATTERN",
            NotAsked => "NOT_ASKED",
            HasAnswers { .. } => "HAS_ANSWERS",
            Unreadable { .. } => "UNREADABLE",
            NotBetween { .. } => "NOT_BETWEEN",
            OutsidePage => "OUTSIDE_PAGE",
            QrTooSmall { .. } => "QR_TOO_SMALL",
            CoversQr => "COVERS_QR",
            NoQr => "NO_QR",
            SecondQr => "SECOND_QR",
            UnknownBinding => "UNKNOWN_BINDING",
            UnknownAsset => "UNKNOWN_ASSET",
            NotPrintable => "NOT_PRINTABLE",
            DoesNotFit { .. } => "DOES_NOT_FIT",
        }
    }

    /// The words in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en(),
            Lang::Ru => self.ru(),
            Lang::Uz => self.uz(),
        }
    }

    fn en(&self) -> String {
        use Violation::*;
        match self {
            Required => "is required".into(),
            TooLong { max } => format!("must be at most {max} characters"),
            TooManyBytes { max } => format!("must be at most {max} bytes long"),
            ControlCharacters => "must not contain NUL or other control characters".into(),
            NoLetters => "must contain letters".into(),
            NotACode => "must be 1 to 32 characters among A-Z, 0-9, '-' and '_'".into(),
            NotACountry => "must be an ISO 3166-1 alpha-2 country code, e.g. UZ".into(),
            NotAnEmail => "must be an email address like name@example.com".into(),
            NotAPhone => "must be a phone number: 5 to 20 digits, optional leading +".into(),
            NotADocument => "must be 5 to 20 letters or digits".into(),
            NotAUuid => "must be a UUID".into(),
            NotADate => "must be a date YYYY-MM-DD".into(),
            NotAColor => "must be a colour #RRGGBB".into(),
            NotARequestId => "must be 1 to 128 printable ASCII characters (e.g. a UUID)".into(),
            NotANonce => "1 to 64 characters".into(),
            AtMost { max } => format!("must be at most {max}"),
            TooManyWords { max } => format!("must have at most {max} words"),
            TooLarge => "is too large".into(),
            NotAPageToken => "is not a token this server issued".into(),
            NotATimeZone => "must be an IANA time zone such as Asia/Tashkent".into(),
            BeforeFirstDay => "must not be before first_day".into(),
            EventTooLong { days } => format!("an event lasts at most {days} days"),
            OwnParent => "a zone cannot be its own parent".into(),
            UnknownCategory => "no category with this code in the event".into(),
            UnknownZone => "no zone with this code in the event".into(),
            UnknownGate => "no gate with this code in the event".into(),
            OrganizationOfAnotherEvent => "the organisation belongs to another event".into(),
            DelegationOfAnotherEvent => "the delegation belongs to another event".into(),
            ParticipantOfAnotherEvent => "the participant belongs to another event".into(),
            NotAnEventDay => "must be a day of the event".into(),
            Twice => "appears twice".into(),
            UnknownOrganizationKind => "must be company, government, media or other".into(),
            NotInTheFuture => "must be in the future".into(),
            GatesOnlyForGateTokens => "only a gate token names gates".into(),
            GatesNeedTheEvent => "gates need the token's event".into(),
            TtlOutOfRange => "must be between 1 second and 7 days".into(),
            UnknownRole => "each must be admin, desk or gate".into(),
            UnknownValue => "is not a value this server knows".into(),
            OutOfRange => "out of range".into(),
            OneOf { choices } => format!("give one of: {choices}"),
            FirstMessageNamesTheEvent => "the first message must name the event".into(),
            DiffersFromFirstMessage => "differs from the first message's".into(),
            AtLeastOne => "give at least one".into(),
            NotAnImage => "is not a usable image".into(),
            NotABadgeNumber => "must be a badge number such as 0001042-2".into(),
            TomlSyntax => "is not valid TOML".into(),
            UnknownKey => "is not a key of an event file".into(),
            WrongType { expected } => format!("must be {}", type_en(expected)),
            UnknownParticipantRef => {
                "no participant of the event has this roster reference or id".into()
            }
            HasParticipants { count } => {
                format!("cannot be removed: {count} participant(s) refer to it")
            }
            HasScans => "cannot be removed: gates have recorded scans in it".into(),
            BadgesCarryIt => "cannot be removed: badges already issued carry its number".into(),
            QuotaBelowMembers { members } => {
                format!("cannot be below the {members} member(s) already registered")
            }
            CapacityBelowInside { inside } => {
                format!("cannot be below the {inside} people inside now")
            }
            HeadNotMember => "must be a member of the delegation".into(),
            NotAFieldKey => {
                "must start with a-z and hold 2 to 40 of a-z, 0-9 and '_'".into()
            }
            NotForKind => "does not apply to this kind of field".into(),
            NotAPattern => "is not a pattern this server reads (Rust regex syntax)".into(),
            UnknownField => "no field with this key is asked here".into(),
            UnknownOption => "is not one of the options offered".into(),
            ShownButPrivate => {
                "personal and secret answers are never printed, shown at gates or used to show other fields".into()
            }
            ShowIfLoop => "show-if rules must not go round in a circle".into(),
            TooShort { min } => format!("must be at least {min} characters"),
            Pattern => "does not have the form this field asks for".into(),
            NotAsked => "this field is not asked of this category".into(),
            HasAnswers { count } => {
                format!("cannot be removed: {count} record(s) answered it; retire it instead")
            }
            Unreadable { detail } => format!("is not a badge template: {detail}"),
            NotBetween { min, max } => format!("must be between {min} and {max}"),
            OutsidePage => "reaches outside the page".into(),
            QrTooSmall { min_mm } => {
                format!("the QR must be at least {min_mm} mm wide, or gates cannot read it")
            }
            CoversQr => "covers the QR's quiet zone, which must stay blank".into(),
            NoQr => "the front side needs the badge's QR".into(),
            SecondQr => "a badge carries one QR".into(),
            UnknownBinding => "is not something a badge can print".into(),
            UnknownAsset => "is not an image uploaded to this event".into(),
            NotPrintable => "is missing, too long, or has characters no badge font draws".into(),
            DoesNotFit { sample } => {
                format!("\"{sample}\" does not fit the box at the smallest size allowed")
            }
        }
    }

    fn ru(&self) -> String {
        use Violation::*;
        match self {
            Required => "Обязательное поле".into(),
            TooLong { max } => format!("Не длиннее {max} символов"),
            TooManyBytes { max } => format!("Не длиннее {max} байт"),
            ControlCharacters => "Не должно содержать NUL и других управляющих символов".into(),
            NoLetters => "Должно содержать буквы".into(),
            NotACode => "От 1 до 32 символов: A–Z, 0–9, «-» и «_»".into(),
            NotACountry => "Код страны ISO 3166-1 из двух букв, например UZ".into(),
            NotAnEmail => "Адрес электронной почты вида name@example.com".into(),
            NotAPhone => "Номер телефона: от 5 до 20 цифр, можно с «+» в начале".into(),
            NotADocument => "От 5 до 20 букв или цифр".into(),
            NotAUuid => "Должно быть идентификатором UUID".into(),
            NotADate => "Дата в виде ГГГГ-ММ-ДД".into(),
            NotAColor => "Цвет в виде #RRGGBB".into(),
            NotARequestId => "От 1 до 128 печатных символов ASCII (например, UUID)".into(),
            NotANonce => "От 1 до 64 символов".into(),
            AtMost { max } => format!("Не больше {max}"),
            TooManyWords { max } => format!("Не больше {max} слов"),
            TooLarge => "Слишком большое значение".into(),
            NotAPageToken => "Этот сервер не выдавал такой токен страницы".into(),
            NotATimeZone => "Часовой пояс IANA, например Asia/Tashkent".into(),
            BeforeFirstDay => "Не может быть раньше первого дня".into(),
            EventTooLong { days } => format!("Мероприятие длится не больше {days} дней"),
            OwnParent => "Зона не может входить сама в себя".into(),
            UnknownCategory => "В мероприятии нет категории с таким кодом".into(),
            UnknownZone => "В мероприятии нет зоны с таким кодом".into(),
            UnknownGate => "В мероприятии нет входа с таким кодом".into(),
            OrganizationOfAnotherEvent => "Организация относится к другому мероприятию".into(),
            DelegationOfAnotherEvent => "Делегация относится к другому мероприятию".into(),
            ParticipantOfAnotherEvent => "Участник относится к другому мероприятию".into(),
            NotAnEventDay => "Должен быть днём мероприятия".into(),
            Twice => "Указано дважды".into(),
            UnknownOrganizationKind => "Компания, госорган, СМИ или другое".into(),
            NotInTheFuture => "Должно быть в будущем".into(),
            GatesOnlyForGateTokens => "Входы указываются только для токена входа".into(),
            GatesNeedTheEvent => "Для входов нужно указать мероприятие токена".into(),
            TtlOutOfRange => "От 1 секунды до 7 дней".into(),
            UnknownRole => "Каждая роль — admin, desk или gate".into(),
            UnknownValue => "Сервер не знает такого значения".into(),
            OutOfRange => "Вне допустимого диапазона".into(),
            OneOf { choices } => format!("Укажите одно из: {choices}"),
            FirstMessageNamesTheEvent => "Первое сообщение должно указать мероприятие".into(),
            DiffersFromFirstMessage => "Отличается от первого сообщения".into(),
            AtLeastOne => "Укажите хотя бы одно значение".into(),
            NotAnImage => "Непригодное изображение".into(),
            NotABadgeNumber => "Номер бейджа, например 0001042-2".into(),
            TomlSyntax => "Ошибка синтаксиса TOML".into(),
            UnknownKey => "Такого ключа в файле мероприятия нет".into(),
            WrongType { expected } => format!("Должно быть: {}", type_ru(expected)),
            UnknownParticipantRef => "Нет участника с таким внешним номером или id".into(),
            HasParticipants { count } => {
                format!("Нельзя удалить: на это ссылаются участники ({count})")
            }
            HasScans => "Нельзя удалить: на входах уже есть проходы".into(),
            BadgesCarryIt => "Нельзя удалить: его номер уже есть на выданных бейджах".into(),
            QuotaBelowMembers { members } => {
                format!("Не меньше уже зарегистрированных членов делегации ({members})")
            }
            CapacityBelowInside { inside } => {
                format!("Не меньше числа людей внутри сейчас ({inside})")
            }
            HeadNotMember => "Должен быть членом делегации".into(),
            NotAFieldKey => "Начинается с a-z, от 2 до 40 символов a-z, 0-9 и '_'".into(),
            NotForKind => "Не применяется к полю этого типа".into(),
            NotAPattern => "Шаблон не читается (синтаксис Rust regex)".into(),
            UnknownField => "Здесь нет поля с таким ключом".into(),
            UnknownOption => "Такого варианта нет среди предложенных".into(),
            ShownButPrivate => {
                "Личные и секретные ответы не печатаются, не показываются на входе и не управляют полями".into()
            }
            ShowIfLoop => "Условия показа не должны ссылаться по кругу".into(),
            TooShort { min } => format!("Не короче {min} символов"),
            Pattern => "Не соответствует требуемому формату".into(),
            NotAsked => "Это поле не запрашивается для этой категории".into(),
            HasAnswers { count } => {
                format!("Нельзя удалить: есть ответы ({count}); выведите поле из употребления")
            }
            Unreadable { detail } => format!("Это не шаблон бейджа: {detail}"),
            NotBetween { min, max } => format!("Должно быть от {min} до {max}"),
            OutsidePage => "Выходит за край страницы".into(),
            QrTooSmall { min_mm } => {
                format!("QR-код должен быть не меньше {min_mm} мм, иначе турникеты его не прочтут")
            }
            CoversQr => "Закрывает свободное поле вокруг QR-кода, которое должно оставаться чистым".into(),
            NoQr => "На лицевой стороне нужен QR-код бейджа".into(),
            SecondQr => "На бейдже только один QR-код".into(),
            UnknownBinding => "Такого бейдж напечатать не может".into(),
            UnknownAsset => "Это не изображение, загруженное для этого мероприятия".into(),
            NotPrintable => "Текст пуст, слишком длинный или содержит знаки, которых нет в шрифтах бейджа".into(),
            DoesNotFit { sample } => {
                format!("«{sample}» не помещается в рамку даже наименьшим размером")
            }
        }
    }

    fn uz(&self) -> String {
        use Violation::*;
        match self {
            Required => "Toʻldirilishi shart".into(),
            TooLong { max } => format!("Koʻpi bilan {max} ta belgi"),
            TooManyBytes { max } => format!("Koʻpi bilan {max} bayt"),
            ControlCharacters => "NUL va boshqa boshqaruv belgilari boʻlmasligi kerak".into(),
            NoLetters => "Harflar boʻlishi kerak".into(),
            NotACode => "1 dan 32 tagacha belgi: A–Z, 0–9, «-» va «_»".into(),
            NotACountry => "ISO 3166-1 boʻyicha ikki harfli mamlakat kodi, masalan UZ".into(),
            NotAnEmail => "name@example.com koʻrinishidagi elektron pochta manzili".into(),
            NotAPhone => {
                "Telefon raqami: 5 dan 20 tagacha raqam, boshida «+» boʻlishi mumkin".into()
            }
            NotADocument => "5 dan 20 tagacha harf yoki raqam".into(),
            NotAUuid => "UUID identifikatori boʻlishi kerak".into(),
            NotADate => "YYYY-MM-DD koʻrinishidagi sana".into(),
            NotAColor => "#RRGGBB koʻrinishidagi rang".into(),
            NotARequestId => "1 dan 128 tagacha bosma ASCII belgi (masalan, UUID)".into(),
            NotANonce => "1 dan 64 tagacha belgi".into(),
            AtMost { max } => format!("Koʻpi bilan {max}"),
            TooManyWords { max } => format!("Koʻpi bilan {max} ta soʻz"),
            TooLarge => "Qiymat juda katta".into(),
            NotAPageToken => "Bu server bunday sahifa tokenini bermagan".into(),
            NotATimeZone => "IANA vaqt mintaqasi, masalan Asia/Tashkent".into(),
            BeforeFirstDay => "Birinchi kundan oldin boʻlishi mumkin emas".into(),
            EventTooLong { days } => format!("Tadbir koʻpi bilan {days} kun davom etadi"),
            OwnParent => "Hudud oʻzining ichida boʻla olmaydi".into(),
            UnknownCategory => "Tadbirda bunday kodli toifa yoʻq".into(),
            UnknownZone => "Tadbirda bunday kodli hudud yoʻq".into(),
            UnknownGate => "Tadbirda bunday kodli kirish yoʻq".into(),
            OrganizationOfAnotherEvent => "Tashkilot boshqa tadbirga tegishli".into(),
            DelegationOfAnotherEvent => "Delegatsiya boshqa tadbirga tegishli".into(),
            ParticipantOfAnotherEvent => "Ishtirokchi boshqa tadbirga tegishli".into(),
            NotAnEventDay => "Tadbir kunlaridan biri boʻlishi kerak".into(),
            Twice => "Ikki marta koʻrsatilgan".into(),
            UnknownOrganizationKind => "Kompaniya, davlat idorasi, OAV yoki boshqa".into(),
            NotInTheFuture => "Kelajakda boʻlishi kerak".into(),
            GatesOnlyForGateTokens => "Kirishlar faqat kirish tokeni uchun koʻrsatiladi".into(),
            GatesNeedTheEvent => "Kirishlar uchun token tadbirini koʻrsating".into(),
            TtlOutOfRange => "1 soniyadan 7 kungacha".into(),
            UnknownRole => "Har bir rol admin, desk yoki gate boʻlishi kerak".into(),
            UnknownValue => "Server bunday qiymatni bilmaydi".into(),
            OutOfRange => "Ruxsat etilgan oraliqdan tashqarida".into(),
            OneOf { choices } => format!("Quyidagilardan birini koʻrsating: {choices}"),
            FirstMessageNamesTheEvent => "Birinchi xabarda tadbir koʻrsatilishi kerak".into(),
            DiffersFromFirstMessage => "Birinchi xabardagidan farq qiladi".into(),
            AtLeastOne => "Kamida bittasini koʻrsating".into(),
            NotAnImage => "Yaroqsiz tasvir".into(),
            NotABadgeNumber => "Beydj raqami, masalan 0001042-2".into(),
            TomlSyntax => "TOML sintaksisi xatosi".into(),
            UnknownKey => "Tadbir faylida bunday kalit yoʻq".into(),
            WrongType { expected } => format!("Boʻlishi kerak: {}", type_uz(expected)),
            UnknownParticipantRef => "Bunday tashqi raqam yoki id bilan ishtirokchi yoʻq".into(),
            HasParticipants { count } => {
                format!("Oʻchirib boʻlmaydi: unga ishtirokchilar bogʻlangan ({count})")
            }
            HasScans => "Oʻchirib boʻlmaydi: kirishlarda oʻtishlar qayd etilgan".into(),
            BadgesCarryIt => "Oʻchirib boʻlmaydi: uning raqami berilgan beyjlarda bor".into(),
            QuotaBelowMembers { members } => {
                format!("Roʻyxatga olingan delegatsiya aʼzolaridan kam boʻlmasin ({members})")
            }
            CapacityBelowInside { inside } => {
                format!("Hozir ichkaridagilardan kam boʻlmasin ({inside})")
            }
            HeadNotMember => "Delegatsiya aʼzosi boʻlishi kerak".into(),
            NotAFieldKey => "a-z bilan boshlanadi, 2 dan 40 gacha a-z, 0-9 va '_' belgisi".into(),
            NotForKind => "Bu turdagi maydonga taalluqli emas".into(),
            NotAPattern => "Andoza oʻqilmaydi (Rust regex sintaksisi)".into(),
            UnknownField => "Bu yerda bunday kalitli maydon yoʻq".into(),
            UnknownOption => "Taklif qilingan variantlar orasida yoʻq".into(),
            ShownButPrivate => {
                "Shaxsiy va maxfiy javoblar bosilmaydi, kirishda koʻrsatilmaydi va maydonlarni boshqarmaydi".into()
            }
            ShowIfLoop => "Koʻrsatish shartlari aylana boʻlib bogʻlanmasligi kerak".into(),
            TooShort { min } => format!("Kamida {min} ta belgi"),
            Pattern => "Talab qilingan shaklga mos emas".into(),
            NotAsked => "Bu maydon ushbu toifadan soʻralmaydi".into(),
            HasAnswers { count } => {
                format!("Oʻchirib boʻlmaydi: javoblar bor ({count}); maydonni isteʼmoldan chiqaring")
            }
            Unreadable { detail } => format!("Bu beydj shabloni emas: {detail}"),
            NotBetween { min, max } => format!("{min} dan {max} gacha boʻlishi kerak"),
            OutsidePage => "Sahifa chetidan chiqib ketadi".into(),
            QrTooSmall { min_mm } => {
                format!("QR kod kamida {min_mm} mm boʻlishi kerak, aks holda turniketlar uni oʻqiy olmaydi")
            }
            CoversQr => "QR kod atrofidagi boʻsh joyni yopadi; u toza qolishi kerak".into(),
            NoQr => "Old tomonda beydjning QR kodi boʻlishi kerak".into(),
            SecondQr => "Beydjda faqat bitta QR kod boʻladi".into(),
            UnknownBinding => "Beydj buni chop eta olmaydi".into(),
            UnknownAsset => "Bu tadbirga yuklangan rasm emas".into(),
            NotPrintable => "Matn boʻsh, juda uzun yoki beydj shriftlarida yoʻq belgilar bor".into(),
            DoesNotFit { sample } => {
                format!("«{sample}» eng kichik oʻlchamda ham ramkaga sigʻmaydi")
            }
        }
    }
}

/// The kinds of value an event file's key holds, as `WrongType` names
/// them: "text", "integer", "true or false", "date", "list", "table".
fn type_en(expected: &str) -> &str {
    match expected {
        "text" => "text in quotes",
        "integer" => "a whole number",
        "boolean" => "true or false",
        "date" => "a date such as 2024-04-22",
        "list" => "a list in [ ]",
        "table" => "a table",
        "decimal" => "a number such as 12.5",
        "option" => "one of the options",
        "options" => "options from the list",
        "country" => "an ISO country code such as UZ",
        "phone" => "a phone number in international form, such as +998 90 123 45 67",
        "email" => "an email address",
        other => other,
    }
}

fn type_ru(expected: &str) -> &str {
    match expected {
        "text" => "текст в кавычках",
        "integer" => "целое число",
        "boolean" => "true или false",
        "date" => "дата, например 2024-04-22",
        "list" => "список в [ ]",
        "table" => "таблица",
        "decimal" => "число, например 12.5",
        "option" => "один из вариантов",
        "options" => "варианты из списка",
        "country" => "код страны ISO, например UZ",
        "phone" => "номер телефона в международном формате, например +998 90 123 45 67",
        "email" => "адрес электронной почты",
        other => other,
    }
}

fn type_uz(expected: &str) -> &str {
    match expected {
        "text" => "qoʻshtirnoq ichidagi matn",
        "integer" => "butun son",
        "boolean" => "true yoki false",
        "date" => "sana, masalan 2024-04-22",
        "list" => "[ ] ichidagi roʻyxat",
        "table" => "jadval",
        "decimal" => "son, masalan 12.5",
        "option" => "variantlardan biri",
        "options" => "roʻyxatdagi variantlar",
        "country" => "ISO mamlakat kodi, masalan UZ",
        "phone" => "xalqaro shakldagi telefon raqami, masalan +998 90 123 45 67",
        "email" => "elektron pochta manzili",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{Lang, Violation};

    #[test]
    fn every_violation_has_its_words_in_every_language() {
        let samples = Violation::samples();
        let mut codes: Vec<&str> = samples.iter().map(Violation::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(
            codes.len(),
            samples.len(),
            "one sample per kind, codes unique"
        );
        for v in &samples {
            let en = v.text(Lang::En);
            for lang in Lang::ALL {
                let text = v.text(lang);
                assert!(!text.trim().is_empty(), "{} in {lang:?}", v.code());
                if lang != Lang::En {
                    assert_ne!(text, en, "{} is not translated into {lang:?}", v.code());
                }
            }
        }
    }

    #[test]
    fn the_language_asked_for_is_the_first_one_known() {
        assert_eq!(Lang::from_accept_language("ru"), Some(Lang::Ru));
        assert_eq!(
            Lang::from_accept_language("uz-Latn-UZ, en;q=0.5"),
            Some(Lang::Uz)
        );
        assert_eq!(
            Lang::from_accept_language("de, ru;q=0.8, en;q=0.9"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("ru;q=0, uz"), Some(Lang::Uz));
        assert_eq!(Lang::from_accept_language(""), None);
    }
}
