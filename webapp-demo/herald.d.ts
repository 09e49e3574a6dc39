// Type declarations for herald.js, the browser client of Herald (docs/client.md).

/** A transport: WebSocket; SSE to receive plus HTTP POST to publish; HTTP long-polling plus HTTP POST. */
export type TransportName = 'ws' | 'sse' | 'poll';

/** `connecting` until the first open, `reconnecting` after a drop, `closed` after close(). */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Settings of Herald.connect. Durations in milliseconds. */
export interface HeraldOptions {
  /** Tried in this order (docs/client.md, "Transports"). Default ['ws', 'sse', 'poll']. */
  transports?: TransportName[];
  /**
   * A transport that has worked, failing to open this many times in a row, hands over to the next one if that one
   * opens; when every transport fails it is an outage and the backoff applies. Default 2.
   */
  fallbackAfter?: number;
  /**
   * On a transport other than the first, how often the better ones are probed in the background; once one works,
   * the connection switches back to it, resuming every channel from its last offset. 0: never. Default 30000.
   */
  upgradeInterval?: number;
  /** The backoff ceiling of the first retry; it doubles per failed attempt. Default 500. */
  reconnectDelay?: number;
  /** The largest backoff ceiling. Each delay is uniformly random below the ceiling (full jitter). Default 30000. */
  maxReconnectDelay?: number;
  /** A connection open this long resets the backoff. Default 10000. */
  stableAfter?: number;
  /** A transport that shows no sign of life within this is given up for the next one. Default 5000. */
  openTimeout?: number;
  /** WebSocket: a ping after this much quiet. Default 15000. */
  heartbeatInterval?: number;
  /** WebSocket: dead when a ping is not answered within this; SSE: when a heartbeat is this late. Default 10000. */
  heartbeatTimeout?: number;
  /** The server's herald.poll.timeout: how long a long-poll may be held. Default 25000. */
  pollTimeout?: number;
  /** A publish not acknowledged within this rejects with code 'timeout'. Default 15000. */
  publishTimeout?: number;
  /** Most publishes waiting for an ack; more reject with code 'queue_full'. Default 256. */
  maxQueue?: number;
  /**
   * A token provider (docs/security.md): called before connecting, again before the token expires (its JWT `exp`,
   * or the `expires` returned) and when the server answers `unauthorized`. A string is a fixed token.
   */
  token?: string | (() => string | { token: string; expires?: number } | Promise<string | { token: string; expires?: number }>);
  /**
   * One connection for all the tabs of this origin that connect to the same Herald as the same user (docs/client.md,
   * "Many tabs, one connection"): true (a SharedWorker where the browser has one, else a leader tab elected with Web
   * Locks, or a BroadcastChannel heartbeat without them), 'worker' or 'leader' to ask for one mechanism (the other is
   * taken when the browser lacks it), false for a connection of this page's own. Default true; replaced WebSocket,
   * EventSource or fetch classes turn the default off.
   */
  share?: ShareMode | boolean;
  /**
   * Who this client is in the presence of the channels it subscribes to, when it has no token (with a token, the
   * server uses its subject): 1 to 64 of A-Z a-z 0-9 _ . : @ -, starting with a letter or digit.
   */
  user?: string;
  /** Small data shown with this client in presence (a JSON object of at most 1024 characters). */
  info?: Record<string, unknown>;
  /** Replacements of the browser's own classes, for other environments and tests. */
  WebSocket?: typeof WebSocket;
  EventSource?: typeof EventSource;
  fetch?: typeof fetch;
  SharedWorker?: typeof SharedWorker;
  BroadcastChannel?: typeof BroadcastChannel;
  /** The Web Locks API (navigator.locks); null: none (a BroadcastChannel heartbeat elects the leader). */
  locks?: LockManager | null;
}

/** How a shared connection is held: by a SharedWorker, or by one of the tabs (the leader). */
export type ShareMode = 'worker' | 'leader';

/** One published message, as every subscriber sees it (docs/protocol.md section 2). */
export interface Envelope<T = unknown> {
  channel: string;
  /** Starts at 1, grows by exactly 1 per message of the channel (within one epoch). */
  offset: number;
  /** Unique per channel. */
  id: string;
  /** The publisher's event name; 'message' when none was given. */
  event: string;
  /** The message's JSON value; for a binary message (docs/protocol.md "Binary messages"), its bytes. */
  data: T;
  /** Server publish time, epoch milliseconds. */
  ts: number;
}

/** The server's acknowledgement of a publish. */
export interface Ack {
  channel: string;
  offset: number;
  id: string;
  /** True when the server had this publish already (same idempotency key): nothing new was published. */
  replayed: boolean;
}

export interface PublishOptions {
  /**
   * 1 to 128 visible ASCII characters naming this publish: the server publishes it once per key within its window
   * (2 minutes by default). Default: a key generated per call, reused when the publish is sent again on reconnect.
   */
  idempotencyKey?: string;
}

/**
 * Messages of `channel` from `requested` to `earliest - 1` will never arrive; with `reset`, a new stream began; with
 * `conflated` (the 'conflated' event), they were replaced by newer values on purpose.
 */
