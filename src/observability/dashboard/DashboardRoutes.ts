/**
 * The dashboard's HTTP routes, mounted on the API server of `--serve` (src/api/ApiServer.ts):
 *
 *   GET /                   -> redirect to /dashboard/
 *   GET /dashboard/         the page (web/dashboard/index.html, with its script and style)
 *   GET /dashboard/uplot.js, /dashboard/uplot.css   uPlot, from node_modules (the page works offline)
 *   GET /dashboard/feed     the data feed (Server-Sent Events, see `DashboardFeed`)
 *
 * The page itself uses the API for the rest: GET /api/status (owners, e-stop), POST /api/estop and
 * /api/reset, and the teleop WebSocket /api/teleop (deadman heartbeat, sliders per muscle group).
 * The page and its files are served without the token (they hold no data); with a token, open
 * /dashboard/?token=TOKEN: the page passes it on to the feed and the API.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DashboardFeed } from "./DashboardFeed.js";

/**
 * Handles a request it knows (returns true), or leaves it to the server (false). `authorized`:
 * the request carried the server's token (or none is needed).
 */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean) => boolean;

/** A server that takes extra routes. */
export interface HttpMountable {
  mount(handler: HttpHandler): void;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** web/dashboard: found from this module's place in the source tree or in dist/. */
export function dashboardAssetDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "web", "dashboard");
    if (fs.existsSync(path.join(candidate, "index.html"))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("the dashboard's files (web/dashboard) are missing from this installation");
}

/** uPlot's browser build and style, from node_modules. */
export function uplotFiles(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  return { js: require.resolve("uplot/dist/uPlot.iife.min.js"), css: require.resolve("uplot/dist/uPlot.min.css") };
}

export class DashboardRoutes {
  #feed: DashboardFeed | undefined;
  #mounted = false;
  #files: Map<string, string> | undefined;

  get mounted(): boolean {
    return this.#mounted;
  }

  /** The feed of the run now going (undefined between runs: the page waits and retries). */
  setFeed(feed: DashboardFeed | undefined): void {
    if (this.#feed && this.#feed !== feed) this.#feed.close();
    this.#feed = feed;
  }

  get feed(): DashboardFeed | undefined {
    return this.#feed;
  }

  mountOn(server: HttpMountable): void {
    const dir = dashboardAssetDir();
    const uplot = uplotFiles();
    this.#files = new Map([
      ["/dashboard/", path.join(dir, "index.html")],
      ["/dashboard/index.html", path.join(dir, "index.html")],
      ["/dashboard/dashboard.js", path.join(dir, "dashboard.js")],
      ["/dashboard/dashboard.css", path.join(dir, "dashboard.css")],
      ["/dashboard/uplot.js", uplot.js],
      ["/dashboard/uplot.css", uplot.css],
    ]);
    this.#mounted = true;
    server.mount((req, res, url, authorized) => this.#handle(req, res, url, authorized));
  }

  #handle(req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (url.pathname === "/" || url.pathname === "/dashboard") {
      res.writeHead(302, { location: `/dashboard/${url.search}` }).end();
      return true;
    }
    if (url.pathname === "/dashboard/feed") {
      if (!authorized) {
        res.writeHead(401, { "content-type": "text/plain" }).end("a valid token is required (?token=TOKEN)\n");
      } else if (!this.#feed) {
        res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("the run has not started yet\n");
      } else {
        this.#feed.connect(res);
      }
      return true;
    }
    const file = this.#files?.get(url.pathname);
    if (!file) return false;
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : fs.readFileSync(file));
    return true;
  }
}
