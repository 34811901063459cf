// The operations board (an admin token): occupancy per zone, live from
// WatchOccupancy; scans per minute over the last hour, the latest denials,
// the conflicts found in offline uploads and each gate's state, read every
// half second with GetOperations (whose occupancy stands in while the
// stream is down).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Event, Zone } from "./gen/expopass/v1/event_pb";
import { ConflictKind, DenyReason, type ListInsideResponse, type GetOperationsResponse, type ZoneOccupancy } from "./gen/expopass/v1/gate_pb";
import { failure } from "./api";
import { connect, tabToken } from "./session";
import { conflictText, currentLang, denyText, explain, formatClock, localName, t, type Lang } from "./i18n";
import { LangPicker } from "./lang";
import "./ops.css";

const opsToken = tabToken("expopass.ops.token");
const { events, gates } = connect(opsToken, currentLang);

function Board() {
  const [signedIn, setSignedIn] = useState(opsToken.get() !== null);
  const [token, setToken] = useState("");
  const [event, setEvent] = useState<Event | null>(null);
  const [ops, setOps] = useState<GetOperationsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Occupancy as WatchOccupancy pushes it; null while the stream is down. */
  const [live, setLive] = useState<ZoneOccupancy[] | null>(null);
  const [lang, changeLang] = useState<Lang>(currentLang());
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t("ops.title");
  }, [lang]);
  const langPicker = <LangPicker class="lang" lang={lang} onChange={changeLang} />;
  /** Who is inside the zone opened on the board (read on demand: it is audited). */
  const [insideOf, setInsideOf] = useState<string | null>(null);
  const [inside, setInside] = useState<ListInsideResponse | null>(null);
  function showInside(zone: string | null) {
    setInsideOf(zone);
    setInside(null);
    if (!zone || !event) return;
    gates
      .listInside({ eventId: event.id, zoneCode: zone, pageSize: 200 })
      .then(setInside)
      .catch((e) => setError(explain(failure(e))));
  }
  /** The event's zones, for their names in the organiser's language. */
  const [zones, setZones] = useState<Zone[]>([]);
  const zoneName = (code: string) => {
    const z = zones.find((x) => x.code === code);
    return z ? localName(z) : code;
  };
  useEffect(() => {
    if (!event) return;
    events
      .listZones({ eventId: event.id })
      .then((r) => setZones(r.zones))
      .catch(() => undefined);
  }, [event?.id]);

  useEffect(() => {
    if (!signedIn) return;
    events
      .listEvents({})
      .then((r) => setEvent(r.events[0] ?? null))
      .catch((e) => {
        setError(explain(failure(e)));
        opsToken.clear();
        setSignedIn(false);
      });
  }, [signedIn]);

  useEffect(() => {
    if (!event) return;
    let stop = false;
    const tick = async () => {
      if (stop) return;
      try {
        setOps(await gates.getOperations({ eventId: event.id }, { timeoutMs: 2000 }));
        setError(null);
      } catch (e) {
        setError(explain(failure(e)));
      }
      window.setTimeout(tick, 500);
    };
    tick();
    return () => {
      stop = true;
    };
  }, [event?.id]);

  useEffect(() => {
    if (!event) return;
    const watch = new AbortController();
    (async () => {
      while (!watch.signal.aborted) {
        try {
          // The first message holds every zone, the next ones what changed.
          const zones = new Map<string, ZoneOccupancy>();
          for await (const m of gates.watchOccupancy({ eventId: event.id }, { signal: watch.signal })) {
            for (const z of m.zones) zones.set(z.zoneCode, z);
            setLive([...zones.values()].sort((a, b) => a.zoneCode.localeCompare(b.zoneCode)));
          }
        } catch {
          // Cut: polled occupancy stands in until the stream is back.
        }
        setLive(null);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    return () => watch.abort();
  }, [event?.id]);

  if (!signedIn) {
    return (
      <main class="signin">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!token.trim()) return;
            opsToken.set(token.trim());
            setSignedIn(true);
          }}
        >
          <h1>{t("ops.title")}</h1>
          {langPicker}
          <label for="ops-token">{t("ops.token")}</label>
          <input id="ops-token" type="password" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} autoFocus />
          {error && <p class="error">{error}</p>}
          <button type="submit">{t("signin.submit")}</button>
        </form>
      </main>
    );
  }
  const time = (ts?: Timestamp) => (ts ? formatClock(timestampDate(ts), event?.timeZone) : "—");
  /** The desk's page of a badge's holder (a desk or admin signs in there). */
  const deskLink = (number: string) => `/desk/#badge=${encodeURIComponent(number)}`;
  return (
    <main class="board">
      <header>
        <h1>{event?.name ?? t("loading")}</h1>
        <span class="as-of">{ops ? t("ops.as_of", { time: time(ops.asOf) }) : ""}</span>
        {error && <span class="error">{error}</span>}
        {langPicker}
      </header>
      <section aria-labelledby="zones-title">
        <h2 id="zones-title">{t("ops.zones")}</h2>
        <ul class="zones" data-live={String(live !== null)}>
          {(live ?? ops?.zones)?.map((z) => {
            const share = z.capacity ? Math.min(1, z.inside / z.capacity) : 0;
            return (
              <li key={z.zoneCode} data-zone={z.zoneCode} data-inside={z.inside}>
                <button class="zone link" title={t("ops.inside.open")} aria-expanded={insideOf === z.zoneCode} onClick={() => showInside(insideOf === z.zoneCode ? null : z.zoneCode)}>
                  {zoneName(z.zoneCode)}
                </button>
                <span class={share >= 0.9 ? "bar hot" : "bar"} role="meter" aria-label={zoneName(z.zoneCode)} aria-valuemin={0} aria-valuemax={z.capacity || undefined} aria-valuenow={z.inside}>
                  <span style={{ width: `${Math.round(share * 100)}%` }} />
                </span>
                <span class="count">
                  {z.inside}
                  {z.capacity ? ` / ${z.capacity}` : ""}
                </span>
              </li>
            );
          })}
        </ul>
        {insideOf && (
          <div class="inside" role="region" aria-label={t("ops.inside.title", { zone: zoneName(insideOf) })}>
            <h3>{t("ops.inside.title", { zone: zoneName(insideOf) })}</h3>
            {inside === null ? (
              <p>{t("loading")}</p>
            ) : inside.people.length === 0 ? (
              <p class="none">{t("ops.inside.none")}</p>
            ) : (
              <>
                <p class="sub">{t("ops.inside.count", { n: inside.total })}</p>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("ops.inside.since")}</th>
                      <th scope="col">{t("ops.inside.name")}</th>
                      <th scope="col">{t("badge")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {inside.people.map((p) => (
                      <tr key={p.participantId}>
                        <td>{time(p.enteredAt)}</td>
                        <td>
                          {p.givenName} {p.familyName} {p.nativeName && <span dir="auto">({p.nativeName})</span>}
                        </td>
                        <td>
                          <a href={deskLink(p.badgeNumber)} target="_blank" rel="noopener">
                            {p.badgeNumber}
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        )}
      </section>
      <section aria-labelledby="minutes-title">
        <h2 id="minutes-title">{t("ops.minutes")}</h2>
        {ops && <Chart ops={ops} />}
      </section>
      <div class="columns">
        <section aria-labelledby="incidents-title">
          <h2 id="incidents-title">{t("ops.incidents")}</h2>
          {ops && ops.denialsByReason.length > 0 && (
            <ul class="reasons" aria-label={t("ops.by_reason")}>
              {ops.denialsByReason.map((d) => (
                <li key={d.reason} data-reason={DenyReason[d.reason]}>
                  {denyText(DenyReason[d.reason])} <strong>{d.count}</strong>
                </li>
              ))}
            </ul>
          )}
          <table class="incidents">
            <thead>
              <tr>
                <th scope="col">{t("ops.time")}</th>
                <th scope="col">{t("ops.gate")}</th>
                <th scope="col">{t("ops.reason")}</th>
                <th scope="col">{t("badge")}</th>
              </tr>
            </thead>
            <tbody>
              {ops?.incidents.map((i, n) => (
                <tr key={n} class={DenyReason[i.reason] === "BLOCKED" ? "blocked" : ""}>
                  <td>{time(i.at)}</td>
                  <td>{i.gateCode}</td>
                  <td>
                    {denyText(DenyReason[i.reason])}
                    {i.offline && <span class="tag">{t("ops.offline")}</span>}
                  </td>
                  <td>
                    {i.badgeNumber && (
                      <a href={deskLink(i.badgeNumber)} target="_blank" rel="noopener">
                        {i.badgeNumber}
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2 id="conflicts-title">{t("ops.conflicts")}</h2>
          {ops && ops.conflicts.length === 0 ? (
            <p class="none">{t("ops.conflicts.none")}</p>
          ) : (
            <table class="conflicts" aria-labelledby="conflicts-title">
              <thead>
                <tr>
                  <th scope="col">{t("ops.time")}</th>
                  <th scope="col">{t("ops.gate")}</th>
                  <th scope="col">{t("ops.kind")}</th>
                  <th scope="col">{t("badge")}</th>
                </tr>
              </thead>
              <tbody>
                {ops?.conflicts.map((c, n) => (
                  <tr key={n} data-kind={ConflictKind[c.kind]}>
                    <td>{time(c.scannedAt)}</td>
                    <td>{c.gateCodes.join(" + ")}</td>
                    <td>{conflictText(ConflictKind[c.kind])}</td>
                    <td>
                      {c.badgeNumber && (
                        <a href={deskLink(c.badgeNumber)} target="_blank" rel="noopener">
                          {c.badgeNumber}
                        </a>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="gates-title">
          <h2 id="gates-title">{t("ops.gates")}</h2>
          <table class="gates">
            <thead>
              <tr>
                <th scope="col">{t("ops.gate")}</th>
                <th scope="col">{t("ops.state")}</th>
                <th scope="col">{t("ops.last_scan")}</th>
                <th scope="col">{t("ops.bundle")}</th>
                <th scope="col">{t("ops.pending")}</th>
              </tr>
            </thead>
            <tbody>
              {ops?.gates.map((g) => (
                <tr key={g.gateId} data-gate={g.gateCode}>
                  <td>
                    <strong>{g.gateCode}</strong> {g.gateName} <span class="sub">→ {zoneName(g.zoneCode)}</span>
                    {g.deviceName && <span class="device">{g.deviceName}</span>}
                  </td>
                  <td>
                    <span class={g.online ? "dot on" : g.lastReportAt ? "dot off" : "dot"} />
                    {g.online ? t("ops.online") : g.lastReportAt ? t("ops.silent") : t("ops.unknown")}
                  </td>
                  <td>{time(g.lastScanAt)}</td>
                  <td>{g.bundleVersion ? `v${g.bundleVersion}` : "—"}</td>
                  <td>{g.pendingOffline}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </main>
  );
}

/** Scans per minute of the last hour: allowed (green) and denied (red), stacked. */
function Chart(props: { ops: GetOperationsResponse }) {
  const now = props.ops.asOf ? timestampDate(props.ops.asOf).getTime() : Date.now();
  const start = Math.floor(now / 60_000) * 60_000 - 59 * 60_000;
  const bins = Array.from({ length: 60 }, () => ({ allowed: 0, denied: 0 }));
  for (const m of props.ops.perMinute) {
    if (!m.minute) continue;
    const i = Math.round((timestampDate(m.minute).getTime() - start) / 60_000);
    if (i >= 0 && i < 60) bins[i] = { allowed: m.allowed, denied: m.denied };
  }
  const max = Math.max(1, ...bins.map((b) => b.allowed + b.denied));
  const w = 600;
  const h = 120;
  const bw = w / 60;
  const total = bins.reduce((n, b) => n + b.allowed + b.denied, 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={t("ops.chart", { n: String(total) })}>
        {bins.map((b, i) => {
          const ha = (b.allowed / max) * (h - 4);
          const hd = (b.denied / max) * (h - 4);
          return (
            <g key={i}>
              <rect x={i * bw + 1} y={h - ha} width={bw - 2} height={ha} fill="#0f7a3a" />
              <rect x={i * bw + 1} y={h - ha - hd} width={bw - 2} height={hd} fill="#b3121b" />
            </g>
          );
        })}
      </svg>
      <figcaption>
        {t("ops.chart", { n: String(total) })} · <span class="ok">■</span> {t("ops.allowed")} <span class="bad">■</span> {t("ops.denied")} · max {max}/min
      </figcaption>
    </figure>
  );
}

const root = document.getElementById("ops");
if (root) render(<Board />, root);
