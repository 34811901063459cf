// Import a roster: a CSV or XLSX file, previewed, then sent whole with
// ImportParticipants. Refused rows are listed and can be downloaded.
import Papa from "papaparse";
import { readSheet } from "read-excel-file/browser";
import { useState } from "preact/hooks";
import { failure, importParticipants, requestId, api } from "./api";
import { useEvent } from "./event";
import { OrganizationKind, type ImportParticipantsResponse } from "./gen/expopass/v1/registration_pb";
import { explain, t } from "./i18n";
import { download } from "./ui";

const COLUMNS = [
  "given_name",
  "family_name",
  "native_name",
  "organization",
  "country",
  "job_title",
  "category_code",
  "delegation",
  "email",
  "phone",
  "travel_document",
  "external_ref",
] as const;
type Column = (typeof COLUMNS)[number];

/** Header spellings a roster may use, normalised (lower case, "_" for spaces). */
const ALIASES: Record<string, Column> = {
  first_name: "given_name",
  given_name: "given_name",
  name: "given_name",
  имя: "given_name",
  ism: "given_name",
  last_name: "family_name",
  surname: "family_name",
  family_name: "family_name",
  фамилия: "family_name",
  familiya: "family_name",
  native_name: "native_name",
  company: "organization",
  organisation: "organization",
  organization: "organization",
  организация: "organization",
  tashkilot: "organization",
  country: "country",
  страна: "country",
  mamlakat: "country",
  job_title: "job_title",
  position: "job_title",
  должность: "job_title",
  lavozim: "job_title",
  category: "category_code",
  category_code: "category_code",
  категория: "category_code",
  toifa: "category_code",
  delegation: "delegation",
  делегация: "delegation",
  delegatsiya: "delegation",
  email: "email",
  "e-mail": "email",
  phone: "phone",
  телефон: "phone",
  telefon: "phone",
  passport: "travel_document",
  travel_document: "travel_document",
  паспорт: "travel_document",
  pasport: "travel_document",
  external_ref: "external_ref",
  ref: "external_ref",
};

interface Roster {
  file: string;
  columns: (Column | null)[];
  headers: string[];
  rows: string[][];
}

function normalise(header: string): string {
  return header.trim().toLowerCase().replace(/\s+/g, "_");
}

