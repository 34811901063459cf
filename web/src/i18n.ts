// The pages' languages: English, Russian and Uzbek (Latin script). Country
// names and month names ship with the pages, since a browser may lack
// Uzbek locale data; dates are shown in the event's time zone.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Failure } from "./api";
import { adminEn, adminRu, adminUz } from "./admin_texts";
import { gateEn, gateRu, gateUz } from "./gate_texts";
import countries from "i18n-iso-countries";
import enCountries from "i18n-iso-countries/langs/en.json";
import ruCountries from "i18n-iso-countries/langs/ru.json";
import uzCountries from "i18n-iso-countries/langs/uz.json";

export const LANGS = ["en", "ru", "uz"] as const;
export type Lang = (typeof LANGS)[number];
export const LANG_NAMES: Record<Lang, string> = { en: "English", ru: "Русский", uz: "Oʻzbekcha" };

/** A text: one string, or its plural forms (`Intl.PluralRules` categories). */
export type Text = string | { zero?: string; one?: string; two?: string; few?: string; many?: string; other: string };

const en = {
  title: "Expopass desk",
  language: "Language",
  loading: "Loading…",
  signout: "Sign out",
  back: "Back",
  close: "Close",
  save: "Save",
  edit: "Edit",
  nav: "Desk sections",
  "nav.participants": "Participants",
  "nav.delegations": "Delegations",
  "nav.import": "Import",
  "signin.title": "Sign in to the desk",
  "signin.how": "How to sign in",
  "signin.with.code": "Enrolment code",
  "signin.with.token": "Desk token",
  "signin.code": "Enrolment code",
  "signin.device": "Name of this desk",
  "signin.device.default": "desk browser",
  "signin.token": "Desk token",
  "signin.submit": "Sign in",
  "signin.code.empty": "Type the enrolment code you were given.",
  "signin.token.empty": "Paste the desk token you were given.",
  "signin.gate": "This code is for a gate, not for a desk.",
  "signin.rejected": "The server did not accept this token: it may be revoked or expired.",
  "event.pick": "Choose the event",
  "event.none": "This token gives access to no event.",
  "event.switch": "Other event",
  "search.label": "Search participants",
  "search.placeholder": "Search by name, in any script  ( / )",
  "search.hint": "Type the start of any word of a name (given, family or native, in any script), or a badge number; or scan a badge. / searches, ↓ moves through the results, Enter opens one, Alt+P prints, Alt+Q queues.",
  "search.badge.none": "No badge with this number or code.",
  "search.count": { one: "{n} found", other: "{n} found" },
  "search.count.more": "{shown} of {n} shown: type more of the name",
  "queue.title": "Print queue",
  "queue.count": { one: "{n} badge to print", other: "{n} badges to print" },
  "queue.sheet": "Print on A4 sheets",
  "queue.cards": "Print as cards",
  "queue.clear": "Empty the queue",
  "queue.add": "Add to print queue",
  "queue.remove": "Take out of the queue",
  "search.badge.enter": "Press Enter to open the holder of this badge.",
  "search.none": "Nobody matches.",
  "search.more": "More people match: type more of the name.",
  "search.results": "Participants found",
  participant: "Participant",
  "participant.none": "Search for a participant, or register a walk-in.",
  "field.name": "Name",
  "field.given_name": "Given name (Latin)",
  "field.family_name": "Family name (Latin)",
  "field.native_name": "Name in native script",
  "field.organization": "Organisation",
  "field.country": "Country",
  "field.category": "Category",
  "field.category_code": "Category",
  "field.delegation": "Delegation",
  "field.job_title": "Job title",
  "field.email": "Email",
  "field.phone": "Phone",
  "field.travel_document": "Passport number",
  "field.external_ref": "Roster reference",
  "hint.native": "As written in the passport's own script, e.g. Иван Петров.",
  "hint.picker": "Type to pick from the list.",
  "hint.organization": "Pick one, or type a new name to add it.",
  "hint.document.kept": "On file; type a new one to replace it.",
  "on.file": "on file",
  "registered.at": "Registered",
  "status.cancelled": "Cancelled",
  "register.open": "New participant",
  "register.title": "Register a walk-in",
  "register.submit": "Register",
  "register.duplicate": "This person is already registered for the event (same email or passport).",
  "register.open.existing": "Open the registered participant",
  "register.quota": "The delegation “{delegation}” has no place left in category {category}: its quota of {quota} is used up.",
  "error.required": "Required.",
  "error.pick.delegation": "Pick a delegation from the list.",
  "answers.title": "Event questions",
  "answers.on_badge": "Print on the badge",
  "answers.yes": "Yes",
  "answers.no": "No",
  "answer.REQUIRED": "Required.",
  "answer.TOO_LONG": "Too long.",
  "answer.TOO_SHORT": "Too short.",
  "answer.PATTERN": "Not in the form this question asks for.",
  "answer.OUT_OF_RANGE": "Out of the allowed range.",
  "answer.UNKNOWN_OPTION": "Not one of the options.",
  "answer.WRONG_TYPE": "Not a valid value for this question.",
  "answer.CONTROL_CHARACTERS": "Contains characters that cannot be stored.",
  "answer.NOT_ASKED": "Not asked of this category.",
  "answer.UNKNOWN_FIELD": "Not a question of this event.",
  "edit.title": "Edit participant",
  "conflict.text": "Someone changed this participant while you were editing. Compare, then save your changes again or start from the current version.",
  "conflict.field": "Field",
  "conflict.read": "When you opened it",
  "conflict.now": "Now",
  "conflict.yours": "Your change",
  "conflict.retry": "Keep my changes",
  "conflict.reload": "Discard mine",
  "cancel.participant": "Cancel registration",
  "cancel.title": "Cancel the registration of {name}",
  "cancel.reason": "Reason for cancelling",
  cancelled: "The registration is cancelled; the badge no longer opens gates.",
  "reason.required": "Give a reason.",
  badge: "Badge",
  "badge.number": "No.",
  "badge.layout": "Badge layout",
  "badge.issue": "Print badge",
  "badge.reprint": "Reprint badge",
  "badge.revoke": "Revoke badge",
  "badge.block": "Block badge",
  "badge.unblock": "Unblock badge",
  "badge.issued": "Badge {number} issued. The print dialog opens.",
  "badge.reprinted": "Badge {new} issued. The old badge {old} is now void: gates refuse it.",
  "badge.revoked.done": "The badge is revoked: gates refuse it.",
  "badge.blocked.done": "The badge is blocked: gates refuse it until it is unblocked.",
  "badge.unblocked": "The badge is unblocked.",
  "badge.outdated.hint": "The photo changed after this badge was printed: reprint it.",
  "badge.state.none": "No badge",
  "badge.state.valid": "Valid",
  "badge.state.outdated": "Reprint due",
  "badge.state.revoked": "Revoked",
  "badge.state.blocked": "Blocked",
  "revoke.note": "Why is the badge revoked?",
  "block.reason": "Why is the badge blocked?",
  "layout.a6": "A6 badge",
  "layout.card": "ID-1 card",
  "layout.sheet.a6": "A4 sheets of A6 badges",
  "layout.sheet.card": "A4 sheets of cards",
  "pdf.open": "Open the PDF",
  "pdf.download": "Download the PDF",
  "photo.none": "No photo",
  "photo.alt": "Photo of {name}",
  "photo.take": "Take photo",
  "photo.upload": "Upload photo",
  "photo.remove": "Remove photo",
  "photo.capture": "Capture",
  "camera.preview": "Camera preview",
  "camera.denied": "The camera could not be opened: allow it in the browser, or upload a file.",
  "camera.unavailable": "This browser offers no camera here (it needs https).",
  delegation: "Delegation",
  "delegation.none": "Choose a delegation.",
  "delegations.none": "The event has no delegations.",
  "delegation.head": "Head",
  "delegation.quotas": "Places by category",
  "delegation.members": "Members",
  members: { one: "{n} member", other: "{n} members" },
  "print.all": "Print all badges",
  "print.progress": "{done} of {total} badges",
  "import.title": "Import a roster",
  "import.help": "A CSV or XLSX file with a header row: given_name, family_name, native_name, organization, country, job_title, category, delegation, email, phone, passport, external_ref. Rows whose external_ref is already registered update that person.",
  "import.file": "Roster file",
  "import.unreadable": "This file could not be read as CSV or XLSX.",
  "import.no.names": "The header row needs given_name and family_name columns.",
  "import.preview": "{n} rows in {file}; the first ones:",
  "import.preview.label": "Rows to import",
  "import.ignored": "Columns ignored: {cols}.",
  "import.send": { one: "Import {n} row", other: "Import {n} rows" },
  "import.line": "line {n}",
  "import.done": "{imported} rows stored ({updated} of them updated), {failed} refused.",
  "import.errors": "Refused rows",
  "import.row": "Row",
  "import.reason": "Reason",
  "import.message": "What is wrong",
  "import.download": "Download the refused rows (CSV)",
  "reason.BADGE_IN_PROGRESS": "This badge is being issued by another desk right now: try again in a moment.",
  "reason.BADGE_NOT_FOUND": "No such badge.",
  "reason.CATEGORY_NOT_FOUND": "No such category in this event.",
  "reason.DATABASE_UNAVAILABLE": "The database cannot be reached right now: try again in a moment.",
  "reason.DELEGATION_EXISTS": "The event already has a delegation with this name.",
  "reason.DELEGATION_NOT_FOUND": "No such delegation.",
  "reason.DELEGATION_QUOTA_EXCEEDED": "The delegation's quota for this category is used up.",
  "reason.DUPLICATE_EXTERNAL_REF": "Another participant already has this reference.",
  "reason.DUPLICATE_PARTICIPANT": "This person is already registered (same email or travel document).",
  "reason.EVENT_CODE_TAKEN": "An event with this code already exists.",
  "reason.EVENT_FILE_TOO_LARGE": "The event file is too large.",
  "reason.EVENT_NOT_FOUND": "No such event.",
  "reason.GATE_NOT_FOUND": "No such gate.",
  "reason.HEAD_NOT_MEMBER": "The head must be an active member of the delegation.",
  "reason.IDEMPOTENCY_KEY_REUSED": "This request was already sent with other contents.",
  "reason.IMPORT_INCOMPLETE": "The import was cut off before its last row: nothing was stored. Send it again.",
  "reason.IMPORT_TOO_LARGE": "The file has too many rows for one import: split it.",
  "reason.INTERNAL": "Something went wrong on the server. Try again; if it persists, tell the organiser.",
  "reason.GATE_NOT_ALLOWED": "Your token is for another gate.",
  "reason.INVALID_FIELD": "Some fields are not right: see the marked fields.",
  "reason.KEY_ACTIVE": "The active signing key cannot be retired: rotate first.",
  "reason.KEY_NOT_FOUND": "No such signing key.",
  "reason.MALFORMED_MESSAGE": "The server could not read the request.",
  "reason.MESSAGE_TOO_LARGE": "The request is too large.",
  "reason.NOTHING_TO_PRINT": "Nobody to print in this selection.",
  "reason.ORGANIZATION_EXISTS": "The event already has an organisation with this name.",
  "reason.ORGANIZATION_NOT_FOUND": "No such organisation.",
  "reason.TEMPLATE_NOT_FOUND": "No such badge template in this event.",
  "reason.TEMPLATE_NOT_PUBLISHED": "Publish the template before assigning it.",
  "reason.TOKEN_EXPIRED": "Your token has expired: sign in again.",
  "reason.TOKEN_NOT_FOUND": "No such token.",
  "reason.PARTICIPANT_NOT_FOUND": "No such participant.",
  "reason.PHOTO_NOT_FOUND": "This participant has no photo.",
  "reason.QUOTA_BELOW_USAGE": "The quota cannot be lower than the members already registered.",
  "reason.REQUEST_IN_PROGRESS": "The same request is still being handled: wait a moment.",
  "reason.VALID_DAYS_TOO_WIDE": "The category's days span more than a badge can carry.",
  "reason.VERSION_CONFLICT": "Someone else changed this participant meanwhile: read it again.",
  "reason.WOULD_LOSE_DATA": "Nothing was applied: the change would lose data already recorded.",
  "reason.ZONE_CYCLE": "A zone cannot lie inside itself.",
  "reason.UNAVAILABLE": "The server cannot be reached. Try again in a moment.",
  "reason.UNAUTHENTICATED": "Your session is no longer valid: sign in again.",
  "reason.ROLE_NOT_ALLOWED": "Your token does not allow this.",
  "reason.EVENT_NOT_ALLOWED": "Your token is for another event.",
  "reason.ENROLMENT_CODE_UNKNOWN": "This enrolment code is not known. Check it and try again.",
  "reason.ENROLMENT_CODE_EXPIRED": "This enrolment code has expired: ask for a new one.",
  "reason.ENROLMENT_CODE_USED": "This enrolment code was already used: ask for a new one.",
  "reason.ENROLMENT_LOCKED": "Too many wrong codes from this device: wait a few minutes.",
  "reason.ENROLMENT_ROLE_MISMATCH": "This code is for another kind of device (a gate or a desk); it is still valid there.",
  "reason.PARTICIPANT_CANCELLED": "This participant is cancelled.",
  "reason.PHOTO_NOT_AN_IMAGE": "This file is not a JPEG, PNG or WebP image.",
  "reason.PHOTO_TOO_LARGE": "The photo file is over 10 MB.",
  "reason.PHOTO_TOO_MANY_PIXELS": "The photo is over 40 megapixels.",
  "reason.PHOTO_TOO_SMALL": "The photo is too small to print.",
  "reason.OVERLOADED": "The server is busy. Try again in a moment.",
};

