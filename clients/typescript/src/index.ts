/**
 * Types of the chatd client contract (Socket.IO v4, namespace /chat), for
 * `io<ServerToClientEvents, ClientToServerEvents>()`-style typed sockets:
 *
 * ```ts
 * import { io, type Socket } from "socket.io-client";
 * import type { ServerToClientEvents, ClientToServerEvents } from "@chatd/client-types";
 * const socket: Socket<ServerToClientEvents, ClientToServerEvents> =
 *   io("https://chat.example.com/chat", { auth: { token } });
 * socket.emit("sendMessage", { roomId: "general", content: "hi" }, (r) => { ... });
 * ```
 */
export * from "./errors.js";
export * from "./payloads.js";
export * from "./events.js";

/** The namespace chatd serves. */
export const CHAT_NAMESPACE = "/chat";
