// The holder's photo: shown, taken with the webcam, uploaded or removed.
// The server crops, scales and re-encodes whatever it is sent.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, failure } from "./api";
import type { Participant } from "./gen/expopass/v1/registration_pb";
import { explain, t } from "./i18n";
import { Dialog } from "./ui";

export function PhotoPanel(props: { participant: Participant; onChanged(): void; disabled: boolean }) {
  const p = props.participant;
  const [url, setUrl] = useState<string | null>(null);
  const [camera, setCamera] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const file = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let shown: string | null = null;
    setUrl(null);
    if (p.hasPhoto) {
      api.registration
        .getParticipantPhoto({ participantId: p.id })
        .then((r) => {
          shown = URL.createObjectURL(new Blob([r.jpeg as BlobPart], { type: "image/jpeg" }));
          setUrl(shown);
        })
        .catch((e) => setError(explain(failure(e))));
    }
    return () => {
      if (shown) URL.revokeObjectURL(shown);
    };
  }, [p.id, p.version, p.hasPhoto]);

  async function send(bytes: Uint8Array) {
    setBusy(true);
    setError(null);
    try {
      await api.registration.setParticipantPhoto({ participantId: p.id, image: bytes });
      setCamera(false);
      props.onChanged();
    } catch (e) {
      setError(explain(failure(e)));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.registration.removeParticipantPhoto({ participantId: p.id });
      props.onChanged();
    } catch (e) {
      setError(explain(failure(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="photo-box">
      {url ? (
        <img class="photo" src={url} alt={t("photo.alt", { name: `${p.givenName} ${p.familyName}` })} />
      ) : (
        <div class="photo none" role="img" aria-label={t("photo.none")}>
          {t("photo.none")}
        </div>
      )}
      <div class="photo-actions">
        <button disabled={busy || props.disabled} onClick={() => setCamera(true)}>
          {t("photo.take")}
        </button>
        <button disabled={busy || props.disabled} onClick={() => file.current?.click()}>
          {t("photo.upload")}
        </button>
        <input
          ref={file}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          class="sr-only"
          aria-label={t("photo.upload")}
          tabIndex={-1}
          onChange={async (e) => {
            const f = (e.target as HTMLInputElement).files?.[0];
            (e.target as HTMLInputElement).value = "";
            if (!f) return;
            // The server refuses it too; this saves sending 10 MB for nothing.
            if (f.size > 10 * 1024 * 1024) return setError(t("reason.PHOTO_TOO_LARGE"));
            await send(new Uint8Array(await f.arrayBuffer()));
          }}
        />
        {p.hasPhoto && (
          <button disabled={busy || props.disabled} onClick={remove}>
            {t("photo.remove")}
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {camera && <Camera busy={busy} onCapture={send} onClose={() => setCamera(false)} />}
    </div>
  );
}

function Camera(props: { busy: boolean; onCapture(bytes: Uint8Array): void; onClose(): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let stream: MediaStream | null = null;
    let stopped = false;
    if (!navigator.mediaDevices?.getUserMedia) {
      setError(t("camera.unavailable"));
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false })
      .then((s) => {
        if (stopped) {
          s.getTracks().forEach((tr) => tr.stop());
          return;
        }
        stream = s;
        if (video.current) {
          video.current.srcObject = s;
          video.current.onloadeddata = () => setReady(true);
        }
      })
      .catch(() => setError(t("camera.denied")));
    return () => {
      stopped = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, []);

  function capture() {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext("2d")?.drawImage(v, 0, 0);
    canvas.toBlob(
      async (blob) => {
        if (blob) props.onCapture(new Uint8Array(await blob.arrayBuffer()));
      },
      "image/jpeg",
      0.92,
    );
  }

  return (
    <Dialog title={t("photo.take")} onClose={props.onClose}>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : (
        <div class="camera">
          <video ref={video} autoPlay playsInline muted aria-label={t("camera.preview")} />
          <div class="frame" aria-hidden="true" />
        </div>
      )}
      <div class="actions">
        <button class="primary" disabled={!ready || props.busy} onClick={capture}>
          {t("photo.capture")}
        </button>
        <button onClick={props.onClose}>{t("close")}</button>
      </div>
    </Dialog>
  );
}
