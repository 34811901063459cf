//! Names, companies and media of the reference event's countries: Latin
//! forms with their native-script spellings, so badges and search meet the
//! scripts a fair in Tashkent really sees.

/// How a full name is written in the native script.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Order {
    /// "Given Family" (Russian, Arabic, Georgian...).
    GivenFamily,
    /// "Family Given" with a space (Japanese, Hungarian style).
    FamilyGiven,
    /// "FamilyGiven" without a space (Chinese, Korean).
    FamilyGivenJoined,
    /// No native-script form: the Latin name is the native one.
    LatinOnly,
}

/// One country of the event.
pub(crate) struct Country {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    /// Relative share of the participants.
    pub(crate) weight: u32,
    /// (Latin, native) given names.
    pub(crate) given: &'static [(&'static str, &'static str)],
    /// (Latin, native) family names.
    pub(crate) family: &'static [(&'static str, &'static str)],
    pub(crate) order: Order,
    /// Legal-form suffix of companies.
    pub(crate) company_form: &'static str,
    /// Words companies of the country are named after.
    pub(crate) company_stems: &'static [&'static str],
    /// Calling code for phone numbers.
    pub(crate) phone: &'static str,
}

/// Sectors of an industrial fair.
pub(crate) const SECTORS: &[&str] = &[
    "Machinery",
    "Metals",
    "Energy",
    "Automation",
    "Chemicals",
    "Textiles",
    "Mining",
    "Aluminium",
    "Oil & Gas",
    "Logistics",
    "Electric",
    "Engineering",
    "Robotics",
    "Agritech",
    "Construction",
    "Instruments",
    "Transport",
    "Cables",
    "Steel",
    "Polymers",
];

