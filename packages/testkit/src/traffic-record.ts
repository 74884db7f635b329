import type { PullRequest, SnapshotRequest, Transport } from "@syncline/client";
import type { ClientFrame, Op, ServerFrame } from "@syncline/protocol";

/** A push as it went through: the device and the ops of the batch. */
export interface RecordedPush {
  readonly deviceId: string;
  readonly ops: readonly Op[];
}

/** A pull as it went through: the device and the page it asked for. */
export interface RecordedPull extends PullRequest {
  readonly deviceId: string;
}

/** A snapshot page as it went through: the device and the page it asked for. */
export interface RecordedSnapshot extends SnapshotRequest {
  readonly deviceId: string;
}

/** A `POST /sync/ack` as it went through. */
export interface RecordedAck {
  readonly deviceId: string;
  readonly lastSeenId: number;
}

/** A socket asked for, and what crossed it. */
export interface RecordedSocket {
  readonly deviceId: string;
  /** The `since` of its handshake. */
  readonly since: number;
  /** Frames the client sent while it was open. */
  readonly sent: readonly ClientFrame[];
  /** Frames the client was given. */
  readonly received: readonly ServerFrame[];
  /** It opened. */
  readonly opened: boolean;
  /** It is closed or closing, by either side. */
  readonly closed: boolean;
  /** The close code the client was told, once it was told one. */
  readonly closeCode: number | undefined;
}

interface SocketEntry {
  readonly deviceId: string;
  readonly since: number;
  readonly sent: ClientFrame[];
  readonly received: ServerFrame[];
  opened: boolean;
  closed: boolean;
  closeCode: number | undefined;
}

/**
 * A record of the requests and sockets that go through the transports it
 * wraps ({@link TrafficRecord.wrap}). Where it sits decides what it sees:
 * around a faulty transport, everything the clients sent; right around the
 * server's transport, only what reached the server.
 * @example
 * const traffic = new TrafficRecord();
 * const transport = traffic.wrap(faults.wrap(server.transport()));
 * expect(traffic.pushes.map((p) => p.ops.length)).toEqual([4, 3]);
 */
export class TrafficRecord {
  /** Every push, in order, with a copy of its ops as they were sent. */
  readonly pushes: RecordedPush[] = [];
  /** Every pull, in order. */
  readonly pulls: RecordedPull[] = [];
  /** Every snapshot page asked for, in order. */
  readonly snapshots: RecordedSnapshot[] = [];
  /** Every `POST /sync/ack`, in order (socket ACKs are in their socket's `sent`). */
  readonly acks: RecordedAck[] = [];
  readonly #sockets: SocketEntry[] = [];
  readonly #inFlight = new Set<string>();
  #overlappingPushes = 0;

  /** Every socket asked for, in order. */
  get sockets(): readonly RecordedSocket[] {
    return this.#sockets;
  }

  /** Times an op was in two pushes in flight at once, from any devices (single flight keeps it 0). */
  get overlappingPushes(): number {
    return this.#overlappingPushes;
  }

  /** The sockets of one device, in order. */
  socketsOf(deviceId: string): RecordedSocket[] {
    return this.#sockets.filter((socket) => socket.deviceId === deviceId);
  }

  /** Sockets (of one device) that opened and are not closed or closing. */
  openSockets(deviceId?: string): RecordedSocket[] {
    return this.#sockets.filter(
      (s) => s.opened && !s.closed && (deviceId === undefined || s.deviceId === deviceId),
    );
  }

  /** The transport `inner`, recording what goes through it. */
  wrap(inner: Transport): Transport {
    return {
      push: async (ops, credentials) => {
        this.pushes.push({ deviceId: credentials.deviceId, ops: structuredClone(ops) });
        const ids = ops.map((op) => op.operation_id);
        for (const id of ids) {
          if (this.#inFlight.has(id)) this.#overlappingPushes++;
          this.#inFlight.add(id);
        }
        try {
          return await inner.push(ops, credentials);
        } finally {
          for (const id of ids) this.#inFlight.delete(id);
        }
      },
      pull: (query, credentials) => {
        this.pulls.push({ deviceId: credentials.deviceId, ...query });
        return inner.pull(query, credentials);
      },
      snapshot: (query, credentials) => {
        this.snapshots.push({ deviceId: credentials.deviceId, ...query });
        return inner.snapshot(query, credentials);
      },
      ack: (lastSeenId, credentials) => {
        this.acks.push({ deviceId: credentials.deviceId, lastSeenId });
        return inner.ack(lastSeenId, credentials);
      },
      connect: (since, credentials, listener) => {
        const entry: SocketEntry = {
          deviceId: credentials.deviceId,
          since,
          sent: [],
          received: [],
          opened: false,
          closed: false,
          closeCode: undefined,
        };
        this.#sockets.push(entry);
        const socket = inner.connect(since, credentials, {
          open: () => {
            entry.opened = true;
            listener.open();
          },
          frame: (frame) => {
            entry.received.push(frame);
            listener.frame(frame);
          },
          close: (reason, code) => {
            entry.closed = true;
            entry.closeCode = code;
            listener.close(reason, code);
          },
        });
        return {
          send: (frame) => {
            if (entry.opened && !entry.closed) entry.sent.push(structuredClone(frame));
            socket.send(frame);
          },
          close: () => {
            entry.closed = true;
            socket.close();
          },
        };
      },
    };
  }
}
