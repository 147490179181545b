/**
 * A message channel to one upstream MCP session: lines of JSON-RPC go in with send(), lines come out through the
 * onLine callback it was opened with, and onClose reports its end. A stdio child is one (StdioChild); a Streamable
 * HTTP client session is another (StreamableHttpChannel); a legacy HTTP+SSE client session a third
 * (LegacySseChannel). The bridge and the legacy front work over any of them.
 */

export interface ChannelClose {
  /** True when we asked for the end. */
  readonly expected: boolean;
  /** What ended it, for logs and error replies ("exited with code 3", "SSE stream closed"). */
  readonly reason: string;
}

export interface ChannelEvents {
  readonly onLine: (line: Buffer) => void;
  readonly onClose: (close: ChannelClose) => void;
  /**
   * A message from the upstream was dropped unread (over --max-line-bytes); `id` is its JSON-RPC id when it could be
   * told (sniffRpcId), so the request it answers can be failed at once instead of at the timeout.
   */
  readonly onDropped?: (id: string | number | undefined, bytes: number) => void;
}

export interface Channel {
  /** A name for logs: a pid, a URL. */
  readonly label: string;
  /** Sends one JSON-RPC message (a line without its newline). */
  send(line: Buffer): void;
  /** Ends the channel gracefully; resolves when it is closed. */
  close(): Promise<void>;
}

export type ChannelFactory = (events: ChannelEvents) => Channel;
