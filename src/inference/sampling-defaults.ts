/** transformers' default top-k, which the article's settings (temperature 0.6, top-p 0.9) ran with. */
export const DEFAULT_TOP_K = 50;
