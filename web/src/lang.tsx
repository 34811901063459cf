// The interface language picker every page shows.
import { LANGS, LANG_NAMES, setLang, t, type Lang } from "./i18n";

/** A select of the interface languages: the choice is kept (`setLang`) and handed on. */
export function LangPicker(props: { lang: Lang; onChange(l: Lang): void; class?: string }) {
  return (
    <select
      class={props.class}
      aria-label={t("language")}
      value={props.lang}
      onChange={(e) => {
        const l = (e.target as HTMLSelectElement).value as Lang;
        setLang(l);
        props.onChange(l);
      }}
    >
      {LANGS.map((l) => (
        <option value={l} key={l}>
          {LANG_NAMES[l]}
        </option>
      ))}
    </select>
  );
}
