// A real HTTP server on 127.0.0.1 for unit tests of the API client: each test scripts what
// the "service" answers and reads back what the browser code sent.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text instead of JSON. */
  text?: string;
  /** Close the connection without answering, as a network failure would. */
  drop?: boolean;
}

export type Handler = (request: RecordedRequest) => Answer | Promise<Answer>;

export class TestServer {
  readonly requests: RecordedRequest[] = [];
  private handler: Handler = () => ({ status: 404, body: { error: { code: "not_found", message: "No route matches this path.", details: {} } } });

  private constructor(private readonly server: Server, readonly baseUrl: string) {}

  static async start(): Promise<TestServer> {
    let instance: TestServer | null = null;
    const server = createServer((req, res) => {
      void instance?.handle(req, res);
    });
    await new Promise<void>((resolve) => {
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    instance = new TestServer(server, `http://127.0.0.1:${port}`);
    return instance;
  }

  answer(handler: Handler): void {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => {
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    this.requests.push(recorded);
    const answer = await this.handler(recorded);
    if (answer.drop) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string> = { ...answer.headers };
    let payload = "";
    if (answer.text !== undefined) {
      payload = answer.text;
    } else if (answer.body !== undefined) {
      payload = JSON.stringify(answer.body);
      headers["Content-Type"] ??= "application/json";
    }
    res.writeHead(answer.status, headers);
    res.end(payload);
  }
}

export function envelope(code: string, message: string, details: Record<string, unknown> = {}): unknown {
  return { error: { code, message, details }, request_id: "req_test" };
}
