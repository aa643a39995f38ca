/**
 * The OpenAPI 3.1 description of the server, built from its limits.
 *
 * @module
 */

/** Limits the spec states. */
export interface SpecLimits {
  maxBodyBytes: number;
  maxTexts: number;
  maxChars: number;
  maxExplainChars: number;
  explainMaxPieces: number;
  apiKey: boolean;
}

/** Who may call an operation: holders of the bearer key, or (empty) anyone. */
type Security = { bearer: never[] }[];

const errorRef = { $ref: "#/components/schemas/Error" };
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: errorRef } },
});

/** The `POST /v1/classify` operation, with the request limits it states. */
function classifyOperation(limits: SpecLimits, security: Security) {
  return {
    summary: "Classify one text or many",
    security,
    requestBody: {
      required: true,
      description: `At most ${limits.maxBodyBytes} bytes, ${limits.maxTexts} texts, ` +
        `${limits.maxChars} characters per text.`,
      content: {
        "application/json": { schema: { $ref: "#/components/schemas/ClassifyRequest" } },
      },
    },
    responses: {
      "200": {
        description: "One result per text, in input order",
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/ClassifyResponse" } },
        },
      },
      "400": errorResponse(
        "Malformed JSON, invalid UTF-8, missing or empty text, a body cut off " +
          "(body_incomplete), or not HTTP/1.1 (malformed_request)",
      ),
      "401": errorResponse("Missing or wrong bearer key"),
      "408": errorResponse(
        "The headers (header_timeout) or the body (body_timeout) did not all arrive in time",
      ),
      "413": errorResponse("Body, text count or text length over the limit"),
      "415": errorResponse("Content type is not application/json"),
      "422": errorResponse("A field has the wrong type"),
      "503": errorResponse(
        "The model is still loading (loading), the queue is full (overloaded, with " +
          "Retry-After), the deadline passed (deadline_exceeded) or the server is shutting " +
          "down (shutting_down)",
      ),
    },
  };
}

/** The `POST /v1/explain` operation. */
function explainOperation(limits: SpecLimits, security: Security) {
  return {
    summary: "Which words made the answer: each word's weight for a label, by leaving it out",
    security,
    requestBody: {
      required: true,
      description: `One text of at most ${limits.maxExplainChars} characters; "label" (optional) ` +
        "picks the label to explain instead of the answer. The text is classified once more " +
        `for each of its words (for each run of words in a text of over ${limits.explainMaxPieces} words).`,
      content: {
        "application/json": { schema: { $ref: "#/components/schemas/ExplainRequest" } },
      },
    },
    responses: {
      "200": {
        description: "The answer, and each piece of the text with the fall of the target " +
          "label's probability when the piece is left out",
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/Explanation" } },
        },
      },
      "400": errorResponse("Malformed JSON or an empty text"),
      "401": errorResponse("Missing or wrong bearer key"),
      "413": errorResponse("Body or text length over the limit"),
      "415": errorResponse("Content type is not application/json"),
      "422": errorResponse("No text, a field of the wrong type, or a label the model lacks"),
      "503": errorResponse(
        "The model is still loading, the queue is full, the deadline passed or the server " +
          "is shutting down (as for /v1/classify)",
      ),
    },
  };
}

/** Every route but `/v1/classify`: model info, health, this document and the pages. */
function otherPaths(security: Security) {
  return {
    "/v1/model": {
      get: {
        summary: "Describe the loaded model",
        security,
        responses: {
          "200": {
            description: "Labels, directions, configs (vocab size only), checksums, metrics",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/ModelInfo" } },
            },
          },
          "401": errorResponse("Missing or wrong bearer key"),
          "503": errorResponse("The model is still loading"),
        },
      },
    },
    "/healthz": {
      get: {
        summary: "Readiness",
        responses: {
          "200": {
            description: "The model is loaded",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } },
          },
          "503": {
            description: "The model is loading",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } },
          },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1 JSON" } },
      },
    },
    "/docs": {
      get: {
        summary: "Route list rendered from this document",
        responses: { "200": { description: "HTML" } },
      },
    },
    "/": {
      get: { summary: "Try-it page", responses: { "200": { description: "HTML" } } },
    },
    "/try.js": {
      get: { summary: "The try-it page's script", responses: { "200": { description: "JS" } } },
    },
    "/style.css": {
      get: { summary: "The pages' style sheet", responses: { "200": { description: "CSS" } } },
    },
  };
}

