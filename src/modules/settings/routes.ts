// GET/PUT /api/mystery/settings: the caller's notifications and language.
import { Elysia } from "elysia";
import { invalidField } from "../../kernel/errors";
import { errors } from "../../kernel/schemas";
import { authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { Settings, SettingsInput } from "./model";
import { changeSettings, getSettings } from "./service";

export const settingsRoutes = ({ db, config, activity }: AppDeps) => {
  const notAnObject = new WeakSet<Request>();
  return new Elysia({ name: "settings", prefix: "/api/mystery" })
    .use(authPlugin(config, activity))
    .get("/settings", async ({ userId }) => ({ success: true as const, ...(await getSettings(db, userId)) }), {
      auth: true,
      response: { 200: Settings, ...errors(401) },
      detail: {
        tags: ["settings"],
        summary: "Your notification settings and language",
        description: "Every notification is on until you turn it off (or send /stop to the bot).",
      },
    })
    .put(
      "/settings",
      async ({ userId, body }) => ({ success: true as const, ...(await changeSettings(db, userId, body)) }),
      {
        auth: true,
        // Elysia's validation reads a `notifications` that is no object (true, null, []) as {}: it is seen
        // here, before that, and refused in beforeHandle, after the credential check.
        transform({ request, body }) {
          const value = (body as { notifications?: unknown } | null)?.notifications;
          if (value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value)))
            notAnObject.add(request);
        },
        beforeHandle({ request }) {
          if (notAnObject.delete(request)) throw invalidField("notifications", "must be an object of booleans");
        },
        body: SettingsInput,
        response: { 200: Settings, ...errors(400, 401, 413, 422) },
        detail: {
          tags: ["settings"],
          summary: "Change some of your settings",
          description:
            "Partial: only the fields given change (a notifications object with one kind changes that kind " +
            "only); the reply is every setting after the change.",
        },
      },
    );
};
