import js from "@eslint/js";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [
      js.configs.recommended,
      ...tseslint.configs.strictTypeChecked,
      jsxA11y.flatConfigs.strict,
    ],
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Nothing typed into a form (a card number, a CVV, a password) may reach the console.
      "no-console": "error",
      "no-restricted-globals": [
        "error",
        { name: "localStorage", message: "Tokens and form data stay in memory only." },
        { name: "sessionStorage", message: "Tokens and form data stay in memory only." },
        { name: "indexedDB", message: "Tokens and form data stay in memory only." },
      ],
      "no-restricted-properties": [
        "error",
        { object: "window", property: "localStorage", message: "Memory only." },
        { object: "window", property: "sessionStorage", message: "Memory only." },
        { object: "document", property: "cookie", message: "No cookies: tokens stay in memory." },
      ],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  {
    files: ["*.{js,ts}", "src/**/*.test.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
);
