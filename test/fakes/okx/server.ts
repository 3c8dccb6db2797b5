/**
 * A local fake of OKX's v5 REST API, enough for ccxt's `okx` to load markets, set up the
 * account and place, cancel and look up orders on TRX-USDT-SWAP:
 *
 *   GET  /api/v5/public/time, /public/instruments, /market/ticker, /market/books
 *   GET  /api/v5/asset/currencies, /account/config, /account/balance, /account/positions,
 *        /trade/order (by ordId or clOrdId)
 *   POST /api/v5/trade/order, /trade/batch-orders, /trade/cancel-order,
 *        /account/set-leverage, /account/set-position-mode
 *
 * Private routes check OKX's signature exactly (auth.ts); answers use OKX's envelope
 * `{code, msg, data}`: business failures are HTTP 200 with a code (top-level, or "1" with
 * sCode/sMsg per order), auth failures 401, rate limits 429. Faults are armed in process
 * (faults.ts: `fake.faults.add('POST /api/v5/trade/order', OKX_FAULTS.unavailable())`).
 * Point ccxt at it with `exchange.urls.api = { rest: fake.url }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { OkxAccount, isRefusal, type OkxOrder } from './account.ts';
import { authenticate, isFailure, type OkxApiKey } from './auth.ts';
import { FaultPlan, type OkxFault } from './faults.ts';
import { balanceView, booksView, configView, CURRENCIES, orderView, positionView, tickerView } from './views.ts';

export const TEST_OKX_KEY: Readonly<OkxApiKey> = Object.freeze({
  apiKey: 'hh-fake-okx-key-0001',
  secret: 'hh-fake-okx-secret-0001',
  passphrase: 'hh-fake-passphrase',
});

export interface FakeOkxOptions {
  keys?: OkxApiKey[];
  /** The server's clock (signature window, timestamps); default Date.now. */
  now?: () => number;
  /** Initial USDT wallet balance; default 10000. */
  usdt?: string;
  bid?: string;
  ask?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The OKX code the fake answered ("0" = success). */
  code: string;
}