export interface Gap {
  channel: string;
  requested: number;
  earliest: number;
  /** The channel's stream started again (e.g. the server restarted): its offsets start over in `epoch`. */
  reset?: boolean;
  epoch?: string;
  /** Skipped on purpose (a conflating channel while this client was behind): delivered as the 'conflated' event. */
  conflated?: boolean;
}

export interface StateEvent {
  state: ConnectionState;
  /**
   * The transport in use while open; null otherwise. A fallback or an upgrade while open is an 'open' event with
   * the new transport.
   */
  transport: TransportName | null;
  /** Why the connection was lost (on a failed round). */
  reason?: string;
  /** When the next attempt comes, in ms (on a failed round). */
  retryIn?: number;
  /** Set when the connection is shared with other tabs: how. */
  shared?: ShareMode;
}

export interface SubscribeOptions {
  /** Replay the messages after this offset that history still holds, first (0: all of it). */
  since?: number;
  /** The stream `since` belongs to; if the channel's epoch differs, a reset gap comes first. */
  epoch?: string;
  /** Ask for the channel's 'join' and 'leave' events (where its namespace has them on). Default false. */
  presence?: boolean;
}

/** One subscriber in a channel's presence (docs/protocol.md, "Presence"). */
export interface PresenceEntry {
  /** The subscription's id, unique across nodes. */
  client: string;
  /** The token's subject, or the `user` the client chose; absent when neither. */
  user?: string;
  info?: Record<string, unknown>;
}

/** A subscriber joined or left a channel subscribed to with `{ presence: true }`. */
export interface PresenceEvent extends PresenceEntry {
  channel: string;
}

/** A refusal: the server's code (bad_channel, forbidden, …) or the client's own (timeout, queue_full, closed). */
export class HeraldError extends Error {
  readonly code: string;
  /** For a refused subscription: its channel. */
  readonly channel?: string;
  constructor(code: string, message?: string);
}

/** One logical connection, whatever transport carries it. */
export interface HeraldConnection {
  readonly state: ConnectionState;
  /** The transport in use or being tried; null between attempts and once closed. */
  readonly transport: TransportName | null;
  /** How the connection is shared with the other tabs; undefined for a connection of this page's own (share: false). */
  readonly shared?: ShareMode;
  /** Shared as 'leader': true while this tab holds the connection for the others. */
  readonly leader?: boolean;

  /**
   * Delivers the channel's messages to `onMessage`, each once and in order, across reconnects and transports.
   * Returns a function that unsubscribes.
   */
  subscribe<T = unknown>(channel: string, onMessage: (message: Envelope<T>) => void,
    options?: SubscribeOptions): () => void;

  /**
   * Publishes `data` (any JSON value) as `event` (null: 'message'). Binary data (an ArrayBuffer, a typed array or
   * DataView, a Blob) is published as a binary message: subscribers receive its bytes as an ArrayBuffer on every
   * transport (docs/protocol.md "Binary messages"). Queued while disconnected; sent again after a reconnect with the
   * same idempotency key, so it is published once.
   */
  publish(channel: string, event: string | null, data?: unknown | ArrayBuffer | ArrayBufferView | Blob,
          options?: PublishOptions): Promise<Ack>;

  on(type: 'state', listener: (event: StateEvent) => void): () => void;
  on(type: 'gap', listener: (gap: Gap) => void): () => void;
  /** Offsets skipped on purpose while this client was behind on a conflating channel: newer values replaced them. */
  on(type: 'conflated', listener: (gap: Gap) => void): () => void;
  on(type: 'error', listener: (error: HeraldError) => void): () => void;
  on(type: 'join' | 'leave', listener: (event: PresenceEvent) => void): () => void;

  /** Who is subscribed to the channel, read over HTTP; rejects with a HeraldError ('not_found' where it is off). */
  presence(channel: string): Promise<PresenceEntry[]>;

  /** Closes for good: no reconnect; waiting publishes reject with code 'closed'. */
  close(): void;
}

export declare const Herald: {
  /**
   * Connects to the Herald whose context root is `url` (default: where herald.js was served from). Unless
   * `share: false`, the connection is shared with the other tabs of this origin (HeraldOptions.share).
   */
  connect(url?: string | URL, options?: HeraldOptions): HeraldConnection;
  connect(options: HeraldOptions): HeraldConnection;
};

/** Pure helpers, exported for herald.js's own unit tests. */
export function backoffDelay(attempt: number,
  options?: { reconnectDelay: number; maxReconnectDelay: number }, random?: () => number): number;
export function splitId(id: string): { epoch: string | null; offset: number };
export function parseToken(token: string): Map<string, { epoch: string | null; offset: number }>;
export function formatToken(entries: Iterable<[string, { epoch: string | null; offset: number }]>): string;
export class Watchdog {
  constructor(ms: number, onExpire: () => void);
  kick(ms?: number): void;
  stop(): void;
}

declare global {
  /** Set when herald.js runs, for pages that use plain scripts. */
  // eslint-disable-next-line no-var
  var Herald: typeof import('./herald.js').Herald;
}