const ru: Record<keyof typeof en, Text> = {
  title: "Expopass — стойка регистрации",
  language: "Язык",
  loading: "Загрузка…",
  signout: "Выйти",
  back: "Назад",
  close: "Закрыть",
  save: "Сохранить",
  edit: "Изменить",
  nav: "Разделы",
  "nav.participants": "Участники",
  "nav.delegations": "Делегации",
  "nav.import": "Импорт",
  "signin.title": "Вход на стойку регистрации",
  "signin.how": "Способ входа",
  "signin.with.code": "Код подключения",
  "signin.with.token": "Токен стойки",
  "signin.code": "Код подключения",
  "signin.device": "Название этой стойки",
  "signin.device.default": "браузер стойки",
  "signin.token": "Токен стойки",
  "signin.submit": "Войти",
  "signin.code.empty": "Введите выданный вам код подключения.",
  "signin.token.empty": "Вставьте выданный вам токен стойки.",
  "signin.gate": "Этот код для турникета, а не для стойки.",
  "signin.rejected": "Сервер не принял токен: он отозван или истёк.",
  "event.pick": "Выберите мероприятие",
  "event.none": "Этот токен не даёт доступа ни к одному мероприятию.",
  "event.switch": "Другое мероприятие",
  "search.label": "Поиск участников",
  "search.placeholder": "Поиск по имени на любом языке  ( / )",
  "search.hint": "Введите начало любого слова имени (имени, фамилии или написания на родном языке) или номер бейджа; или отсканируйте бейдж. / — поиск, ↓ — по результатам, Enter — открыть, Alt+P — печать, Alt+Q — в очередь.",
  "search.badge.none": "Бейджа с таким номером или кодом нет.",
  "search.count": { one: "Найден {n}", few: "Найдено {n}", many: "Найдено {n}", other: "Найдено {n}" },
  "search.count.more": "Показано {shown} из {n}: уточните имя",
  "queue.title": "Очередь печати",
  "queue.count": { one: "{n} бейдж к печати", few: "{n} бейджа к печати", many: "{n} бейджей к печати", other: "{n} бейджа к печати" },
  "queue.sheet": "Печать на листах A4",
  "queue.cards": "Печать карт",
  "queue.clear": "Очистить очередь",
  "queue.add": "В очередь печати",
  "queue.remove": "Убрать из очереди",
  "search.badge.enter": "Нажмите Enter, чтобы открыть владельца этого бейджа.",
  "search.none": "Никого не найдено.",
  "search.more": "Найдено больше: уточните имя.",
  "search.results": "Найденные участники",
  participant: "Участник",
  "participant.none": "Найдите участника или зарегистрируйте нового.",
  "field.name": "Имя",
  "field.given_name": "Имя (латиницей)",
  "field.family_name": "Фамилия (латиницей)",
  "field.native_name": "Имя в национальном написании",
  "field.organization": "Организация",
  "field.country": "Страна",
  "field.category": "Категория",
  "field.category_code": "Категория",
  "field.delegation": "Делегация",
  "field.job_title": "Должность",
  "field.email": "Эл. почта",
  "field.phone": "Телефон",
  "field.travel_document": "Номер паспорта",
  "field.external_ref": "Номер в списке",
  "hint.native": "Как в паспорте на родном языке, напр. Иван Петров.",
  "hint.picker": "Начните вводить и выберите из списка.",
  "hint.organization": "Выберите или введите новое название.",
  "hint.document.kept": "Есть в системе; введите новый, чтобы заменить.",
  "on.file": "есть",
  "registered.at": "Зарегистрирован",
  "status.cancelled": "Отменён",
  "register.open": "Новый участник",
  "register.title": "Регистрация на месте",
  "register.submit": "Зарегистрировать",
  "register.duplicate": "Этот человек уже зарегистрирован (та же почта или паспорт).",
  "register.open.existing": "Открыть зарегистрированного",
  "register.quota": "В делегации «{delegation}» нет мест в категории {category}: квота {quota} исчерпана.",
  "error.required": "Обязательное поле.",
  "error.pick.delegation": "Выберите делегацию из списка.",
  "answers.title": "Вопросы мероприятия",
  "answers.on_badge": "Напечатать на бейдже",
  "answers.yes": "Да",
  "answers.no": "Нет",
  "answer.REQUIRED": "Обязательное поле.",
  "answer.TOO_LONG": "Слишком длинно.",
  "answer.TOO_SHORT": "Слишком коротко.",
  "answer.PATTERN": "Не в том виде, который требует вопрос.",
  "answer.OUT_OF_RANGE": "Вне допустимого диапазона.",
  "answer.UNKNOWN_OPTION": "Нет среди вариантов.",
  "answer.WRONG_TYPE": "Недопустимое значение для этого вопроса.",
  "answer.CONTROL_CHARACTERS": "Содержит символы, которые нельзя сохранить.",
  "answer.NOT_ASKED": "Не задаётся этой категории.",
  "answer.UNKNOWN_FIELD": "Такого вопроса у мероприятия нет.",
  "edit.title": "Изменение данных участника",
  "conflict.text": "Пока вы редактировали, участника изменил кто-то другой. Сравните и сохраните свои изменения снова или начните с текущей версии.",
  "conflict.field": "Поле",
  "conflict.read": "Когда вы открыли",
  "conflict.now": "Сейчас",
  "conflict.yours": "Ваше изменение",
  "conflict.retry": "Оставить мои изменения",
  "conflict.reload": "Отменить мои",
  "cancel.participant": "Отменить регистрацию",
  "cancel.title": "Отмена регистрации: {name}",
  "cancel.reason": "Причина отмены",
  cancelled: "Регистрация отменена; бейдж больше не пропускает.",
  "reason.required": "Укажите причину.",
  badge: "Бейдж",
  "badge.number": "№",
  "badge.layout": "Формат бейджа",
  "badge.issue": "Печать бейджа",
  "badge.reprint": "Перепечатать бейдж",
  "badge.revoke": "Аннулировать бейдж",
  "badge.block": "Заблокировать бейдж",
  "badge.unblock": "Разблокировать бейдж",
  "badge.issued": "Бейдж {number} выпущен. Открывается окно печати.",
  "badge.reprinted": "Выпущен бейдж {new}. Старый бейдж {old} теперь недействителен: турникеты его не пропустят.",
  "badge.revoked.done": "Бейдж аннулирован: турникеты его не пропустят.",
  "badge.blocked.done": "Бейдж заблокирован до разблокировки.",
  "badge.unblocked": "Бейдж разблокирован.",
  "badge.outdated.hint": "Фото изменилось после печати бейджа: перепечатайте его.",
  "badge.state.none": "Нет бейджа",
  "badge.state.valid": "Действителен",
  "badge.state.outdated": "Нужна перепечатка",
  "badge.state.revoked": "Аннулирован",
  "badge.state.blocked": "Заблокирован",
  "revoke.note": "Почему бейдж аннулируется?",
  "block.reason": "Почему бейдж блокируется?",
  "layout.a6": "Бейдж A6",
  "layout.card": "Карта ID-1",
  "layout.sheet.a6": "Листы A4 с бейджами A6",
  "layout.sheet.card": "Листы A4 с картами",
  "pdf.open": "Открыть PDF",
  "pdf.download": "Скачать PDF",
  "photo.none": "Нет фото",
  "photo.alt": "Фото: {name}",
  "photo.take": "Сделать фото",
  "photo.upload": "Загрузить фото",
  "photo.remove": "Удалить фото",
  "photo.capture": "Снимок",
  "camera.preview": "Изображение с камеры",
  "camera.denied": "Камера недоступна: разрешите её в браузере или загрузите файл.",
  "camera.unavailable": "Браузер не даёт доступа к камере (нужен https).",
  delegation: "Делегация",
  "delegation.none": "Выберите делегацию.",
  "delegations.none": "У мероприятия нет делегаций.",
  "delegation.head": "Глава",
  "delegation.quotas": "Места по категориям",
  "delegation.members": "Состав",
  members: { one: "{n} участник", few: "{n} участника", many: "{n} участников", other: "{n} участника" },
  "print.all": "Напечатать все бейджи",
  "print.progress": "{done} из {total} бейджей",
  "import.title": "Импорт списка",
  "import.help": "Файл CSV или XLSX со строкой заголовков: given_name, family_name, native_name, organization, country, job_title, category, delegation, email, phone, passport, external_ref. Строки с уже зарегистрированным external_ref обновляют этого участника.",
  "import.file": "Файл списка",
  "import.unreadable": "Не удалось прочитать файл как CSV или XLSX.",
  "import.no.names": "Нужны столбцы given_name и family_name.",
  "import.preview": "Строк в {file}: {n}; первые из них:",
  "import.preview.label": "Строки для импорта",
  "import.ignored": "Пропущенные столбцы: {cols}.",
  "import.send": { one: "Импортировать {n} строку", few: "Импортировать {n} строки", many: "Импортировать {n} строк", other: "Импортировать {n} строки" },
  "import.line": "строка {n}",
  "import.done": "Сохранено строк: {imported} (из них обновлено: {updated}), отклонено: {failed}.",
  "import.errors": "Отклонённые строки",
  "import.row": "Строка",
  "import.reason": "Причина",
  "import.message": "Что не так",
  "import.download": "Скачать отклонённые строки (CSV)",
  "reason.BADGE_IN_PROGRESS": "Этот бейдж сейчас выдаёт другая стойка: повторите через минуту.",
  "reason.BADGE_NOT_FOUND": "Бейдж не найден.",
  "reason.CATEGORY_NOT_FOUND": "В мероприятии нет такой категории.",
  "reason.DATABASE_UNAVAILABLE": "База данных сейчас недоступна: повторите через минуту.",
  "reason.DELEGATION_EXISTS": "Делегация с таким названием уже есть.",
  "reason.DELEGATION_NOT_FOUND": "Делегация не найдена.",
  "reason.DELEGATION_QUOTA_EXCEEDED": "Квота делегации по этой категории исчерпана.",
  "reason.DUPLICATE_EXTERNAL_REF": "Этот номер уже есть у другого участника.",
  "reason.DUPLICATE_PARTICIPANT": "Этот человек уже зарегистрирован (та же почта или тот же документ).",
  "reason.EVENT_CODE_TAKEN": "Мероприятие с таким кодом уже есть.",
  "reason.EVENT_FILE_TOO_LARGE": "Файл мероприятия слишком большой.",
  "reason.EVENT_NOT_FOUND": "Мероприятие не найдено.",
  "reason.GATE_NOT_FOUND": "Вход не найден.",
  "reason.HEAD_NOT_MEMBER": "Глава должен быть действующим членом делегации.",
  "reason.IDEMPOTENCY_KEY_REUSED": "Этот запрос уже отправлялся с другим содержимым.",
  "reason.IMPORT_INCOMPLETE": "Импорт прервался до последней строки: ничего не сохранено. Отправьте снова.",
  "reason.IMPORT_TOO_LARGE": "Слишком много строк для одного импорта: разделите файл.",
  "reason.INTERNAL": "Ошибка на сервере. Повторите; если ошибка повторится, сообщите организатору.",
  "reason.GATE_NOT_ALLOWED": "Ваш токен выдан для другого входа.",
  "reason.INVALID_FIELD": "Некоторые поля заполнены неверно: см. отмеченные поля.",
  "reason.KEY_ACTIVE": "Действующий ключ подписи нельзя вывести: сначала замените его.",
  "reason.KEY_NOT_FOUND": "Ключ подписи не найден.",
  "reason.MALFORMED_MESSAGE": "Сервер не смог прочитать запрос.",
  "reason.MESSAGE_TOO_LARGE": "Запрос слишком большой.",
  "reason.NOTHING_TO_PRINT": "В этой выборке некого печатать.",
  "reason.ORGANIZATION_EXISTS": "Организация с таким названием уже есть.",
  "reason.ORGANIZATION_NOT_FOUND": "Организация не найдена.",
  "reason.TEMPLATE_NOT_FOUND": "В этом мероприятии нет такого шаблона бейджа.",
  "reason.TEMPLATE_NOT_PUBLISHED": "Сначала опубликуйте шаблон, затем назначайте его.",
  "reason.TOKEN_EXPIRED": "Срок действия токена истёк: войдите снова.",
  "reason.TOKEN_NOT_FOUND": "Токен не найден.",
  "reason.PARTICIPANT_NOT_FOUND": "Участник не найден.",
  "reason.PHOTO_NOT_FOUND": "У участника нет фото.",
  "reason.QUOTA_BELOW_USAGE": "Квота не может быть меньше числа уже зарегистрированных.",
  "reason.REQUEST_IN_PROGRESS": "Такой же запрос ещё выполняется: подождите.",
  "reason.VALID_DAYS_TOO_WIDE": "Дни категории занимают больше, чем вмещает бейдж.",
  "reason.VERSION_CONFLICT": "Участника тем временем изменил кто-то другой: откройте его снова.",
  "reason.WOULD_LOSE_DATA": "Ничего не применено: изменение потеряло бы уже записанные данные.",
  "reason.ZONE_CYCLE": "Зона не может находиться внутри самой себя.",
  "reason.UNAVAILABLE": "Сервер недоступен. Повторите через минуту.",
  "reason.UNAUTHENTICATED": "Сеанс недействителен: войдите снова.",
  "reason.ROLE_NOT_ALLOWED": "Ваш токен этого не позволяет.",
  "reason.EVENT_NOT_ALLOWED": "Ваш токен выдан для другого мероприятия.",
  "reason.ENROLMENT_CODE_UNKNOWN": "Код не найден. Проверьте и введите снова.",
  "reason.ENROLMENT_CODE_EXPIRED": "Срок действия кода истёк: запросите новый.",
  "reason.ENROLMENT_CODE_USED": "Код уже использован: запросите новый.",
  "reason.ENROLMENT_LOCKED": "Слишком много неверных кодов: подождите несколько минут.",
  "reason.ENROLMENT_ROLE_MISMATCH": "Этот код для устройства другого типа (входа или стойки); там он по-прежнему действует.",
  "reason.PARTICIPANT_CANCELLED": "Регистрация участника отменена.",
  "reason.PHOTO_NOT_AN_IMAGE": "Файл не является изображением JPEG, PNG или WebP.",
  "reason.PHOTO_TOO_LARGE": "Файл фото больше 10 МБ.",
  "reason.PHOTO_TOO_MANY_PIXELS": "Фото больше 40 мегапикселей.",
  "reason.PHOTO_TOO_SMALL": "Фото слишком маленькое для печати.",
  "reason.OVERLOADED": "Сервер перегружен. Повторите через минуту.",
};

