/**
 * What the app's tests share: a JSON POST and the error-envelope check.
 *
 * @module
 */
import assert from "node:assert/strict";

/** A JSON POST request's init, with extra headers. */
export const post = (body: BodyInit, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body,
});

/** Asserts an error answer (status, envelope code, a "Cannot …" message) and returns the message. */
export async function errorOf(res: Response, status: number, code: string): Promise<string> {
  const body = await res.json();
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  assert.match(body.error.message, /^Cannot /);
  return body.error.message;
}
