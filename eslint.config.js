// ESLint 9 flat config: typescript-eslint's type-checked rules over the TypeScript sources, the
// plain recommended rules over the CommonJS launchers in bin/. `npm run lint` (and `npm test`)
// run it; formatting is Prettier's job, so no stylistic rules here.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["dist/", "dist-check/", "node_modules/", "coverage/", "models/", "data/"]),
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The point of the linter here: every promise is awaited, returned, or handed off on purpose.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // Off: the code writes `async` on methods that implement a Promise-returning interface (the
      // fakes, the scripted engine, the platform surfaces) so that a throw becomes a rejection, as
      // callers expect; an `await` is not what makes such a function right.
      "@typescript-eslint/require-await": "off",
      // Off: the code matches ANSI escapes and control characters on purpose (terminal output,
      // llama.cpp logs, text cleaning).
      "no-control-regex": "off",
      // A `let` that closures read before it is assigned (engine.ts: the context, the pool) cannot
      // become a `const`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Forwarding a reason one was given (an abort signal's, a caught error) is right as it is.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A leading underscore marks a parameter kept for the signature, or a key taken out of a rest.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // Tests and the protocol fakes read untyped JSON (HTTP bodies, WebSocket frames, recorded
    // requests) and assert on its fields: `any` is what such data is, and typing every wire shape in
    // a test would duplicate the protocols the fakes follow. The source keeps these rules.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // The fakes coerce Web API arguments and WebSocket frames to strings as the platforms do.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    files: ["bin/**/*.js"],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
  {
    files: ["eslint.config.js"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
