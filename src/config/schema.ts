// The shape of config/default.yaml and of every --config file (any subset of it). Every object is
// strict so that a misspelt key is an error instead of a silently ignored setting.

import { z } from "zod";
import { promptPlaceholderProblem } from "./channel-settings.js";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** A duration in milliseconds; > 0 because 0 would mean "fail at once", never what anyone wants. */
const positiveMs = z
  .number()
  .int()
  .positive()
  .max(24 * 60 * 60 * 1000);
const nonEmpty = z.string().min(1);
const idList = z.array(nonEmpty);

export const gpuSchema = z.union([z.enum(["auto", "cuda", "vulkan", "metal"]), z.literal(false)], {
  error: () => "must be one of auto, cuda, vulkan, metal, false",
});

/** One channel's own settings under chat.channels (every key optional: the rest comes from the top level). */
const channelSettingsSchema = z.strictObject({
  /** Replaces systemPrompt in this channel; {date} and {channel} are filled in per question. */
  systemPrompt: z
    .string()
    .refine((s) => s.trim() !== "", "must not be empty (leave the key out to use systemPrompt)")
    .superRefine((prompt, ctx) => {
      const problem = promptPlaceholderProblem(prompt);
      if (problem) ctx.addIssue({ code: "custom", message: problem, input: undefined });
    })
    .optional(),
  sampling: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      topK: z.number().int().min(0).max(100_000).optional(),
      minP: z.number().min(0).max(1).optional(),
      repeatPenalty: z.number().min(1).max(2).optional(),
      maxTokens: z.number().int().min(1).max(8192).optional(),
    })
    .optional(),
});

/** Keyed by a Slack (C…, D…, G…) or Discord (snowflake) channel id; Discord ids must be quoted in YAML. */
const channelsSchema = z.record(z.string(), channelSettingsSchema).superRefine((channels, ctx) => {
  for (const id of Object.keys(channels)) {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) {
      ctx.addIssue({
        code: "custom",
        path: [id],
        message: "channel ids are letters, digits, '_' or '-' (a Slack C…/D… id or a quoted Discord id)",
        input: undefined,
      });
    }
  }
});

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, "must be an IANA time zone such as Asia/Tokyo or UTC");

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** Backend names appear in logs, `elyza-bot backends`, `probe --backend` and `backend:NAME`. */
const backendName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, "must be 1–64 letters, digits, '.', '_' or '-' (starting with a letter or digit)");
const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}, "must be an http:// or https:// URL without credentials (put the key in the variable named by apiKeyEnv)");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the NAME of an environment variable (e.g. VLLM_API_KEY), never the key itself");
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name");

/** The model in this process (node-llama-cpp): model.uri with the engine settings above. */
const inProcessBackendSchema = z.strictObject({
  name: backendName,
  kind: z.literal("in-process"),
});

/** An OpenAI-compatible server: llama.cpp's llama-server, vLLM, Ollama, another elyza-bot's API. */
const openAiBackendSchema = z.strictObject({
  name: backendName,
  kind: z.literal("openai"),
  /** The API base as OpenAI clients take it, e.g. http://gpu2:8000/v1. */
  baseUrl: httpUrl,
  /** The `model` of each request: what that server serves. */
  model: nonEmpty,
  /** Requests it may run at once. */
  slots: int(1, 1024),
  /** Name of the environment variable holding its API key (sent as a bearer token). */
  apiKeyEnv: envName.optional(),
  headers: z.record(headerName, z.string()).optional(),
});

export const backendSchema = z.discriminatedUnion("kind", [inProcessBackendSchema, openAiBackendSchema], {
  error: (issue) => (issue.code === "invalid_union" ? 'kind: must be "in-process" or "openai"' : undefined),
});

