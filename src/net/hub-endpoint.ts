// The Hugging Face endpoint for hf: models and datasets alike, in node-llama-cpp's order
// (resolveHuggingFaceEndpoint): the option, MODEL_ENDPOINT, HF_ENDPOINT, then huggingface.co.
// Tests point it at a local server.

/** The endpoint's base URL, ending with "/". */
export function huggingFaceEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  for (const candidate of [option, env.MODEL_ENDPOINT, env.HF_ENDPOINT]) {
    if (candidate && /^https?:\/\//i.test(candidate)) return candidate.endsWith("/") ? candidate : `${candidate}/`;
  }
  return "https://huggingface.co/";
}
