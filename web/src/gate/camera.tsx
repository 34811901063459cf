// The camera, read frame by frame by a QR decoder (Chromium on Linux has
// no BarcodeDetector).
import { useEffect, useRef, useState } from "preact/hooks";
import jsQR from "jsqr";
import { t } from "../i18n";

export function Camera(props: { onCode(text: string, started: number): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  const onCode = useRef(props.onCode);
  onCode.current = props.onCode;
  useEffect(() => {
    let stream: MediaStream | null = null;
    let running = true;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (!running) return;
      const v = video.current;
      if (v && ctx && v.readyState >= 2 && v.videoWidth) {
        const started = performance.now();
        const scale = Math.min(1, 800 / v.videoWidth);
        canvas.width = Math.round(v.videoWidth * scale);
        canvas.height = Math.round(v.videoHeight * scale);
        ctx.drawImage(v, 0, 0, canvas.width, canvas.height);
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const code = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
        if (code?.data) onCode.current(code.data, started);
      }
      requestAnimationFrame(tick);
    };
    navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false })
      .then((s) => {
        stream = s;
        if (video.current) video.current.srcObject = s;
        requestAnimationFrame(tick);
      })
      .catch(() => setError(t("camera.denied")));
    return () => {
      running = false;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, []);
  return (
    <div class="camera">
      {error ? <p class="error">{error}</p> : <video ref={video} autoPlay playsInline muted aria-label={t("camera.preview")} />}
    </div>
  );
}
