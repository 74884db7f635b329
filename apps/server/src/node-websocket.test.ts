import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createNodeWebSocket } from "./node-websocket.js";

const errors: unknown[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({
    app,
    maxPayload: 64,
    onError: (error) => errors.push(error),
  });
  app.get("/refused", (c) => c.json({ type: "unauthorized", message: "no token" }, 401));
  app.get(
    "/echo",
    upgradeWebSocket(() => ({
      onMessage(event, ws) {
        if (event.data === "throw") throw new Error("handler failed");
        ws.send(`echo ${String(event.data)}`);
      },
    })),
  );
  server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  injectWebSocket(server);
  await new Promise((resolve) => server.once("listening", resolve));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function connect(path: string): WebSocket {
  return new WebSocket(`${base}${path}`);
}

describe("createNodeWebSocket", () => {
  it("answers a refused upgrade with the route's status and JSON error body", async () => {
    const ws = connect("/refused");
    const response = await new Promise<{ status: number; body: string; type: string }>(
      (resolve) => {
        ws.on("unexpected-response", (_request, res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode!, body, type: String(res.headers["content-type"]) }),
          );
        });
      },
    );
    expect(response.status).toBe(401);
    expect(response.type).toContain("application/json");
    expect(JSON.parse(response.body)).toEqual({ type: "unauthorized", message: "no token" });
  });

  it("delivers messages to the route and its sends to the client; a throwing handler reaches onError, the socket stays up", async () => {
    const ws = connect("/echo");
    await new Promise((resolve) => ws.once("open", resolve));
    const replies: string[] = [];
    ws.on("message", (data) => replies.push(String(data)));
    ws.send("throw");
    ws.send("hello");
    await expect.poll(() => replies).toEqual(["echo hello"]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("handler failed");
    ws.close();
  });

  it("closes a socket whose frame is over maxPayload with 1009 (R34)", async () => {
    const ws = connect("/echo");
    await new Promise((resolve) => ws.once("open", resolve));
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    ws.send("x".repeat(65));
    expect(await closed).toBe(1009);
  });
});
