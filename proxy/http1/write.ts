/** Socket writes shared by the server and the client. */
import type { Socket } from 'node:net';

/**
 * Up to this many body bytes, a head and its body go out as one latin1 string (latin1 maps bytes to characters one
 * to one, so the bytes are unchanged): one plain write, which costs less than a corked writev of two chunks.
 */
export const ONE_STRING_MAX = 16 * 1024;

/**
 * Writes head, body and tail (any may be missing) in one system call; false when the socket wants a 'drain'. A body
 * of at most ONE_STRING_MAX bytes is copied before this returns (the caller may reuse its memory); a longer one may
 * be kept until the kernel takes it.
 */
export function writeMessage(
  socket: Socket,
  head: string | undefined,
  body: Buffer | undefined,
  tail?: string,
): boolean {
  if (socket.destroyed) return false;
  if (body === undefined || body.length <= ONE_STRING_MAX) {
    const text = (head ?? '') + (body === undefined ? '' : body.toString('latin1')) + (tail ?? '');
    return text.length === 0 || socket.write(text, 'latin1');
  }
  socket.cork();
  if (head !== undefined) socket.write(head, 'latin1');
  let ok = socket.write(body);
  if (tail !== undefined) ok = socket.write(tail, 'latin1');
  socket.uncork();
  return ok;
}