const uz: Record<keyof typeof en, Text> = {
  title: "Expopass — roʻyxatga olish",
  language: "Til",
  loading: "Yuklanmoqda…",
  signout: "Chiqish",
  back: "Orqaga",
  close: "Yopish",
  save: "Saqlash",
  edit: "Tahrirlash",
  nav: "Boʻlimlar",
  "nav.participants": "Ishtirokchilar",
  "nav.delegations": "Delegatsiyalar",
  "nav.import": "Import",
  "signin.title": "Roʻyxatga olish joyiga kirish",
  "signin.how": "Kirish usuli",
  "signin.with.code": "Ulanish kodi",
  "signin.with.token": "Token",
  "signin.code": "Ulanish kodi",
  "signin.device": "Ushbu joy nomi",
  "signin.device.default": "roʻyxatga olish brauzeri",
  "signin.token": "Token",
  "signin.submit": "Kirish",
  "signin.code.empty": "Sizga berilgan ulanish kodini kiriting.",
  "signin.token.empty": "Sizga berilgan tokenni kiriting.",
  "signin.gate": "Bu kod turniket uchun, roʻyxatga olish uchun emas.",
  "signin.rejected": "Server tokenni qabul qilmadi: u bekor qilingan yoki muddati tugagan.",
  "event.pick": "Tadbirni tanlang",
  "event.none": "Bu token hech qaysi tadbirga ruxsat bermaydi.",
  "event.switch": "Boshqa tadbir",
  "search.label": "Ishtirokchilarni qidirish",
  "search.placeholder": "Ism boʻyicha qidiring, istalgan yozuvda  ( / )",
  "search.hint": "Ismning istalgan soʻzi boshini (ism, familiya yoki ona tilidagi yozuv) yoki beydj raqamini yozing; yoki beydjni skanerlang. / — qidiruv, ↓ — natijalar boʻylab, Enter — ochish, Alt+P — chop etish, Alt+Q — navbatga.",
  "search.badge.none": "Bunday raqam yoki kodli beydj yoʻq.",
  "search.count": "{n} ta topildi",
  "search.count.more": "{n} tadan {shown} tasi koʻrsatilgan: ismni aniqroq yozing",
  "queue.title": "Chop etish navbati",
  "queue.count": "Chop etishga {n} ta beydj",
  "queue.sheet": "A4 varaqlarda chop etish",
  "queue.cards": "Karta sifatida chop etish",
  "queue.clear": "Navbatni tozalash",
  "queue.add": "Chop etish navbatiga",
  "queue.remove": "Navbatdan olish",
  "search.badge.enter": "Ushbu beydj egasini ochish uchun Enter tugmasini bosing.",
  "search.none": "Hech kim topilmadi.",
  "search.more": "Yana topildi: ismni aniqroq kiriting.",
  "search.results": "Topilgan ishtirokchilar",
  participant: "Ishtirokchi",
  "participant.none": "Ishtirokchini qidiring yoki yangisini roʻyxatga oling.",
  "field.name": "Ism",
  "field.given_name": "Ism (lotincha)",
  "field.family_name": "Familiya (lotincha)",
  "field.native_name": "Milliy yozuvdagi ism",
  "field.organization": "Tashkilot",
  "field.country": "Mamlakat",
  "field.category": "Toifa",
  "field.category_code": "Toifa",
  "field.delegation": "Delegatsiya",
  "field.job_title": "Lavozim",
  "field.email": "Elektron pochta",
  "field.phone": "Telefon",
  "field.travel_document": "Pasport raqami",
  "field.external_ref": "Roʻyxatdagi raqam",
  "hint.native": "Pasportdagi ona tilidagi yozuv, masalan Иван Петров.",
  "hint.picker": "Yozishni boshlang va roʻyxatdan tanlang.",
  "hint.organization": "Tanlang yoki yangi nom kiriting.",
  "hint.document.kept": "Tizimda bor; almashtirish uchun yangisini kiriting.",
  "on.file": "bor",
  "registered.at": "Roʻyxatga olingan",
  "status.cancelled": "Bekor qilingan",
  "register.open": "Yangi ishtirokchi",
  "register.title": "Joyida roʻyxatga olish",
  "register.submit": "Roʻyxatga olish",
  "register.duplicate": "Bu shaxs allaqachon roʻyxatga olingan (xuddi shu pochta yoki pasport).",
  "register.open.existing": "Roʻyxatdagi shaxsni ochish",
  "register.quota": "«{delegation}» delegatsiyasida {category} toifasida joy qolmadi: {quota} kvotasi tugagan.",
  "error.required": "Toʻldirilishi shart.",
  "error.pick.delegation": "Delegatsiyani roʻyxatdan tanlang.",
  "answers.title": "Tadbir savollari",
  "answers.on_badge": "Beyjda chop etilsin",
  "answers.yes": "Ha",
  "answers.no": "Yoʻq",
  "answer.REQUIRED": "Toʻldirilishi shart.",
  "answer.TOO_LONG": "Juda uzun.",
  "answer.TOO_SHORT": "Juda qisqa.",
  "answer.PATTERN": "Savol talab qilgan shaklda emas.",
  "answer.OUT_OF_RANGE": "Ruxsat etilgan oraliqdan tashqarida.",
  "answer.UNKNOWN_OPTION": "Variantlar orasida yoʻq.",
  "answer.WRONG_TYPE": "Bu savol uchun yaroqsiz qiymat.",
  "answer.CONTROL_CHARACTERS": "Saqlab boʻlmaydigan belgilar bor.",
  "answer.NOT_ASKED": "Bu toifadan soʻralmaydi.",
  "answer.UNKNOWN_FIELD": "Tadbirda bunday savol yoʻq.",
  "edit.title": "Ishtirokchini tahrirlash",
  "conflict.text": "Siz tahrirlayotganingizda ishtirokchini boshqa kishi oʻzgartirdi. Solishtiring va oʻzgarishlaringizni qayta saqlang yoki joriy versiyadan boshlang.",
  "conflict.field": "Maydon",
  "conflict.read": "Siz ochganingizda",
  "conflict.now": "Hozir",
  "conflict.yours": "Sizning oʻzgarishingiz",
  "conflict.retry": "Oʻzgarishlarimni saqlash",
  "conflict.reload": "Meniki bekor",
  "cancel.participant": "Roʻyxatni bekor qilish",
  "cancel.title": "{name} roʻyxatini bekor qilish",
  "cancel.reason": "Bekor qilish sababi",
  cancelled: "Roʻyxat bekor qilindi; beyj endi oʻtkazmaydi.",
  "reason.required": "Sababini yozing.",
  badge: "Beyj",
  "badge.number": "№",
  "badge.layout": "Beyj formati",
  "badge.issue": "Beyjni chop etish",
  "badge.reprint": "Beyjni qayta chop etish",
  "badge.revoke": "Beyjni bekor qilish",
  "badge.block": "Beyjni bloklash",
  "badge.unblock": "Blokdan chiqarish",
  "badge.issued": "{number} beyj berildi. Chop etish oynasi ochiladi.",
  "badge.reprinted": "{new} beyj berildi. Eski {old} beyj endi yaroqsiz: turniketlar uni oʻtkazmaydi.",
  "badge.revoked.done": "Beyj bekor qilindi: turniketlar uni oʻtkazmaydi.",
  "badge.blocked.done": "Beyj blokdan chiqarilguncha bloklandi.",
  "badge.unblocked": "Beyj blokdan chiqarildi.",
  "badge.outdated.hint": "Beyj chop etilgandan keyin surat oʻzgardi: qayta chop eting.",
  "badge.state.none": "Beyj yoʻq",
  "badge.state.valid": "Yaroqli",
  "badge.state.outdated": "Qayta chop etish kerak",
  "badge.state.revoked": "Bekor qilingan",
  "badge.state.blocked": "Bloklangan",
  "revoke.note": "Beyj nima uchun bekor qilinmoqda?",
  "block.reason": "Beyj nima uchun bloklanmoqda?",
  "layout.a6": "A6 beyj",
  "layout.card": "ID-1 karta",
  "layout.sheet.a6": "A6 beyjli A4 varaqlar",
  "layout.sheet.card": "Kartali A4 varaqlar",
  "pdf.open": "PDFni ochish",
  "pdf.download": "PDFni yuklab olish",
  "photo.none": "Surat yoʻq",
  "photo.alt": "{name} surati",
  "photo.take": "Suratga olish",
  "photo.upload": "Suratni yuklash",
  "photo.remove": "Suratni oʻchirish",
  "photo.capture": "Olish",
  "camera.preview": "Kamera tasviri",
  "camera.denied": "Kamera ochilmadi: brauzerda ruxsat bering yoki fayl yuklang.",
  "camera.unavailable": "Brauzer bu yerda kamerani bermaydi (https kerak).",
  delegation: "Delegatsiya",
  "delegation.none": "Delegatsiyani tanlang.",
  "delegations.none": "Tadbirda delegatsiyalar yoʻq.",
  "delegation.head": "Rahbar",
  "delegation.quotas": "Toifalar boʻyicha joylar",
  "delegation.members": "Tarkibi",
  members: "{n} ishtirokchi",
  "print.all": "Barcha beyjlarni chop etish",
  "print.progress": "{total} tadan {done} ta beyj",
  "import.title": "Roʻyxatni import qilish",
  "import.help": "Sarlavha qatorli CSV yoki XLSX fayl: given_name, family_name, native_name, organization, country, job_title, category, delegation, email, phone, passport, external_ref. external_ref allaqachon roʻyxatda boʻlsa, oʻsha shaxs yangilanadi.",
  "import.file": "Roʻyxat fayli",
  "import.unreadable": "Faylni CSV yoki XLSX sifatida oʻqib boʻlmadi.",
  "import.no.names": "given_name va family_name ustunlari kerak.",
  "import.preview": "{file} faylida {n} qator; birinchilari:",
  "import.preview.label": "Import qilinadigan qatorlar",
  "import.ignored": "Eʼtiborsiz qoldirilgan ustunlar: {cols}.",
  "import.send": "{n} qatorni import qilish",
  "import.line": "{n}-qator",
  "import.done": "{imported} qator saqlandi (shundan {updated} tasi yangilandi), {failed} tasi rad etildi.",
  "import.errors": "Rad etilgan qatorlar",
  "import.row": "Qator",
  "import.reason": "Sabab",
  "import.message": "Nima notoʻgʻri",
  "import.download": "Rad etilgan qatorlarni yuklab olish (CSV)",
  "reason.BADGE_IN_PROGRESS": "Bu beydjni hozir boshqa stol bermoqda: birozdan soʻng qayta urining.",
  "reason.BADGE_NOT_FOUND": "Beydj topilmadi.",
  "reason.CATEGORY_NOT_FOUND": "Tadbirda bunday toifa yoʻq.",
  "reason.DATABASE_UNAVAILABLE": "Maʼlumotlar bazasi hozir mavjud emas: birozdan soʻng qayta urining.",
  "reason.DELEGATION_EXISTS": "Bunday nomli delegatsiya allaqachon bor.",
  "reason.DELEGATION_NOT_FOUND": "Delegatsiya topilmadi.",
  "reason.DELEGATION_QUOTA_EXCEEDED": "Delegatsiyaning bu toifa boʻyicha kvotasi tugagan.",
  "reason.DUPLICATE_EXTERNAL_REF": "Bu raqam boshqa ishtirokchida allaqachon bor.",
  "reason.DUPLICATE_PARTICIPANT": "Bu shaxs allaqachon roʻyxatdan oʻtgan (xuddi shu pochta yoki hujjat).",
  "reason.EVENT_CODE_TAKEN": "Bunday kodli tadbir allaqachon bor.",
  "reason.EVENT_FILE_TOO_LARGE": "Tadbir fayli juda katta.",
  "reason.EVENT_NOT_FOUND": "Tadbir topilmadi.",
  "reason.GATE_NOT_FOUND": "Kirish topilmadi.",
  "reason.HEAD_NOT_MEMBER": "Rahbar delegatsiyaning amaldagi aʼzosi boʻlishi kerak.",
  "reason.IDEMPOTENCY_KEY_REUSED": "Bu soʻrov avval boshqa mazmun bilan yuborilgan.",
  "reason.IMPORT_INCOMPLETE": "Import oxirgi qatorgacha yetmay uzildi: hech narsa saqlanmadi. Qayta yuboring.",
  "reason.IMPORT_TOO_LARGE": "Bitta import uchun qatorlar juda koʻp: faylni boʻling.",
  "reason.INTERNAL": "Serverda xatolik. Qayta urining; takrorlansa, tashkilotchiga xabar bering.",
  "reason.GATE_NOT_ALLOWED": "Tokeningiz boshqa kirish uchun.",
  "reason.INVALID_FIELD": "Baʼzi maydonlar notoʻgʻri: belgilangan maydonlarni koʻring.",
  "reason.KEY_ACTIVE": "Amaldagi imzo kalitini bekor qilib boʻlmaydi: avval almashtiring.",
  "reason.KEY_NOT_FOUND": "Imzo kaliti topilmadi.",
  "reason.MALFORMED_MESSAGE": "Server soʻrovni oʻqiy olmadi.",
  "reason.MESSAGE_TOO_LARGE": "Soʻrov juda katta.",
  "reason.NOTHING_TO_PRINT": "Bu tanlovda chop etiladigan hech kim yoʻq.",
  "reason.ORGANIZATION_EXISTS": "Bunday nomli tashkilot allaqachon bor.",
  "reason.ORGANIZATION_NOT_FOUND": "Tashkilot topilmadi.",
  "reason.TEMPLATE_NOT_FOUND": "Bu tadbirda bunday beydj shabloni yoʻq.",
  "reason.TEMPLATE_NOT_PUBLISHED": "Shablonni tayinlashdan oldin eʼlon qiling.",
  "reason.TOKEN_EXPIRED": "Token muddati tugagan: qaytadan kiring.",
  "reason.TOKEN_NOT_FOUND": "Token topilmadi.",
  "reason.PARTICIPANT_NOT_FOUND": "Ishtirokchi topilmadi.",
  "reason.PHOTO_NOT_FOUND": "Ishtirokchining surati yoʻq.",
  "reason.QUOTA_BELOW_USAGE": "Kvota roʻyxatdan oʻtganlar sonidan kam boʻlishi mumkin emas.",
  "reason.REQUEST_IN_PROGRESS": "Xuddi shu soʻrov hali bajarilmoqda: kuting.",
  "reason.VALID_DAYS_TOO_WIDE": "Toifa kunlari beydjga sigʻadiganidan koʻp.",
  "reason.VERSION_CONFLICT": "Bu orada ishtirokchini boshqa kishi oʻzgartirdi: uni qayta oching.",
  "reason.WOULD_LOSE_DATA": "Hech narsa qoʻllanmadi: oʻzgarish qayd etilgan maʼlumotlarni yoʻqotardi.",
  "reason.ZONE_CYCLE": "Hudud oʻzining ichida boʻla olmaydi.",
  "reason.UNAVAILABLE": "Server bilan aloqa yoʻq. Birozdan soʻng qayta urining.",
  "reason.UNAUTHENTICATED": "Seans yaroqsiz: qaytadan kiring.",
  "reason.ROLE_NOT_ALLOWED": "Tokeningiz bunga ruxsat bermaydi.",
  "reason.EVENT_NOT_ALLOWED": "Tokeningiz boshqa tadbir uchun.",
  "reason.ENROLMENT_CODE_UNKNOWN": "Bunday kod yoʻq. Tekshirib, qayta kiriting.",
  "reason.ENROLMENT_CODE_EXPIRED": "Kodning muddati tugagan: yangisini soʻrang.",
  "reason.ENROLMENT_CODE_USED": "Kod allaqachon ishlatilgan: yangisini soʻrang.",
  "reason.ENROLMENT_LOCKED": "Notoʻgʻri kodlar juda koʻp: bir necha daqiqa kuting.",
  "reason.ENROLMENT_ROLE_MISMATCH": "Bu kod boshqa turdagi qurilma uchun (darvoza yoki stol); u yerda hali ham amal qiladi.",
  "reason.PARTICIPANT_CANCELLED": "Ishtirokchining roʻyxati bekor qilingan.",
  "reason.PHOTO_NOT_AN_IMAGE": "Fayl JPEG, PNG yoki WebP rasm emas.",
  "reason.PHOTO_TOO_LARGE": "Surat fayli 10 MB dan katta.",
  "reason.PHOTO_TOO_MANY_PIXELS": "Surat 40 megapikseldan katta.",
  "reason.PHOTO_TOO_SMALL": "Surat chop etish uchun juda kichik.",
  "reason.OVERLOADED": "Server band. Birozdan soʻng qayta urining.",
};