async function readRoster(file: File): Promise<Roster> {
  let table: string[][];
  if (/\.xlsx$/i.test(file.name)) {
    const sheet = await readSheet(file);
    table = sheet.map((row) => row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  } else {
    const text = await file.text();
    const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ""), { skipEmptyLines: "greedy" });
    // An export quotes a cell a spreadsheet would take for a formula with
    // a leading apostrophe ("'+998 ..."); read back, it is the value.
    table = parsed.data.map((row) => row.map((cell) => cell.replace(/^'(?=[=+\-@\t\r])/, "")));
  }
  const [headers = [], ...rows] = table;
  return {
    file: file.name,
    headers,
    columns: headers.map((h) => ALIASES[normalise(h)] ?? null),
    rows: rows.filter((r) => r.some((c) => c.trim() !== "")),
  };
}

export function ImportView() {
  const ctx = useEvent();
  const [roster, setRoster] = useState<Roster | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportParticipantsResponse | null>(null);

  async function choose(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    setResult(null);
    setError(null);
    setRoster(null);
    if (!file) return;
    try {
      const r = await readRoster(file);
      if (!r.columns.includes("given_name") || !r.columns.includes("family_name")) {
        setError(t("import.no.names"));
      }
      setRoster(r);
    } catch {
      setError(t("import.unreadable"));
    }
  }

  const cell = (row: string[], c: Column) => {
    const i = roster?.columns.indexOf(c) ?? -1;
    return i >= 0 ? (row[i] ?? "").trim() : "";
  };

  async function send() {
    if (!roster) return;
    setBusy(true);
    setError(null);
    try {
      // Organisations by name: known ones by id, the others created.
      const orgIds = new Map<string, string>();
      for (const name of new Set(roster.rows.map((r) => cell(r, "organization")).filter(Boolean))) {
        const key = name.toLowerCase();
        const listed = await api.registration.listOrganizations({ eventId: ctx.event.id, namePrefix: name, pageSize: 50 });
        let id = listed.organizations.find((o) => o.name.toLowerCase() === key)?.id;
        if (!id) {
          const row = roster.rows.find((r) => cell(r, "organization") === name);
          const created = await api.registration.createOrganization({
            requestId: requestId(),
            eventId: ctx.event.id,
            name,
            country: row ? cell(row, "country") : "",
            kind: OrganizationKind.COMPANY,
          });
          id = created.organization?.id;
        }
        if (id) orgIds.set(name, id);
      }
      const delegationId = (name: string) => (name ? (ctx.delegations.find((d) => d.name.toLowerCase() === name.toLowerCase())?.id ?? name) : "");
      const key = requestId();
      const messages = roster.rows.map((row, i) => ({
        eventId: i === 0 ? ctx.event.id : "",
        requestId: i === 0 ? key : "",
        rowRef: t("import.line", { n: String(i + 2) }),
        participant: {
          givenName: cell(row, "given_name"),
          familyName: cell(row, "family_name"),
          nativeName: cell(row, "native_name"),
          organizationId: orgIds.get(cell(row, "organization")) ?? "",
          country: cell(row, "country"),
          jobTitle: cell(row, "job_title"),
          categoryCode: cell(row, "category_code"),
          delegationId: delegationId(cell(row, "delegation")),
          email: cell(row, "email"),
          phone: cell(row, "phone"),
          travelDocument: cell(row, "travel_document"),
          externalRef: cell(row, "external_ref"),
        },
      }));
      setResult(await importParticipants(messages));
      ctx.refreshDelegations();
    } catch (e) {
      setError(explain(failure(e)));
    } finally {
      setBusy(false);
    }
  }

  const failed = result?.results.filter((r) => r.errorReason) ?? [];
  const updated = result?.results.filter((r) => r.updated).length ?? 0;

  function downloadErrors() {
    const lines = [[t("import.row"), t("import.reason"), t("import.message")]];
    for (const r of failed) {
      const fields = r.fieldErrors.map((f) => `${f.field}: ${f.localizedDescription || f.description}`).join("; ");
      lines.push([r.rowRef, r.errorReason, fields || r.errorMessage]);
    }
    download(Papa.unparse(lines), `import-errors-${ctx.event.code}.csv`, "text/csv;charset=utf-8");
  }

  return (
    <section class="pane wide-pane" aria-labelledby="import-title">
      <h1 id="import-title" class="pane-title">
        {t("import.title")}
      </h1>
      <p class="hint">{t("import.help")}</p>
      <label for="roster-file">{t("import.file")}</label>
      <input id="roster-file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" onChange={choose} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {roster && !result && (
        <>
          <p>
            {t("import.preview", { n: String(roster.rows.length), file: roster.file })}
            {roster.columns.some((c) => c === null) && (
              <>
                {" "}
                {t("import.ignored", { cols: roster.headers.filter((_, i) => roster.columns[i] === null).join(", ") })}
              </>
            )}
          </p>
          <div class="scroll">
            <table class="grid" aria-label={t("import.preview.label")}>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  {COLUMNS.filter((c) => roster.columns.includes(c)).map((c) => (
                    <th scope="col" key={c}>
                      {t(`field.${c}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {roster.rows.slice(0, 20).map((row, i) => (
                  <tr key={i}>
                    <td>{i + 2}</td>
                    {COLUMNS.filter((c) => roster.columns.includes(c)).map((c) => (
                      <td key={c} dir="auto">
                        {cell(row, c)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            <button class="primary" disabled={busy || roster.rows.length === 0} onClick={send}>
              {t("import.send", { n: String(roster.rows.length) })}
            </button>
          </div>
        </>
      )}
      {result && (
        <div role="status">
          <p class="notice">{t("import.done", { imported: String(result.imported), failed: String(result.failed), updated: String(updated) })}</p>
          {failed.length > 0 && (
            <>
              <table class="grid rows" aria-label={t("import.errors")}>
                <thead>
                  <tr>
                    <th scope="col">{t("import.row")}</th>
                    <th scope="col">{t("import.reason")}</th>
                    <th scope="col">{t("import.message")}</th>
                  </tr>
                </thead>
                <tbody>
                  {failed.map((r) => (
                    <tr key={r.rowIndex}>
                      <td>{r.rowRef}</td>
                      <td>{r.errorReason}</td>
                      <td>{r.fieldErrors.length > 0 ? r.fieldErrors.map((f) => `${f.field}: ${f.localizedDescription || f.description}`).join("; ") : r.errorMessage}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="actions">
                <button onClick={downloadErrors}>{t("import.download")}</button>
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}