pub(crate) const COUNTRIES: &[Country] = &[
    Country {
        code: "UZ",
        name: "Uzbekistan",
        weight: 520,
        given: &[
            ("Oʻktam", "Ўктам"),
            ("Gʻayrat", "Ғайрат"),
            ("Dilnoza", "Дилноза"),
            ("Sardor", "Сардор"),
            ("Shahnoza", "Шаҳноза"),
            ("Jasur", "Жасур"),
            ("Nodira", "Нодира"),
            ("Bekzod", "Бекзод"),
            ("Gulnora", "Гулнора"),
            ("Otabek", "Отабек"),
            ("Malika", "Малика"),
            ("Rustam", "Рустам"),
            ("Zuhra", "Зуҳра"),
            ("Ulugʻbek", "Улуғбек"),
            ("Feruza", "Феруза"),
            ("Aziz", "Азиз"),
            ("Moʻmin", "Мўмин"),
            ("Xurshid", "Хуршид"),
            ("Kamola", "Камола"),
            ("Sherzod", "Шерзод"),
        ],
        family: &[
            ("Gʻulomov", "Ғуломов"),
            ("Toʻxtayev", "Тўхтаев"),
            ("Karimov", "Каримов"),
            ("Yusupova", "Юсупова"),
            ("Rahimov", "Раҳимов"),
            ("Qodirov", "Қодиров"),
            ("Xoʻjayev", "Хўжаев"),
            ("Ismoilova", "Исмоилова"),
            ("Nazarov", "Назаров"),
            ("Saidova", "Саидова"),
            ("Ergashev", "Эргашев"),
            ("Mirzayev", "Мирзаев"),
            ("Oʻrinboyev", "Ўринбоев"),
            ("Hasanov", "Ҳасанов"),
            ("Abdullayeva", "Абдуллаева"),
            ("Tursunov", "Турсунов"),
        ],
        order: Order::GivenFamily,
        company_form: "JSC",
        company_stems: &[
            "Toshkent",
            "Samarqand",
            "Navoiy",
            "Olmaliq",
            "Buxoro",
            "Fargʻona",
            "Chirchiq",
            "Angren",
            "Termiz",
            "Jizzax",
        ],
        phone: "+998",
    },
    Country {
        code: "RU",
        name: "Russia",
        weight: 120,
        given: &[
            ("Ivan", "Иван"),
            ("Sergey", "Сергей"),
            ("Dmitry", "Дмитрий"),
            ("Anna", "Анна"),
            ("Olga", "Ольга"),
            ("Alexey", "Алексей"),
            ("Maria", "Мария"),
            ("Nikolay", "Николай"),
            ("Elena", "Елена"),
            ("Pavel", "Павел"),
            ("Tatiana", "Татьяна"),
            ("Andrey", "Андрей"),
            ("Yulia", "Юлия"),
            ("Mikhail", "Михаил"),
        ],
        family: &[
            ("Ivanov", "Иванов"),
            ("Petrov", "Петров"),
            ("Smirnov", "Смирнов"),
            ("Volkov", "Волков"),
            ("Sokolov", "Соколов"),
            ("Kuznetsov", "Кузнецов"),
            ("Popov", "Попов"),
            ("Lebedev", "Лебедев"),
            ("Kozlov", "Козлов"),
            ("Novikov", "Новиков"),
            ("Morozov", "Морозов"),
            ("Orlov", "Орлов"),
        ],
        order: Order::GivenFamily,
        company_form: "JSC",
        company_stems: &[
            "Ural", "Volga", "Sibir", "Kama", "Neva", "Don", "Altai", "Baikal", "Amur", "Oka",
        ],
        phone: "+7",
    },
    Country {
        code: "CN",
        name: "China",
        weight: 70,
        given: &[
            ("Wei", "伟"),
            ("Fang", "芳"),
            ("Lei", "磊"),
            ("Jing", "静"),
            ("Min", "敏"),
            ("Qiang", "强"),
            ("Yan", "燕"),
            ("Jun", "军"),
            ("Hua", "华"),
            ("Xiuying", "秀英"),
            ("Yong", "勇"),
            ("Li", "丽"),
        ],
        family: &[
            ("Wang", "王"),
            ("Li", "李"),
            ("Zhang", "张"),
            ("Liu", "刘"),
            ("Chen", "陈"),
            ("Yang", "杨"),
            ("Zhao", "赵"),
            ("Huang", "黄"),
            ("Zhou", "周"),
            ("Wu", "吴"),
        ],
        order: Order::FamilyGivenJoined,
        company_form: "Co., Ltd.",
        company_stems: &[
            "Sinotech", "Huadong", "Zhongxin", "Tianjin", "Xinjiang", "Shenzhen", "Jiangsu",
            "Hengtong", "Sanhe", "Longi",
        ],
        phone: "+86",
    },
    Country {
        code: "KZ",
        name: "Kazakhstan",
        weight: 60,
        given: &[
            ("Nursultan", "Нұрсұлтан"),
            ("Aigerim", "Әйгерім"),
            ("Erlan", "Ерлан"),
            ("Dana", "Дана"),
            ("Askar", "Асқар"),
            ("Gulnar", "Гүлнар"),
            ("Yerbol", "Ербол"),
            ("Aruzhan", "Аружан"),
            ("Nurlan", "Нұрлан"),
            ("Saule", "Сәуле"),
            ("Dauren", "Дәурен"),
            ("Zhanna", "Жанна"),
        ],
        family: &[
            ("Nurlanov", "Нұрланов"),
            ("Seitkali", "Сейітқали"),
            ("Omarov", "Омаров"),
            ("Sultanbekova", "Сұлтанбекова"),
            ("Zhaksybekov", "Жақсыбеков"),
            ("Abenova", "Әбенова"),
            ("Iskakov", "Ысқақов"),
            ("Tokayev", "Тоқаев"),
            ("Bekova", "Бекова"),
            ("Usenov", "Үсенов"),
        ],
        order: Order::GivenFamily,
        company_form: "LLP",
        company_stems: &[
            "Astana",
            "Almaty",
            "Karaganda",
            "Atyrau",
            "Aktobe",
            "Pavlodar",
            "Shymkent",
            "Kostanay",
        ],
        phone: "+7",
    },
    Country {
        code: "BY",
        name: "Belarus",
        weight: 35,
        given: &[
            ("Aliaksandr", "Аляксандр"),
            ("Siarhei", "Сяргей"),
            ("Volha", "Вольга"),
            ("Andrei", "Андрэй"),
            ("Hanna", "Ганна"),
            ("Uladzimir", "Уладзімір"),
            ("Tatsiana", "Таццяна"),
            ("Yauhen", "Яўген"),
        ],
        family: &[
            ("Kavalenka", "Каваленка"),
            ("Novik", "Новік"),
            ("Shautsou", "Шаўцоў"),
            ("Kazlou", "Казлоў"),
            ("Bandarenka", "Бандарэнка"),
            ("Marozava", "Марозава"),
            ("Lukashevich", "Лукашэвіч"),
        ],
        order: Order::GivenFamily,
        company_form: "OJSC",
        company_stems: &["Minsk", "Homel", "Brest", "Hrodna", "Viciebsk", "Mahiliou"],
        phone: "+375",
    },
    Country {
        code: "KG",
        name: "Kyrgyzstan",
        weight: 15,
        given: &[
            ("Azamat", "Азамат"),
            ("Aibek", "Айбек"),
            ("Cholpon", "Чолпон"),
            ("Bakyt", "Бакыт"),
            ("Nurgul", "Нургүл"),
        ],
        family: &[
            ("Ormonov", "Ормонов"),
            ("Sadykov", "Садыков"),
            ("Asanova", "Асанова"),
            ("Toktogulov", "Токтогулов"),
        ],
        order: Order::GivenFamily,
        company_form: "LLC",
        company_stems: &["Bishkek", "Osh", "Issyk-Kul", "Naryn"],
        phone: "+996",
    },
    Country {
        code: "TJ",
        name: "Tajikistan",
        weight: 15,
        given: &[
            ("Firdavs", "Фирдавс"),
            ("Manizha", "Манижа"),
            ("Jamshed", "Ҷамшед"),
            ("Farrukh", "Фаррух"),
            ("Zarina", "Зарина"),
        ],
        family: &[
            ("Rahmonov", "Раҳмонов"),
            ("Sharipov", "Шарипов"),
            ("Qurbonova", "Қурбонова"),
            ("Nazarov", "Назаров"),
        ],
        order: Order::GivenFamily,
        company_form: "LLC",
        company_stems: &["Dushanbe", "Khujand", "Pamir", "Vakhsh"],
        phone: "+992",
    },
    Country {
        code: "TM",
        name: "Turkmenistan",
        weight: 12,
        given: &[
            ("Serdar", ""),
            ("Maýsa", ""),
            ("Batyr", ""),
            ("Gözel", ""),
            ("Merdan", ""),
        ],
        family: &[
            ("Annaýew", ""),
            ("Orazowa", ""),
            ("Berdiýew", ""),
            ("Çaryýew", ""),
        ],
        order: Order::LatinOnly,
        company_form: "HJ",
        company_stems: &["Aşgabat", "Türkmenbaşy", "Mary", "Balkan"],
        phone: "+993",
    },
    Country {
        code: "AZ",
        name: "Azerbaijan",
        weight: 15,
        given: &[
            ("Elçin", ""),
            ("Aygün", ""),
            ("Rəşad", ""),
            ("Günay", ""),
            ("Orxan", ""),
        ],
        family: &[
            ("Məmmədov", ""),
            ("Əliyeva", ""),
            ("Hüseynov", ""),
            ("Quliyev", ""),
        ],
        order: Order::LatinOnly,
        company_form: "OJSC",
        company_stems: &["Bakı", "Gəncə", "Sumqayıt", "Xəzər"],
        phone: "+994",
    },
    Country {
        code: "AM",
        name: "Armenia",
        weight: 10,
        given: &[
            ("Aram", "Արամ"),
            ("Anahit", "Անահիտ"),
            ("Tigran", "Տիգրան"),
            ("Lilit", "Լիլիթ"),
            ("Davit", "Դավիթ"),
        ],
        family: &[
            ("Hakobyan", "Հակոբյան"),
            ("Petrosyan", "Պետրոսյան"),
            ("Sargsyan", "Սարգսյան"),
            ("Grigoryan", "Գրիգորյան"),
        ],
        order: Order::GivenFamily,
        company_form: "CJSC",
        company_stems: &["Yerevan", "Ararat", "Gyumri", "Sevan"],
        phone: "+374",
    },
    Country {
        code: "GE",
        name: "Georgia",
        weight: 10,
        given: &[
            ("Giorgi", "გიორგი"),
            ("Nino", "ნინო"),
            ("Levan", "ლევან"),
            ("Tamar", "თამარ"),
            ("Davit", "დავით"),
        ],
        family: &[
            ("Beridze", "ბერიძე"),
            ("Kapanadze", "კაპანაძე"),
            ("Gelashvili", "გელაშვილი"),
            ("Lomidze", "ლომიძე"),
        ],
        order: Order::GivenFamily,
        company_form: "LLC",
        company_stems: &["Tbilisi", "Kutaisi", "Batumi", "Rustavi"],
        phone: "+995",
    },
    Country {
        code: "MN",
        name: "Mongolia",
        weight: 8,
        given: &[
            ("Bat-Erdene", "Бат-Эрдэнэ"),
            ("Oyuun", "Оюун"),
            ("Ganbold", "Ганболд"),
            ("Saruul", "Саруул"),
        ],
        family: &[
            ("Batbayar", "Батбаяр"),
            ("Dorj", "Дорж"),
            ("Enkhbold", "Энхболд"),
            ("Tseren", "Цэрэн"),
        ],
        order: Order::GivenFamily,
        company_form: "LLC",
        company_stems: &["Ulaanbaatar", "Erdenet", "Darkhan", "Oyu"],
        phone: "+976",
    },
    Country {
        code: "TR",
        name: "Turkey",
        weight: 30,
        given: &[
            ("Şahin", ""),
            ("Ayşe", ""),
            ("Mehmet", ""),
            ("Gülşen", ""),
            ("Çağrı", ""),
            ("Özge", ""),
            ("İbrahim", ""),
        ],
        family: &[
            ("Öztürk", ""),
            ("Yılmaz", ""),
            ("Kaya", ""),
            ("Demir", ""),
            ("Çelik", ""),
            ("Şimşek", ""),
        ],
        order: Order::LatinOnly,
        company_form: "A.Ş.",
        company_stems: &[
            "Anadolu", "Marmara", "Ege", "Kocaeli", "Bursa", "Konya", "İzmir",
        ],
        phone: "+90",
    },
    Country {
        code: "IR",
        name: "Iran",
        weight: 10,
        given: &[
            ("Reza", "رضا"),
            ("Maryam", "مریم"),
            ("Ali", "علی"),
            ("Zahra", "زهرا"),
            ("Hossein", "حسین"),
        ],
        family: &[
            ("Ahmadi", "احمدی"),
            ("Hosseini", "حسینی"),
            ("Karimi", "کریمی"),
            ("Rezaei", "رضایی"),
        ],
        order: Order::GivenFamily,
        company_form: "Co.",
        company_stems: &["Pars", "Tabriz", "Isfahan", "Kish"],
        phone: "+98",
    },
    Country {
        code: "PK",
        name: "Pakistan",
        weight: 8,
        given: &[
            ("Imran", "عمران"),
            ("Ayesha", "عائشہ"),
            ("Bilal", "بلال"),
            ("Fatima", "فاطمہ"),
        ],
        family: &[
            ("Khan", "خان"),
            ("Qureshi", "قریشی"),
            ("Malik", "ملک"),
            ("Siddiqui", "صدیقی"),
        ],
        order: Order::GivenFamily,
        company_form: "(Pvt) Ltd",
        company_stems: &["Indus", "Karachi", "Lahore", "Punjab"],
        phone: "+92",
    },
    Country {
        code: "IN",
        name: "India",
        weight: 15,
        given: &[
            ("Rahul", ""),
            ("Priya", ""),
            ("Arjun", ""),
            ("Ananya", ""),
            ("Vikram", ""),
        ],
        family: &[
            ("Sharma", ""),
            ("Patel", ""),
            ("Iyer", ""),
            ("Reddy", ""),
            ("Gupta", ""),
        ],
        order: Order::LatinOnly,
        company_form: "Pvt Ltd",
        company_stems: &["Bharat", "Deccan", "Ganga", "Sahyadri", "Kaveri"],
        phone: "+91",
    },
    Country {
        code: "AE",
        name: "United Arab Emirates",
        weight: 10,
        given: &[
            ("Mohammed", "محمد"),
            ("Fatima", "فاطمة"),
            ("Khalid", "خالد"),
            ("Mariam", "مريم"),
            ("Saeed", "سعيد"),
        ],
        family: &[
            ("Al Mansouri", "المنصوري"),
            ("Al Falasi", "الفلاسي"),
            ("Al Nuaimi", "النعيمي"),
            ("Al Hashimi", "الهاشمي"),
        ],
        order: Order::GivenFamily,
        company_form: "LLC",
        company_stems: &["Emirates", "Gulf", "Falcon", "Dubai"],
        phone: "+971",
    },
    Country {
        code: "SA",
        name: "Saudi Arabia",
        weight: 8,
        given: &[
            ("Abdullah", "عبدالله"),
            ("Noura", "نورة"),
            ("Faisal", "فيصل"),
            ("Sara", "سارة"),
        ],
        family: &[
            ("Al Saud", "آل سعود"),
            ("Al Qahtani", "القحطاني"),
            ("Al Harbi", "الحربي"),
            ("Al Ghamdi", "الغامدي"),
        ],
        order: Order::GivenFamily,
        company_form: "Co.",
        company_stems: &["Riyadh", "Najd", "Red Sea", "Jubail"],
        phone: "+966",
    },
    Country {
        code: "EG",
        name: "Egypt",
        weight: 8,
        given: &[
            ("Ahmed", "أحمد"),
            ("Mona", "منى"),
            ("Mahmoud", "محمود"),
            ("Yasmin", "ياسمين"),
        ],
        family: &[
            ("Hassan", "حسن"),
            ("Mostafa", "مصطفى"),
            ("Ibrahim", "إبراهيم"),
            ("Farouk", "فاروق"),
        ],
        order: Order::GivenFamily,
        company_form: "S.A.E.",
        company_stems: &["Nile", "Delta", "Suez", "Giza"],
        phone: "+20",
    },
    Country {
        code: "KR",
        name: "South Korea",
        weight: 20,
        given: &[
            ("Min-jun", "민준"),
            ("Seo-yeon", "서연"),
            ("Ji-ho", "지호"),
            ("Ha-eun", "하은"),
            ("Do-yun", "도윤"),
        ],
        family: &[
            ("Kim", "김"),
            ("Lee", "이"),
            ("Park", "박"),
            ("Choi", "최"),
            ("Jung", "정"),
        ],
        order: Order::FamilyGivenJoined,
        company_form: "Co., Ltd.",
        company_stems: &["Hanil", "Daesung", "Seoul", "Busan", "Hyosan"],
        phone: "+82",
    },
    Country {
        code: "JP",
        name: "Japan",
        weight: 15,
        given: &[
            ("Haruto", "陽翔"),
            ("Yui", "結衣"),
            ("Takumi", "拓海"),
            ("Sakura", "さくら"),
            ("Kenji", "健二"),
        ],
        family: &[
            ("Sato", "佐藤"),
            ("Suzuki", "鈴木"),
            ("Takahashi", "高橋"),
            ("Tanaka", "田中"),
            ("Watanabe", "渡辺"),
        ],
        order: Order::FamilyGiven,
        company_form: "K.K.",
        company_stems: &["Nippon", "Kanto", "Osaka", "Fuji", "Tokai"],
        phone: "+81",
    },
    Country {
        code: "MY",
        name: "Malaysia",
        weight: 8,
        given: &[("Ahmad", ""), ("Nurul", ""), ("Faizal", ""), ("Siti", "")],
        family: &[
            ("bin Ismail", ""),
            ("binti Hassan", ""),
            ("bin Abdullah", ""),
            ("binti Rahman", ""),
        ],
        order: Order::LatinOnly,
        company_form: "Sdn Bhd",
        company_stems: &["Petaling", "Johor", "Penang", "Selangor"],
        phone: "+60",
    },
    Country {
        code: "VN",
        name: "Vietnam",
        weight: 10,
        given: &[
            ("Văn An", ""),
            ("Thị Hương", ""),
            ("Đức Minh", ""),
            ("Thu Trang", ""),
            ("Quốc Bảo", ""),
        ],
        family: &[
            ("Nguyễn", ""),
            ("Trần", ""),
            ("Lê", ""),
            ("Phạm", ""),
            ("Đặng", ""),
        ],
        order: Order::LatinOnly,
        company_form: "JSC",
        company_stems: &["Hà Nội", "Sài Gòn", "Đà Nẵng", "Hải Phòng"],
        phone: "+84",
    },
    Country {
        code: "DE",
        name: "Germany",
        weight: 20,
        given: &[
            ("Jürgen", ""),
            ("Anna", ""),
            ("Matthias", ""),
            ("Sabine", ""),
            ("Lukas", ""),
            ("Käthe", ""),
        ],
        family: &[
            ("Müller", ""),
            ("Schröder", ""),
            ("Weiß", ""),
            ("Schmidt", ""),
            ("Groß", ""),
            ("Köhler", ""),
        ],
        order: Order::LatinOnly,
        company_form: "GmbH",
        company_stems: &["Rhein", "Bayern", "Sachsen", "Ruhr", "Schwaben", "Hansa"],
        phone: "+49",
    },
    Country {
        code: "IT",
        name: "Italy",
        weight: 12,
        given: &[
            ("Giuseppe", ""),
            ("Francesca", ""),
            ("Niccolò", ""),
            ("Chiara", ""),
        ],
        family: &[
            ("Rossi", ""),
            ("Esposito", ""),
            ("Bianchi", ""),
            ("Romano", ""),
        ],
        order: Order::LatinOnly,
        company_form: "S.p.A.",
        company_stems: &["Lombardia", "Piemonte", "Veneto", "Emilia"],
        phone: "+39",
    },
    Country {
        code: "FR",
        name: "France",
        weight: 12,
        given: &[
            ("François", ""),
            ("Hélène", ""),
            ("Jérôme", ""),
            ("Amélie", ""),
        ],
        family: &[
            ("Lefèvre", ""),
            ("Dubois", ""),
            ("Moreau", ""),
            ("Girard", ""),
        ],
        order: Order::LatinOnly,
        company_form: "SAS",
        company_stems: &["Lyon", "Provence", "Alsace", "Loire"],
        phone: "+33",
    },
    Country {
        code: "HU",
        name: "Hungary",
        weight: 10,
        given: &[
            ("Gábor", ""),
            ("Zsófia", ""),
            ("László", ""),
            ("Erzsébet", ""),
        ],
        family: &[("Kovács", ""), ("Szabó", ""), ("Tóth", ""), ("Horváth", "")],
        order: Order::LatinOnly,
        company_form: "Kft.",
        company_stems: &["Duna", "Tisza", "Balaton", "Pannonia"],
        phone: "+36",
    },
];

