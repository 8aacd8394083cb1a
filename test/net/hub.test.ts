import { describe, expect, it } from "vitest";
import { huggingFaceEndpoint } from "../../src/net/hub-endpoint.js";
import { networkCode } from "../../src/net/network-code.js";

describe("huggingFaceEndpoint", () => {
  it("takes the option, then MODEL_ENDPOINT, then HF_ENDPOINT, then huggingface.co, always ending with /", () => {
    const env = { MODEL_ENDPOINT: "http://127.0.0.1:1/mirror", HF_ENDPOINT: "http://127.0.0.1:2/" };
    expect(huggingFaceEndpoint("http://127.0.0.1:3", env)).toBe("http://127.0.0.1:3/");
    expect(huggingFaceEndpoint(undefined, env)).toBe("http://127.0.0.1:1/mirror/");
    expect(huggingFaceEndpoint(undefined, { HF_ENDPOINT: env.HF_ENDPOINT })).toBe("http://127.0.0.1:2/");
    // Not a URL: ignored, like node-llama-cpp does.
    expect(huggingFaceEndpoint("mirror.local", { MODEL_ENDPOINT: "" })).toBe("https://huggingface.co/");
  });
});

describe("networkCode", () => {
  it("finds the system error code on the error or its causes", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    expect(networkCode(new TypeError("fetch failed", { cause: refused }))).toBe("ECONNREFUSED");
  });

  it("says a time-out signal's abort is no answer in time", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    expect(networkCode(signal.reason)).toBe("no answer in time");
  });

  it("falls back to the message's first line", () => {
    expect(networkCode(new Error("bad gateway\nat somewhere"))).toBe("bad gateway");
    expect(networkCode("")).toBe("unknown error");
  });
});
