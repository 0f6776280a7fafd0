import { lang, setLang, t } from "../i18n";

export function LanguageSwitch() {
  return (
    <button type="button" class="link" data-testid="lang-switch" onClick={() => setLang(lang.value === "zh" ? "en" : "zh")}>
      {t("lang.switch")}
    </button>
  );
}