/// Media outlets (name, country).
pub(crate) const MEDIA: &[(&str, &str)] = &[
    ("Uzbekistan National TV", "UZ"),
    ("Gazeta.uz", "UZ"),
    ("Kun.uz", "UZ"),
    ("Daryo", "UZ"),
    ("UzA National News Agency", "UZ"),
    ("Narodnoe Slovo", "UZ"),
    ("TASS", "RU"),
    ("RIA Novosti", "RU"),
    ("Kommersant", "RU"),
    ("Xinhua", "CN"),
    ("China Daily", "CN"),
    ("Kazinform", "KZ"),
    ("BelTA", "BY"),
    ("Anadolu Agency", "TR"),
    ("Yonhap", "KR"),
    ("Nikkei", "JP"),
    ("Deutsche Welle", "DE"),
    ("Trend News Agency", "AZ"),
    ("Kabar", "KG"),
    ("Khovar", "TJ"),
];

/// Government bodies (name, country).
pub(crate) const GOVERNMENT: &[(&str, &str)] = &[
    (
        "Ministry of Investment, Industry and Trade of the Republic of Uzbekistan",
        "UZ",
    ),
    (
        "Ministry of Industry and Trade of the Russian Federation",
        "RU",
    ),
    ("Cabinet of Ministers of the Republic of Uzbekistan", "UZ"),
    ("Government of the Russian Federation", "RU"),
    ("Uzexpocentre", "UZ"),
];

