// The shape of config/default.yaml and of every --config file (any subset of it). Every object is
// strict so that a misspelt key is an error instead of a silently ignored setting.

import { z } from "zod";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** A duration in milliseconds; > 0 because 0 would mean "fail at once", never what anyone wants. */
const positiveMs = z.number().int().positive().max(24 * 60 * 60 * 1000);
const nonEmpty = z.string().min(1);
const idList = z.array(nonEmpty);

export const gpuSchema = z.union([z.enum(["auto", "cuda", "vulkan", "metal"]), z.literal(false)], {
  error: () => "must be one of auto, cuda, vulkan, metal, false",
});

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

export const configSchema = z.strictObject({
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
    parallel: int(1, 64),
    contextSize: int(256, 131072),
    batchSize: int(1, 131072),
  }),
  sampling: z.strictObject({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
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
  }),
  http: z.strictObject({
    /** Slack HTTP mode (Events API) and health endpoints; PORT overrides it. 0 = any free port (tests). */
    port: int(0, 65535),
  }),
  log: z.strictObject({
    level: z.enum(LOG_LEVELS),
  }),
});

export type AppConfig = z.infer<typeof configSchema>;
export type GpuSetting = AppConfig["engine"]["gpu"];
export type LogLevel = AppConfig["log"]["level"];

/** Every key optional, at every level; arrays are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

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
