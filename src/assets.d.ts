// Module types for the files the binary embeds: SQL migrations as text, PGlite's runtime as files.
declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*.wasm" {
  /** A path to the file (inside the executable when compiled). */
  const path: string;
  export default path;
}

declare module "*.data" {
  /** A path to the file (inside the executable when compiled). */
  const path: string;
  export default path;
}