/// Given names (Latin) that are women's, where a family name takes a
/// feminine form: Uzbek, Russian, Kazakh, Belarusian, Kyrgyz, Tajik,
/// Turkmen and Azerbaijani family names do (Karimov, Karimova), and a
/// Malay patronymic says "binti" for a daughter.
const FEMININE: &[&str] = &[
    "Dilnoza", "Shahnoza", "Nodira", "Gulnora", "Malika", "Zuhra", "Feruza", "Kamola", // UZ
    "Anna", "Olga", "Maria", "Elena", "Tatiana", "Yulia", // RU
    "Aigerim", "Dana", "Gulnar", "Aruzhan", "Saule", "Zhanna", // KZ
    "Volha", "Hanna", "Tatsiana", // BY
    "Cholpon", "Nurgul", // KG
    "Manizha", "Zarina", // TJ
    "Maýsa", "Gözel", // TM
    "Aygün", "Günay", // AZ
    "Nurul", "Siti", // MY
];

/// Endings of masculine family names and their feminine forms, Latin and
/// Cyrillic, longest first.
const FORMS: &[(&str, &str)] = &[
    ("ýew", "ýewa"),
    ("yev", "yeva"),
    ("ov", "ova"),
    ("ev", "eva"),
    ("ow", "owa"),
    ("in", "ina"),
    ("ou", "ova"),
    ("au", "ava"),
    ("ов", "ова"),
    ("ев", "ева"),
    ("ин", "ина"),
    ("оў", "ова"),
    ("аў", "ава"),
];

