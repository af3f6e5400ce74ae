// The bundles' stand-in for zod's locales index (tools/build-cli.ts, zodEnglishOnly): English only.
export { default as en } from 'zod/v4/locales/en.js';
