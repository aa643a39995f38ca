/**
 * Raw RFC 822 messages to classifier text: the body without the header
 * block, with quoted-printable undone when the headers say so.
 *
 * @module
 */

/**
 * The body of a raw email: everything after the first blank line, trimmed
 * and capped at `maxChars` (spam can carry huge encoded attachments). A
 * top-level `Content-Transfer-Encoding: quoted-printable` body is decoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emailBody } from "./email.ts";
 * const raw = "From: a@b.c\nSubject: hi\n\nHello=\n world =3D 1\n";
 * assert.equal(emailBody(raw), "Hello=\n world =3D 1");
 * const qp = "Content-Transfer-Encoding: quoted-printable\n\nHello=\n world =3D 1";
 * assert.equal(emailBody(qp), "Hello world = 1");
 * ```
 */
export function emailBody(raw: string, maxChars = 20_000): string {
  const text = raw.includes("\r") ? raw.replace(/\r\n?/g, "\n") : raw;
  const sep = text.indexOf("\n\n");
  if (sep < 0) return "";
  const headers = text.slice(0, sep);
  let body = text.slice(sep + 2);
  if (/^content-transfer-encoding:\s*quoted-printable/im.test(headers)) {
    const charset = /charset="?([\w-]+)/i.exec(headers)?.[1];
    body = decodeQuotedPrintable(body, charset);
  }
  return body.trim().slice(0, maxChars);
}

/**
 * Undoes quoted-printable: drops soft line breaks (`=` at a line end) and
 * turns `=XX` byte runs into text in `charset` (UTF-8, else Latin-1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeQuotedPrintable } from "./email.ts";
 * assert.equal(decodeQuotedPrintable("caf=C3=A9 =\nok", "utf-8"), "café ok");
 * ```
 */
export function decodeQuotedPrintable(text: string, charset = "latin1"): string {
  const utf8 = /^utf-?8$/i.test(charset);
  const decoder = new TextDecoder(utf8 ? "utf-8" : "latin1");
  return text.replace(/=[ \t]*\n/g, "").replace(/(?:=[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(3 * i + 1, 3 * i + 3), 16);
    return decoder.decode(bytes);
  });
}