/** The request and response schemas; the request's sizes come from `limits`. */
function schemas(limits: SpecLimits) {
  return {
    ClassifyRequest: {
      oneOf: [
        {
          type: "object",
          required: ["text"],
          properties: { text: { type: "string", minLength: 1, maxLength: limits.maxChars } },
          additionalProperties: false,
        },
        {
          type: "object",
          required: ["texts"],
          properties: {
            texts: {
              type: "array",
              minItems: 1,
              maxItems: limits.maxTexts,
              items: { type: "string", minLength: 1, maxLength: limits.maxChars },
            },
          },
          additionalProperties: false,
        },
      ],
    },
    Prediction: {
      type: "object",
      required: ["label", "score", "scores"],
      properties: {
        label: { type: "string" },
        score: { type: "number" },
        scores: { type: "object", additionalProperties: { type: "number" } },
      },
    },
    ClassifyResponse: {
      type: "object",
      required: ["results"],
      properties: {
        results: { type: "array", items: { $ref: "#/components/schemas/Prediction" } },
      },
    },
    ExplainRequest: {
      type: "object",
      required: ["text"],
      properties: {
        text: { type: "string", minLength: 1, maxLength: limits.maxExplainChars },
        label: { type: "string" },
      },
      additionalProperties: false,
    },
    Explanation: {
      allOf: [{ $ref: "#/components/schemas/Prediction" }, {
        type: "object",
        required: ["target", "wordsPerPiece", "pieces"],
        properties: {
          target: { type: "string" },
          wordsPerPiece: { type: "integer", minimum: 1 },
          pieces: {
            type: "array",
            items: {
              type: "object",
              required: ["text", "start", "end", "weight"],
              properties: {
                text: { type: "string" },
                start: { type: "integer" },
                end: { type: "integer" },
                weight: { type: "number" },
              },
            },
          },
        },
      }],
    },
    ModelInfo: {
      type: "object",
      required: ["labels", "directions", "backend", "configs", "checksums", "metrics"],
      properties: {
        labels: { type: "array", items: { type: "string" } },
        directions: { type: "array", items: { enum: ["fwd", "bwd"] } },
        note: { type: "string" },
        backend: { type: "string" },
        configs: { type: "object" },
        checksums: { type: "object", additionalProperties: { type: "string" } },
        metrics: { type: "object" },
      },
    },
    Health: {
      type: "object",
      required: ["status"],
      properties: { status: { enum: ["ok", "loading", "error"] } },
    },
    Error: {
      type: "object",
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["code", "message"],
          properties: { code: { type: "string" }, message: { type: "string" } },
        },
      },
    },
  };
}

/**
 * Builds the spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openApiSpec } from "./openapi.ts";
 * const spec = openApiSpec({
 *   maxBodyBytes: 1024,
 *   maxTexts: 4,
 *   maxChars: 100,
 *   maxExplainChars: 100,
 *   explainMaxPieces: 200,
 *   apiKey: false,
 * });
 * assert.equal(spec.openapi, "3.1.0");
 * assert.ok("/v1/classify" in spec.paths);
 * ```
 */
export function openApiSpec(limits: SpecLimits) {
  const security: Security = limits.apiKey ? [{ bearer: [] }] : [];
  return {
    openapi: "3.1.0",
    info: {
      title: "fitlam text classifier",
      version: "1.0.0",
      description: "FitLaM/ULMFiT classifier: forward and backward AWD-LSTM models averaged.",
    },
    paths: {
      "/v1/classify": { post: classifyOperation(limits, security) },
      "/v1/explain": { post: explainOperation(limits, security) },
      ...otherPaths(security),
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: schemas(limits),
    },
  };
}
