import assert from "node:assert/strict";
import { decodeQuotedPrintable, emailBody } from "./email.ts";

Deno.test("emailBody: drops the header block (incl. folded headers), CRLF, cap", () => {
  const raw =
    "From a@b  Thu Aug 22 2002\r\nReceived: from x\r\n\tby y\r\nSubject: hi\r\n\r\nLine one.\r\n\r\nLine two.\r\n";
  assert.equal(emailBody(raw), "Line one.\n\nLine two.");
  assert.equal(emailBody(raw, 4), "Line");
  assert.equal(emailBody("Subject: no body"), "");
});

Deno.test("emailBody: quoted-printable bodies are decoded in their charset", () => {
  const raw =
    'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n' +
    "Soft =\nbreak, caf=C3=A9 =3D 2";
  assert.equal(emailBody(raw), "Soft break, café = 2");
  assert.equal(decodeQuotedPrintable("na=EFve"), "naïve");
});
