import { render } from "preact";
import { App } from "./app";
import { lang, setLang } from "./i18n";
import "./styles.css";

setLang(lang.value); // sets <html lang> from the saved choice
render(<App />, document.getElementById("app")!);