/** Every key a page may show: a missing one in any language fails to compile. */
export type Key = keyof typeof en | keyof typeof gateEn | keyof typeof adminEn;

const DICTS: Record<Lang, Record<Key, Text>> = {
  en: { ...en, ...gateEn, ...adminEn },
  ru: { ...ru, ...gateRu, ...adminRu },
  uz: { ...uz, ...gateUz, ...adminUz },
};

/** Whether `key` has a text (for keys made at run time from a server's code). */
export function known(key: string): key is Key {
  return Object.hasOwn(DICTS.en, key);
}
const LANG_KEY = "expopass.lang";

function initial(): Lang {
  // Outside a browser (the unit tests), English.
  if (typeof localStorage === "undefined" || typeof navigator === "undefined") return "en";
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  const nav = navigator.language.slice(0, 2);
  return (LANGS as readonly string[]).includes(nav) ? (nav as Lang) : "en";
}

let lang: Lang = initial();

export function currentLang(): Lang {
  return lang;
}

export function setLang(l: Lang) {
  lang = l;
  localStorage.setItem(LANG_KEY, l);
}

const plurals = new Map<Lang, Intl.PluralRules>();

/** The plural category of `n` in `l`; "other" where the browser has no rules for it. */
function pluralOf(l: Lang, n: number): Intl.LDMLPluralRule {
  try {
    let rules = plurals.get(l);
    if (!rules) plurals.set(l, (rules = new Intl.PluralRules(l)));
    return rules.select(n);
  } catch {
    return "other";
  }
}

