import { useEffect, useRef, useState } from "preact/hooks";
import { BundleNote } from "../components/BundleNote";
import { FileName } from "../components/FileName";
import { errorText, t } from "../i18n";
import { addFiles, clearFinished, uploads, type UploadItem } from "../state/uploads";

const ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif,application/pdf,.pdf,.ofd";

export function Upload() {
  const camera = useRef<HTMLInputElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const online = useOnline();

  function take(input: HTMLInputElement | null) {
    if (input?.files?.length) addFiles(Array.from(input.files));
    if (input) input.value = "";
  }

  return (
    <section class="card upload" aria-labelledby="upload-title">
      <h2 id="upload-title">{t("upload.title")}</h2>
      {!online && <p class="upload-offline" role="status" data-testid="upload-offline">{t("upload.offline")}</p>}
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer?.files.length) addFiles(Array.from(e.dataTransfer.files));
        }}
      >
        <div class="row wrap">
          <button type="button" class="primary" onClick={() => camera.current?.click()}>{t("upload.camera")}</button>
          <button type="button" onClick={() => picker.current?.click()}>{t("upload.choose")}</button>
        </div>
        <p class="hint">{t("upload.drop")}</p>
        <input ref={camera} type="file" accept="image/*" capture="environment" hidden onChange={() => take(camera.current)} />
        <input ref={picker} data-testid="file-input" type="file" accept={ACCEPT} multiple hidden onChange={() => take(picker.current)} />
      </div>
      {uploads.value.length > 0 && (
        <>
          <ul class="uploads" data-testid="uploads" aria-label={t("upload.title")}>
            {uploads.value.map((u) => <UploadRow key={u.id} item={u} />)}
          </ul>
          <button type="button" class="link" onClick={clearFinished}>{t("upload.clear")}</button>
        </>
      )}
    </section>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  let label: string;
  switch (item.phase) {
    case "uploading":
      label = t("upload.uploading", { pct: Math.round(item.progress * 100) });
      break;
    case "retrying":
      label = t("upload.retrying", { seconds: item.retryInSeconds, attempt: item.attempt + 1 });
      break;
    default:
      label = t(`upload.${item.phase}`);
  }
  return (
    <li class={`upload-row phase-${item.phase}`} data-testid="upload-row" data-phase={item.phase}>
      <div class="row between">
        <FileName name={item.name} testId="upload-name" />
        <span class="phase">{label}</span>
      </div>
      {item.resumed && <p class="hint" data-testid="upload-resumed">{t("upload.resumed")}</p>}
      <progress max={1} value={item.progress} aria-label={item.name} />
      {item.invoiceId !== undefined && <BundleNote invoiceId={item.invoiceId} />}
      {item.error && <p class="error" data-testid="upload-error">{errorText(item.error)}</p>}
    </li>
  );
}

/** Whether the browser says it is online (files chosen offline wait in the queue; the page says so). */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => globalThis.navigator?.onLine ?? true);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => {
      window.removeEventListener("online", on);
      window.removeEventListener("offline", off);
    };
  }, []);
  return online;
}
