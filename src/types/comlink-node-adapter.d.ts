// Ambient types for comlink's ESM node adapter (reference/stack.md §2, pitfall 2). comlink 4.4.2
// ships `node-adapter.mjs` with only a `.d.ts` beside it; under NodeNext resolution TypeScript
// looks for `.d.mts`, finds none and reports TS7016. This shim declares the same surface.

declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  /** What comlink needs from a Node `MessagePort`, `Worker` or `parentPort`. */
  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (value: unknown) => void): void;
    off(type: string, listener: (value: unknown) => void): void;
    start?: () => void;
  }

  /** Adapts a Node message endpoint to comlink's DOM-style `Endpoint`. */
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
