// Drives zhub's MCP server with the official TypeScript SDK
// (@modelcontextprotocol/sdk, pinned in package-lock.json), the client
// library most MCP hosts are built on:
//   1. `zhub serve` on the embedded default (emulated dongle, six virtual
//      devices paired and named on first start);
//   2. over stdio through `zhub mcp` (the way Claude Desktop starts it):
//      initialize, list the tools, switch the virtual light on, read it back;
//   3. over Streamable HTTP at /mcp with a token from `zhub token create`:
//      the same, switching the light off; without the token: 401.
// Usage: node mcp_ts.mjs --zhub BIN --dir DIR
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}
const zhub = arg('zhub');
const dir = arg('dir');
if (!zhub || !dir) {
  console.error('usage: node mcp_ts.mjs --zhub BIN --dir DIR');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
const log = (...a) => console.log('[mcp-ts]', ...a);
const fail = (msg) => {
  throw new Error(msg);
};

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error('timeout: ' + what)), ms); })])
    .finally(() => clearTimeout(t));
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

const port = await freePort();
const dataDir = path.join(dir, 'data');
const emptyConfig = path.join(dir, 'empty.toml');
fs.writeFileSync(emptyConfig, '');
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  ZHUB_CONFIG: emptyConfig,
  ZHUB_DATA_DIR: dataDir,
  ZHUB_HTTP_LISTEN: '127.0.0.1:' + port,
  ZHUB_MQTT_ENABLED: 'false',
  ZHUB_LOG_FORMAT: 'json',
  ZHUB_SOCKET: path.join(dataDir, 'zhub.sock'),
};

// Start the daemon and wait until the embedded default is paired.
const daemon = spawn(zhub, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
process.on('exit', () => daemon.kill('SIGKILL'));
const daemonLog = fs.createWriteStream(path.join(dir, 'daemon.log'));
const paired = new Promise((res, rej) => {
  readline.createInterface({ input: daemon.stderr }).on('line', (l) => {
    daemonLog.write(l + '\n');
    if (l.includes('"event":"sim_paired"')) res();
  });
  daemon.on('exit', (code) => rej(new Error('zhub serve exited with ' + code + ' (see ' + path.join(dir, 'daemon.log') + ')')));
});

async function exercise(client, how, want) {
  const info = client.getServerVersion();
  if (!info || info.name !== 'zhub') fail(how + ': server info ' + JSON.stringify(info));
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  for (const n of ['get_device', 'get_history', 'list_devices', 'list_rooms', 'set_device', 'set_device_context']) {
    if (!names.includes(n)) fail(how + ': tool ' + n + ' missing from ' + names.join(','));
  }
  if (names.includes('permit_join')) fail(how + ': a guarded tool is listed while off');
  const set = await client.callTool({ name: 'set_device', arguments: { device: 'living_room_lamp', values: { state: want } } });
  if (set.isError) fail(how + ': set_device failed: ' + JSON.stringify(set.content));
  if (set.structuredContent?.state?.state !== want) fail(how + ': set_device reported ' + JSON.stringify(set.structuredContent));
  const got = await client.callTool({ name: 'get_device', arguments: { device: 'living_room_lamp' } });
  if (got.isError || got.structuredContent?.state?.state !== want) fail(how + ': get_device says ' + JSON.stringify(got.structuredContent?.state));
  // A schema-invalid call is a tool error the model can read.
  const bad = await client.callTool({ name: 'set_device', arguments: { device: 'living_room_lamp', values: 'on' } });
  if (!bad.isError) fail(how + ': schema-invalid arguments accepted');
  log(how + ': ' + tools.length + ' tools, living_room_lamp switched ' + want);
}

try {
  await withTimeout(paired, 60000, 'the embedded default to pair');
  log('daemon up on 127.0.0.1:' + port);

  // stdio through `zhub mcp`.
  const stdio = new Client({ name: 'zhub-interop-stdio', version: '1.0.0' });
  await withTimeout(stdio.connect(new StdioClientTransport({ command: zhub, args: ['mcp'], env, stderr: 'inherit' })), 15000, 'stdio connect');
  await withTimeout(exercise(stdio, 'stdio (zhub mcp)', 'ON'), 30000, 'stdio exercise');
  await stdio.close();

  // Streamable HTTP with a token.
  const token = JSON.parse(execFileSync(zhub, ['token', 'create', '--name', 'ts-interop', '--json'], { env })).secret;
  const url = new URL('http://127.0.0.1:' + port + '/mcp');
  const anon = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
  if (anon.status !== 401) fail('http: no token answered ' + anon.status);
  const http = new Client({ name: 'zhub-interop-http', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: 'Bearer ' + token } } });
  await withTimeout(http.connect(transport), 15000, 'http connect');
  if (!transport.sessionId) fail('http: no Mcp-Session-Id');
  await withTimeout(exercise(http, 'http (' + transport.protocolVersion + ')', 'OFF'), 30000, 'http exercise');
  await transport.terminateSession();
  await http.close();
  log('ok');
  daemon.kill('SIGTERM');
  process.exit(0);
} catch (e) {
  console.error('[mcp-ts] FAILED:', e.message);
  process.exit(1);
}
