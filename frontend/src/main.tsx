import { render } from "preact";
import { App } from "./app";
import { lang, setLang } from "./i18n";
import "./styles.css";

setLang(lang.value); // sets <html lang> from the saved choice
render(<App />, document.getElementById("app")!);

// The service worker keeps the app shell for opening offline (pwa/sw.js); only in a build (dev has no sw.js).
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => void navigator.serviceWorker.register("/sw.js").catch(() => undefined));
}
