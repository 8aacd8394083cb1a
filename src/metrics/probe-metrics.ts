// The tallies of the last probe, per test, as gauges: a decorator around the ProbeService the
// adapters call, so that a finished (or cancelled) run updates elyza_probe_passed / _runs.

import type { ProbeService } from "../probe/types.js";
import type { BotMetrics } from "./bot-metrics.js";

export function instrumentProbe(service: ProbeService, metrics: BotMetrics): ProbeService {
  const recorded = new WeakSet<object>();
  return {
    cancel: () => service.cancel(),
    history: (suite, perTest) => service.history(suite, perTest),
    run(options, requestedBy) {
      const handle = service.run(options, requestedBy);
      // A joined run shares its result promise: record each result once.
      handle.result.then(
        (result) => {
          if (recorded.has(result)) return;
          recorded.add(result);
          for (const test of result.tests) metrics.probeTally(result.suite, test.id, test.passed, test.total);
        },
        () => {},
      );
      return handle;
    },
  };
}