/**
 * The text of `key` in the current language, with `{name}` filled in; a
 * text with plural forms takes the form of `vars.n`.
 */
export function t(key: Key, vars?: Record<string, string | number>): string {
  return textIn(lang, key, vars);
}

/** As `t`, in a given language. */
export function textIn(l: Lang, key: Key, vars?: Record<string, string | number>): string {
  const text = DICTS[l][key] ?? DICTS.en[key] ?? key;
  let s = typeof text === "string" ? text : (text[pluralOf(l, Number(vars?.n ?? 0))] ?? text.other);
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** A deny reason's words ("deny.<CODE>"); the unspecified one for a code this page does not know. */
export function denyText(code: string | undefined): string {
  const key = `deny.${code}`;
  return known(key) ? t(key) : t("deny.UNSPECIFIED");
}

/** A conflict kind's words ("conflict.<CODE>"). */
export function conflictText(code: string | undefined): string {
  const key = `conflict.${code}`;
  return known(key) ? t(key) : t("conflict.UNSPECIFIED");
}

/** The texts of every language, for the completeness test. */
export function dictionaries(): Record<Lang, Record<string, Text>> {
  return DICTS;
}

/** What the desk says of a failed call: its reason in words, else the server's message. */
export function explain(f: Failure): string {
  if (f.code === 14 && !f.reason) return t("reason.UNAVAILABLE");
  const key = `reason.${f.reason}`;
  return known(key) ? t(key) : f.message || f.reason;
}

/** ISO 3166-1 alpha-2 codes. */
export const COUNTRY_CODES = (
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
  "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
  "MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
  "UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
).split(" ");

countries.registerLocale(enCountries);
countries.registerLocale(ruCountries);
countries.registerLocale(uzCountries);

/**
 * A country's name in the current language, from the names shipped with
 * the pages (i18n-iso-countries): a browser without Uzbek locale data
 * would name them in English.
 */
export function countryName(code: string): string {
  if (!code) return "";
  return countries.getName(code.toUpperCase(), lang) ?? countries.getName(code.toUpperCase(), "en") ?? code;
}

const MONTHS: Record<Lang, string[]> = {
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
  ru: ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"],
  uz: ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avgust", "sentabr", "oktabr", "noyabr", "dekabr"],
};

/** Year, month, day, hour and minute of `at` in `timeZone` (UTC when unknown). */
function partsIn(at: Date, timeZone: string | undefined) {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: timeZone || "UTC", year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(at);
  } catch {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(at);
  }
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return { year: Number(get("year")), month: Number(get("month")), day: Number(get("day")), hour: get("hour"), minute: get("minute"), second: get("second") };
}

