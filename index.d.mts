// Types for the ESM entry (lib/index.mjs): the same declarations as the
// CommonJS entry's index.d.ts, re-exported so that `import` resolves to an
// ES module declaration file (what Node and TypeScript's node16/nodenext
// resolution expect for an .mjs entry).
export * from './index.js'
export { default } from './index.js'