export interface FakeOkx {
  url: string;
  account: OkxAccount;
  /** Every request the fake answered as OKX (not the faults'), in arrival order; no headers: they hold keys. */
  requests: RecordedRequest[];
  faults: FaultPlan;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

type Handler = (ctx: { query: Record<string, string>; body: unknown }) => Answer;

const ok = (data: unknown[]): Answer => ({ status: 200, body: { code: '0', msg: '', data } });
const error = (code: string, msg: string, status = 200): Answer => ({ status, body: { code, msg, data: [] } });

function perOrder(results: (OkxOrder | { sCode: string; sMsg: string; clOrdId?: string })[], now: number, successMsg: string): Answer {
  const data = results.map((r) =>
    isRefusal(r)
      ? { clOrdId: r.clOrdId ?? '', ordId: '', tag: '', ts: String(now), sCode: r.sCode, sMsg: r.sMsg }
      : { clOrdId: r.clOrdId, ordId: r.ordId, tag: r.tag, ts: String(now), sCode: '0', sMsg: successMsg },
  );
  const failed = data.filter((d) => d.sCode !== '0').length;
  const code = failed === 0 ? '0' : failed === data.length ? '1' : '2';
  const msg = failed === 0 ? '' : failed === data.length ? 'All operations failed' : 'Bulk operation partially succeeded';
  return { status: 200, body: { code, msg, data, inTime: String(now * 1000), outTime: String(now * 1000) } };
}

function asRecord(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

export async function startFakeOkx(options: FakeOkxOptions = {}): Promise<FakeOkx> {
  const now = options.now ?? (() => Date.now());
  const keys = options.keys ?? [TEST_OKX_KEY];
  const account = new OkxAccount(now, options);
  const faults = new FaultPlan();
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const instrumentOr = (instId: string | undefined) => (instId ? account.instrument(instId) : undefined);
  const place = (params: Record<string, unknown>) => {
    const r = account.placeOrder(params);
    return isRefusal(r) ? { ...r, clOrdId: typeof params.clOrdId === 'string' ? params.clOrdId : '' } : r;
  };

  const publicRoutes: Record<string, Handler> = {
    'GET /api/v5/public/time': () => ok([{ ts: String(now()) }]),
    'GET /api/v5/public/instruments': ({ query }) => {
      if (!query.instType) return error('50014', 'Parameter instType can not be empty.');
      if (query.instType !== 'SWAP') return ok([]);
      const all = [...account.instruments.values()];
      return ok(query.instId ? all.filter((i) => i.instId === query.instId) : all);
    },
    'GET /api/v5/market/ticker': ({ query }) => {
      if (!instrumentOr(query.instId)) return error('51001', "Instrument ID or Spread ID doesn't exist.");
      return ok([tickerView(account, query.instId!, now())]);
    },
    'GET /api/v5/market/books': ({ query }) => {
      const inst = instrumentOr(query.instId);
      if (!inst) return error('51001', "Instrument ID or Spread ID doesn't exist.");
      return ok([booksView(account, inst, Number(query.sz ?? 1), now())]);
    },
  };

  const privateRoutes: Record<string, Handler> = {
    'GET /api/v5/asset/currencies': () => ok(CURRENCIES),
    'GET /api/v5/account/config': () => ok([configView(account)]),
    'GET /api/v5/account/balance': () => ok([balanceView(account, now())]),
    'GET /api/v5/account/positions': ({ query }) => {
      if (query.instType && query.instType !== 'SWAP') return ok([]);
      const ids = query.instId ? query.instId.split(',') : undefined;
      return ok(account.openPositions(ids).map((p) => positionView(account, p, account.instrument(p.instId)!)));
    },
    'GET /api/v5/trade/order': ({ query }) => {
      if (!instrumentOr(query.instId)) return error('51001', "Instrument ID or Spread ID doesn't exist.");
      if (!query.ordId && !query.clOrdId) return error('50015', 'Either parameter ordId or clOrdId is required.');
      const order = account.orderBy(query);
      return order && order.instId === query.instId ? ok([orderView(order)]) : error('51603', 'Order does not exist');
    },
    'POST /api/v5/trade/order': ({ body }) => perOrder([place(asRecord(body))], now(), 'Order placed'),
    'POST /api/v5/trade/batch-orders': ({ body }) => {
      if (!Array.isArray(body) || body.length === 0 || body.length > 20) return error('51000', 'Parameter orders error');
      return perOrder(body.map((b) => place(asRecord(b))), now(), 'Order placed');
    },
    'POST /api/v5/trade/cancel-order': ({ body }) => {
      const params = asRecord(body);
      if (!params.ordId && !params.clOrdId) return error('50015', 'Either parameter ordId or clOrdId is required.');
      const r = account.cancelOrder(params);
      return perOrder([isRefusal(r) ? { ...r, clOrdId: String(params.clOrdId ?? '') } : r], now(), '');
    },
    'POST /api/v5/account/set-leverage': ({ body }) => {
      const r = account.setLeverage(asRecord(body));
      return isRefusal(r) ? error(r.sCode, r.sMsg) : ok([r]);
    },
    'POST /api/v5/account/set-position-mode': ({ body }) => {
      const r = account.setPositionMode(asRecord(body).posMode);
      return isRefusal(r) ? error(r.sCode, r.sMsg) : ok([r]);
    },
  };

  function answer(req: IncomingMessage, rawBody: string): Answer {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    const key = `${method} ${url.pathname}`;
    const pub = publicRoutes[key];
    const priv = privateRoutes[key];
    if (!pub && !priv) return error('404', 'Not Found', 404);
    let body: unknown;
    const result = ((): Answer => {
      if (priv) {
        // The signed path is the path plus the query string exactly as sent.
        const who = authenticate(keys, req.headers, method, req.url ?? '', rawBody, now());
        if (isFailure(who)) return error(who.code, who.msg, who.status);
      }
      if (method === 'POST') {
        try {
          body = rawBody === '' ? {} : JSON.parse(rawBody);
        } catch {
          return error('50002', 'JSON syntax error', 400);
        }
      }
      return (pub ?? priv)!({ query, body });
    })();
    requests.push({ method, path: url.pathname, query, body, code: String(result.body.code) });
    return result;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  async function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://fake').pathname;
    const fault: OkxFault | undefined = faults.take(`${req.method ?? 'GET'} ${pathname}`);
    if (fault?.kind === 'latency') await sleep(fault.ms);
    const applied = fault === undefined || fault.kind === 'latency' || fault.applied === true;
    const result = applied ? answer(req, rawBody) : undefined;
    if (fault?.kind === 'hang') return; // the socket stays open until the client gives up or the fake closes
    if (fault?.kind === 'drop') return void req.socket.destroy();
    if (fault?.kind === 'status') return send(res, fault.status, fault.body);
    send(res, result!.status, JSON.stringify(result!.body));
  }

  function send(res: ServerResponse, status: number, body: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        send(res, 500, JSON.stringify({ code: '50000', msg: `fake okx bug: ${err instanceof Error ? err.message : String(err)}` }));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    account,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