/// A family name in the form that goes with the given name: the list
/// holds either form; the one of the holder's gender is made from it.
fn family_form(name: &str, feminine: bool) -> String {
    if let Some(rest) = name.strip_prefix("bin ").filter(|_| feminine) {
        return format!("binti {rest}");
    }
    if let Some(rest) = name.strip_prefix("binti ").filter(|_| !feminine) {
        return format!("bin {rest}");
    }
    for (masculine, feminine_end) in FORMS {
        if feminine {
            if name.ends_with(feminine_end) {
                return name.to_owned();
            }
            if let Some(stem) = name.strip_suffix(masculine) {
                return format!("{stem}{feminine_end}");
            }
        } else if let Some(stem) = name.strip_suffix(feminine_end) {
            return format!("{stem}{masculine}");
        }
    }
    name.to_owned()
}

/// Whether the country's family names take a gendered form.
fn gendered(country: &Country) -> bool {
    matches!(
        country.code,
        "UZ" | "RU" | "KZ" | "BY" | "KG" | "TJ" | "TM" | "AZ" | "MY"
    )
}

/// A name of `country` from its `g`-th given and `f`-th family name, the
/// family name in the form of the given name's gender: (given, family,
/// name in the native script).
pub(crate) fn person_name(country: &Country, g: usize, f: usize) -> (String, String, String) {
    let (given, given_native) = country.given[g % country.given.len()];
    let (family, family_native) = country.family[f % country.family.len()];
    let feminine = FEMININE.contains(&given);
    let (family, family_native) = if gendered(country) {
        (
            family_form(family, feminine),
            family_form(family_native, feminine),
        )
    } else {
        (family.to_owned(), family_native.to_owned())
    };
    let native = match country.order {
        Order::LatinOnly => String::new(),
        Order::GivenFamily => format!("{given_native} {family_native}"),
        Order::FamilyGiven => format!("{family_native} {given_native}"),
        Order::FamilyGivenJoined => format!("{family_native}{given_native}"),
    };
    (given.to_owned(), family, native)
}

