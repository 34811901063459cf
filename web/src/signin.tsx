import { useState } from "preact/hooks";
import { api, failure, session } from "./api";
import { explain, t } from "./i18n";

/** Sign in with a desk token, or turn a one-time enrolment code into one. */
export function SignIn(props: { error: string | null; onSignedIn(): void }) {
  const [mode, setMode] = useState<"token" | "code">("code");
  const [token, setToken] = useState("");
  const [code, setCode] = useState("");
  const [device, setDevice] = useState(session.get("device") ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (mode === "token") {
      const value = token.trim();
      if (!value) return setError(t("signin.token.empty"));
      session.setToken(value);
      props.onSignedIn();
      return;
    }
    if (!code.trim()) return setError(t("signin.code.empty"));
    setBusy(true);
    try {
      const r = await api.auth.enroll({ code, deviceName: device.trim() || t("signin.device.default"), roles: ["desk", "admin"] });
      if (r.role === "gate") {
        setError(t("signin.gate"));
        return;
      }
      session.setToken(r.token);
      session.set("device", device.trim());
      props.onSignedIn();
    } catch (err) {
      const f = failure(err);
      setError(explain(f));
    } finally {
      setBusy(false);
    }
  }

  const shown = error ?? props.error;
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">{t("signin.title")}</h1>
      <div class="segmented" role="group" aria-label={t("signin.how")}>
        <button type="button" aria-pressed={mode === "code"} onClick={() => setMode("code")}>
          {t("signin.with.code")}
        </button>
        <button type="button" aria-pressed={mode === "token"} onClick={() => setMode("token")}>
          {t("signin.with.token")}
        </button>
      </div>
      <form onSubmit={submit} class="stack">
        {mode === "code" ? (
          <>
            <label for="enrol-code">{t("signin.code")}</label>
            <input id="enrol-code" name="code" autocomplete="off" spellcheck={false} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} autoFocus />
            <label for="device-name">{t("signin.device")}</label>
            <input id="device-name" name="device" value={device} placeholder={t("signin.device.default")} onInput={(e) => setDevice((e.target as HTMLInputElement).value)} />
          </>
        ) : (
          <>
            <label for="desk-token">{t("signin.token")}</label>
            <input id="desk-token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} autoFocus />
          </>
        )}
        {shown && (
          <p class="error" role="alert">
            {shown}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {t("signin.submit")}
        </button>
      </form>
    </section>
  );
}
