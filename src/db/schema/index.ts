// Every drizzle table, for the client, the migrator and drizzle-kit.
export * from "./chat";
export * from "./matches";
export * from "./notifications";
export * from "./payments";
export * from "./photos";
export * from "./safety";
export * from "./settings";
export * from "./telegram";
export * from "./users";