const backendsSchema = z
  .array(backendSchema)
  .min(1)
  .superRefine((backends, ctx) => {
    const seen = new Set<string>();
    backends.forEach((backend, i) => {
      if (seen.has(backend.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${backend.name}" is used by two backends; names must be unique` });
      seen.add(backend.name);
    });
    if (backends.filter((b) => b.kind === "in-process").length > 1) {
      ctx.addIssue({ code: "custom", message: "at most one in-process backend (the process holds one model)" });
    }
  });

/** `probe.judgeModel: backend:NAME` names a backend instead of a model file. */
export const BACKEND_REF = /^backend:(.+)$/;

export const configSchema = z
  .strictObject({
    model: z.strictObject({
      /** A .gguf path, an hf: URI or an https: URL. */
      uri: nonEmpty,
      /** Where URIs are downloaded to (absolute after loading). */
      directory: nonEmpty,
    }),
    engine: z.strictObject({
      gpu: gpuSchema,
      /** 0 = defaultThreads() (one per physical core). */
      threads: int(0, 256),
      /** Sequences run at once; "auto": as many as free GPU memory (or RAM, capped per core) allows. */
      parallel: z.union([int(1, 64), z.literal("auto")], { error: () => 'must be "auto" or a whole number from 1 to 64' }),
      contextSize: int(256, 131072),
      batchSize: int(1, 131072),
      /** Where generations run, in the order they are tried; default: the in-process model alone. */
      backends: backendsSchema,
      /** Health checks of openai backends. */
      backendChecks: z.strictObject({
        intervalMs: positiveMs,
        retryMinMs: positiveMs,
        retryMaxMs: positiveMs,
      }),
    }),
    sampling: z.strictObject({
      temperature: z.number().min(0).max(2),
      topP: z.number().gt(0).max(1),
      topK: int(0, 100_000),
      minP: z.number().min(0).max(1),
      repeatPenalty: z.number().min(1).max(2),
      maxTokens: int(1, 8192),
    }),
    systemPrompt: z.string(),
    queue: z.strictObject({
      maxWaiting: int(0, 100_000),
      maxPerUser: int(1, 10_000),
      timeouts: z.strictObject({
        queueWaitMs: positiveMs,
        firstTokenMs: positiveMs,
        totalMs: positiveMs,
      }),
    }),
    chat: z.strictObject({
      editIntervalMs: int(100, 600_000),
      historyMessages: int(0, 1000),
      /** Per channel id: its own systemPrompt and/or sampling keys (chatSettingsFor in channel-settings.ts). */
      channels: channelsSchema,
      /** The time zone of {date} in channel prompts. */
      timeZone,
      /** Files attached to a question, read into it (src/attachments). */
      attachments: z.strictObject({
        /** Tokens all attached texts of one question may take together; beyond it they are cut and the answer says so. */
        budgetTokens: int(0, 1_000_000),
        /** Largest file downloaded, in bytes. */
        maxBytes: int(0, 1024 * 1024 * 1024),
        /** At most this many files per question are read. */
        maxFiles: int(0, 100),
      }),
      /** Follow-ups: in a thread where the bot answered (Slack), or the bot's thread / a reply to its answer (Discord), no @mention is needed. */
      followUps: z.boolean(),
      /** A message there starting with this is not for the bot (empty: none is ignored by prefix). */
      ignorePrefix: z.string().max(20),
      discord: z.strictObject({
        /** A mention in a channel is answered in a new thread on it (needs Create Public Threads and Send Messages in Threads). */
        answerInThread: z.boolean(),
      }),
      slack: z
        .strictObject({
          /** Native streaming (chat.startStream…) with a status line, in DMs, the pane and channel threads; chat.update on any error. */
          nativeStreaming: z.boolean().default(true),
        })
        .default({ nativeStreaming: true }),
    }),
    access: z.strictObject({
      allowedChannels: idList,
      allowedUsers: idList,
      allowedRoles: idList,
      probeAdmins: idList,
      ratePerMinute: int(0, 100_000),
    }),
    probe: z.strictObject({
      suite: nonEmpty,
      suitesDirectory: nonEmpty,
      dataDirectory: nonEmpty,
      /** Judge-mode grading: null = the bot's own model; else a .gguf path or hf: URI loaded on first use. */
      judgeModel: nonEmpty.nullable(),
      /**
       * Models `/probe compare=NAME` may load for an A/B probe: name → .gguf path or hf: URI. Chat
       * can only name these, never a path; each is loaded for one probe and released after.
       */
      /** Points per test `/probe history` shows when no count is given (the same on every platform). */
      historyCount: int(1, 50).default(10),
      compareModels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "names are letters, digits, dots, dashes or underscores"), nonEmpty).default({}),
    }),
    http: z.strictObject({
      /**
       * The one HTTP port: /healthz, /readyz, /metrics, Slack's HTTP mode (Events API) and the
       * OpenAI-compatible API when api.enabled; PORT overrides it. 0 = any free port (tests).
       */
      port: int(0, 65535),
    }),
    log: z.strictObject({
      level: z.enum(LOG_LEVELS),
    }),
    /** The answer journal (probe.dataDirectory/journal.sqlite): what survives a crash. */
    journal: z.strictObject({
      /** After a restart, unanswered questions at most this old are answered; older ones are told to ask again. */
      maxAgeMs: positiveMs,
      /** A reply a platform outage kept from being delivered is retried from the journal for this long. */
      retryForMs: positiveMs,
    }),
    /** The bot's own OpenAI-compatible API (POST /v1/chat/completions, GET /v1/models) on http.port. */
    api: z.strictObject({
      /** Needs ELYZA_API_TOKEN in the environment (clients send it as a bearer token). */
      enabled: z.boolean(),
      /** Queue priority of API requests: probe (default) lets people in chat go first. */
      priority: z.enum(["interactive", "probe"]),
      /** The model id served in /v1/models (requests may name it or leave `model` out). */
      modelId: nonEmpty,
      /** Largest request body accepted, in bytes; larger → 400. */
      maxBodyBytes: int(1024, 64 * 1024 * 1024),
      /** API requests waiting or running at once (all tokens together); one more → 429 with Retry-After. */
      maxConcurrent: int(1, 100_000),
    }),
  })
  .superRefine((config, ctx) => {
    const ref = config.probe.judgeModel?.match(BACKEND_REF);
    const named = ref && config.engine.backends.find((b) => b.name === ref[1]);
    if (named && named.kind === "in-process") {
      ctx.addIssue({
        code: "custom",
        path: ["probe", "judgeModel"],
        message: `names the in-process backend "${named.name}": use null to judge with the bot's own model (a backend: judge is loaded separately)`,
      });
    } else if (ref && !named) {
      ctx.addIssue({
        code: "custom",
        path: ["probe", "judgeModel"],
        message: `names backend "${ref[1]}", which engine.backends does not have (backends: ${config.engine.backends.map((b) => b.name).join(", ")})`,
      });
    }
  });

export type AppConfig = z.infer<typeof configSchema>;
export type GpuSetting = AppConfig["engine"]["gpu"];
export type LogLevel = AppConfig["log"]["level"];
export type BackendConfig = AppConfig["engine"]["backends"][number];
export type OpenAiBackendConfig = Extract<BackendConfig, { kind: "openai" }>;

/** Every key optional, at every level; arrays are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | undefined } : T;

/** hf: URIs and http(s) URLs are downloaded; anything else is a path on this machine. */
export function isRemoteModelUri(uri: string): boolean {
  return /^(hf:|https?:\/\/)/i.test(uri.trim());
}

/**
 * A model URI as it may be shown (logs, reports, the probe history): an http(s) URL loses its
 * credentials and query (pre-signed links carry tokens there); paths and hf: URIs are kept.
 */
export function displayModelUri(uri: string): string {
  if (!/^https?:/i.test(uri)) return uri;
  try {
    const url = new URL(uri);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString();
  } catch {
    return "(model URL)";
  }
}