#[cfg(test)]
mod tests {
    use super::{COUNTRIES, family_form, person_name};

    #[test]
    fn family_names_take_the_form_of_the_given_names_gender() {
        assert_eq!(family_form("Karimov", true), "Karimova");
        assert_eq!(family_form("Yusupova", false), "Yusupov");
        assert_eq!(family_form("Каримов", true), "Каримова");
        assert_eq!(family_form("Kazlou", true), "Kazlova");
        assert_eq!(family_form("Marozava", false), "Marozau");
        assert_eq!(family_form("Əliyeva", false), "Əliyev");
        assert_eq!(family_form("Annaýew", true), "Annaýewa");
        assert_eq!(family_form("bin Ismail", true), "binti Ismail");
        assert_eq!(family_form("Lukashevich", true), "Lukashevich");
        let uz = COUNTRIES.iter().find(|c| c.code == "UZ").unwrap();
        for g in 0..uz.given.len() {
            for f in 0..uz.family.len() {
                let (given, family, native) = person_name(uz, g, f);
                let women = [
                    "Dilnoza", "Shahnoza", "Nodira", "Gulnora", "Malika", "Zuhra", "Feruza",
                    "Kamola",
                ];
                assert_eq!(
                    women.contains(&given.as_str()),
                    family.ends_with('a'),
                    "{given} {family} ({native})"
                );
            }
        }
    }
}