/** A day ("23 April", "23 апреля", "23-aprel"), in `l`, with the year when asked. */
export function dayIn(l: Lang, year: number, month: number, day: number, withYear = false): string {
  const m = MONTHS[l][month - 1] ?? String(month);
  switch (l) {
    case "en":
      return withYear ? `${day} ${m} ${year}` : `${day} ${m}`;
    case "ru":
      return withYear ? `${day} ${m} ${year} г.` : `${day} ${m}`;
    case "uz":
      return withYear ? `${year}-yil ${day}-${m}` : `${day}-${m}`;
  }
}

/** A day given as YYYY-MM-DD, in the current language. */
export function formatDay(iso: string, withYear = false): string {
  const [y, m, d] = iso.split("-").map(Number);
  return y && m && d ? dayIn(lang, y, m, d, withYear) : iso;
}

/** A moment's time of day (HH:MM:SS) in `timeZone`. */
export function formatClock(at: Date, timeZone?: string): string {
  const p = partsIn(at, timeZone);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** A time in the event's time zone, in the current language, with its own month names (no browser locale data needed). */
export function formatTime(ts: Timestamp | undefined, timeZone: string): string {
  if (!ts) return "—";
  const p = partsIn(timestampDate(ts), timeZone);
  return `${dayIn(lang, p.year, p.month, p.day, true)}, ${p.hour}:${p.minute}`;
}

/** A name set up in three languages (English as `name`), in the current one. */
export function localName(n: { name: string; nameRu?: string; nameUz?: string }): string {
  if (lang === "ru" && n.nameRu) return n.nameRu;
  if (lang === "uz" && n.nameUz) return n.nameUz;
  return n.name;
}

/** The day of a moment in `timeZone`, in the current language. */
export function formatDayOf(ts: Timestamp, timeZone: string): string {
  const p = partsIn(timestampDate(ts), timeZone);
  return dayIn(lang, p.year, p.month, p.day, true);
}
