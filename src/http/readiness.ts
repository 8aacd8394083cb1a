// What the process is waiting for before it can answer: the model (downloading, then loading) and
// every configured platform (connecting, and again while it reconnects). /readyz reports it; the
// start-up path and the adapters' connection events update it.

export type ComponentState =
  | { readonly state: "downloading"; readonly downloadedBytes: number; readonly totalBytes: number }
  | { readonly state: "loading" }
  | { readonly state: "connecting" }
  | { readonly state: "ready" };

export interface ReadinessReport {
  readonly ready: boolean;
  /** Every component that is not ready, with its state (what /readyz names in its 503). */
  readonly notReady: readonly ({ readonly component: string } & ComponentState)[];
  readonly components: Readonly<Record<string, ComponentState>>;
}

export class Readiness {
  private readonly components = new Map<string, ComponentState>();
  private readonly listeners = new Set<(component: string, state: ComponentState) => void>();

  /** Sets a component's state (a component counts from the first time it is set). */
  set(component: string, state: ComponentState): void {
    const before = this.components.get(component);
    this.components.set(component, state);
    if (before?.state === state.state && state.state !== "downloading") return;
    for (const listener of this.listeners) listener(component, state);
  }

  /** Called on every change of state (download progress included); returns an unsubscribe. */
  onChange(listener: (component: string, state: ComponentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(component: string): ComponentState | undefined {
    return this.components.get(component);
  }

  report(): ReadinessReport {
    const notReady = [...this.components].filter(([, s]) => s.state !== "ready").map(([component, s]) => ({ component, ...s }));
    // Nothing registered yet means start-up has not even begun: not ready.
    const ready = this.components.size > 0 && notReady.length === 0;
    return { ready, notReady, components: Object.fromEntries(this.components) };
  }
}
