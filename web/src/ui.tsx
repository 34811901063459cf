// Small shared pieces: modal dialogs, PDF printing, the badge chip.
import { useEffect, useRef, useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { api, failure } from "./api";
import type { PrintBadgesRequestSchema } from "./gen/expopass/v1/badge_pb";
import { BadgeState, ParticipantStatus, type Participant } from "./gen/expopass/v1/registration_pb";
import { explain, t } from "./i18n";

/** A modal dialog: focus stays inside, Esc closes it. */
export function Dialog(props: { title: string; onClose(): void; wide?: boolean; children: preact.ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dlg-${Math.random().toString(36).slice(2)}`).current;
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "wide" : ""}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button class="icon" aria-label={t("close")} onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** Asks for a reason (cancel, revoke, block) and runs the call with it. */
export function ReasonDialog(props: {
  title: string;
  label: string;
  confirm: string;
  onClose(): void;
  onConfirm(reason: string): Promise<unknown>;
}) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!reason.trim()) {
            setError(t("reason.required"));
            return;
          }
          setBusy(true);
          try {
            await props.onConfirm(reason.trim());
          } catch (err) {
            setError(explain(failure(err)));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="reason">{props.label}</label>
        <textarea id="reason" rows={3} maxLength={500} value={reason} autoFocus aria-invalid={error ? "true" : undefined} aria-describedby={error ? "reason-error" : undefined} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        {error && (
          <p id="reason-error" class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button class="danger" type="submit" disabled={busy}>
            {props.confirm}
          </button>
          <button type="button" onClick={props.onClose}>
            {t("back")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

let lastPdf: string | null = null;

/**
 * Opens a PDF in the browser's print dialog (through a hidden frame) and
 * returns its object URL for "open" and "download" links.
 */
export function printPdf(bytes: Uint8Array, name: string): string {
  if (lastPdf) URL.revokeObjectURL(lastPdf);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/pdf" }));
  lastPdf = url;
  let frame = document.getElementById("print-frame") as HTMLIFrameElement | null;
  if (!frame) {
    frame = document.createElement("iframe");
    frame.id = "print-frame";
    frame.className = "print-frame";
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    document.body.append(frame);
  }
  frame.title = name;
  frame.onload = () => {
    try {
      frame?.contentWindow?.print();
    } catch {
      // The links below the badge still open the PDF.
    }
  };
  frame.src = url;
  return url;
}

/** Offers bytes as a file to save. */
export function download(bytes: BlobPart, name: string, type: string) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A participant's badge state, as a chip. */
export function BadgeChip(props: { p: Participant }) {
  const { p } = props;
  if (p.status === ParticipantStatus.CANCELLED) return <span class="chip bad">{t("status.cancelled")}</span>;
  switch (p.badgeState) {
    case BadgeState.VALID:
      return <span class="chip ok">{t("badge.state.valid")}</span>;
    case BadgeState.OUTDATED:
      return <span class="chip warn">{t("badge.state.outdated")}</span>;
    case BadgeState.REVOKED:
      return <span class="chip bad">{t("badge.state.revoked")}</span>;
    case BadgeState.BLOCKED:
      return <span class="chip bad">{t("badge.state.blocked")}</span>;
    default:
      return <span class="chip">{t("badge.state.none")}</span>;
  }
}

/** One print job (PrintBadges) as one PDF; `onProgress` hears how far it is. */
export async function printJob(
  request: MessageInitShape<typeof PrintBadgesRequestSchema>,
  onProgress?: (done: number, total: number) => void,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const m of api.badges.printBadges(request)) {
    if (m.item.case === "progress") onProgress?.(m.item.value.done, m.item.value.total);
    else if (m.item.case === "pdfChunk") chunks.push(m.item.value);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
